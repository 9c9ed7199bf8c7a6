"""Dates as users type them (forms, command-line options)."""

from __future__ import annotations

from datetime import date

from minyi.core.errors import InputError


def as_date(value: date | str | None, option: str) -> date | None:
    """A date from a form or an option (YYYY-MM-DD); "" and None are no date."""
    if value is None or isinstance(value, date):
        return value
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InputError(f"{option}: {value!r} is not a date in YYYY-MM-DD form",
                         message_zh=f"“{value}”不是有效日期（应为YYYY-MM-DD）") from exc
