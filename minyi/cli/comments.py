"""Commands of this group are added by their module (see apps.py)."""

from minyi.cli.apps import app  # noqa: F401
