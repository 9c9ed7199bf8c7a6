"""Form and page schemas of the review application, apart from the ORM: what a browser
may send (validated by pydantic; anything else is a 400 with a Chinese message)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class _Form(BaseModel):
    csrf_token: str = ""


class LoginForm(_Form):
    username: str = Field("", max_length=100)
    password: str = Field("", max_length=500)
    next: str = "/"


class ConsultationForm(_Form):
    title: str = Field("", max_length=500)
    issuing_body: str = Field("", max_length=200)
    contact_point: str = Field("", max_length=200)
    opened_on: str = ""
    deadline: str = ""


class ConsultationEditForm(_Form):
    version: int | None = None
    title: str = Field("", max_length=500)
    issuing_body: str = Field("", max_length=200)
    addressee: str = Field("", max_length=200)
    signer: str = Field("", max_length=200)
    signed_on: str = ""
    opened_on: str = ""
    deadline: str = ""
    status: str = "open"


class SymposiumForm(_Form):
    version: int | None = None
    held_on: str = Field("", max_length=20)
    participants: str = Field("", max_length=7)  # blank: not known


class ClusterEditForm(_Form):
    version: int | None = None
    label: str = Field("", max_length=500)
    representative: int | None = None
    opinion: str = Field("", max_length=20000)
    reason: str = Field("", max_length=20000)
    reviewed: bool = False


class UserForm(_Form):
    username: str = Field("", max_length=100)
    role: str = "reviewer"
    password: str = Field("", max_length=500)
    contact_points: str = Field("", max_length=2000)
    consultations: str = Field("", max_length=2000)


class UserEditForm(_Form):
    role: str = "reviewer"
    active: bool = False
    password: str = Field("", max_length=500)
    contact_points: str = Field("", max_length=2000)
    consultations: str = Field("", max_length=2000)


class DecisionForm(_Form):
    suggestion_id: int
    status: str
    note: str = Field("", max_length=5000)
    back: str = ""


def split_names(text: str) -> list[str]:
    """"甲, 乙；丙" → ["甲", "乙", "丙"]."""
    for sep in ("，", "；", ";", "、", "\n"):
        text = text.replace(sep, ",")
    return [t.strip() for t in text.split(",") if t.strip()]


def split_ids(text: str) -> list[int]:
    from minyi.core.errors import InputError

    out = []
    for t in split_names(text):
        if not t.isdigit():
            raise InputError(f"{t!r} is not a number", message_zh=f"“{t}”不是有效编号")
        out.append(int(t))
    return out
