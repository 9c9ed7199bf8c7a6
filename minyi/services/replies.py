"""Closing the loop with the people who gave their opinions.

* ``suggestion_replies``: per suggestion the reply (采纳情况说明) from the decision that
  counts — adopted as article X of the final text, partly, not adopted with the reason,
  already covered.
* ``contributor_list`` / ``write_contributor_letters``: the people to inform at the contact
  point that collected them (names and contacts never leave it), as .xlsx and as a
  mail-merge .docx of short letters, with an SMS-length text per person. Only those who may
  see the point's personal data may write them.
* ``public_notice`` / ``public_notice_document``: adopted suggestions, masked, naming a
  contributor only where they agreed — a form's consent column (是否同意公开姓名) read at
  import, or ``set_consent`` later.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from minyi.core.reporting import SuggestionRow
from minyi.services import documents
from minyi.services.context import Actor, audit
from models import adoption_store, report_queries
from models import rollup as store
from models.entities import Comment, Consultation
from models.store import get_consultation
from reports import formats
from reports.bundle import point_people
from reports.feedback import draft_name
from reports.letters import (
    ADOPTED,
    Contributor,
    ContributorItem,
    ContributorList,
    NoticeRow,
    PublicNotice,
    reply_text,
    write_letters_docx,
)

# A form's column saying the contributor agrees to be named (是否同意公开姓名 …), and the
# answers that mean yes.
CONSENT_HEADER_WORDS = ("公开",)
CONSENT_HEADER_OBJECTS = ("姓名", "署名", "名字")
YES = frozenset({"是", "同意", "愿意", "可以", "y", "yes", "true", "1", "√", "✓", "✔", "同意公开"})


def consent_from_payload(payload: dict[str, Any]) -> bool | None:
    """The answer of a consent column in the record as received; None without one."""
    for key, value in payload.items():
        k = str(key)
        if any(w in k for w in CONSENT_HEADER_WORDS) and any(o in k for o in CONSENT_HEADER_OBJECTS):
            answer = str(value or "").strip().lower()
            return answer in YES or answer.startswith("同意")
    return None


def _consultation_point(session: Session, consultation: Consultation, contact_point: str | None) -> tuple[int | None, str]:
    point_id = report_queries.contact_point_id_by_name(session, contact_point)
    if point_id is None:
        point_id = consultation.contact_point_id
    name = contact_point or (consultation.contact_point.name if consultation.contact_point else "基层立法联系点")
    return point_id, name


@dataclass
class Reply:
    suggestion_id: int
    comment_id: int
    article: str | None
    text: str
    status: str | None
    reply: str

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _replies(session: Session, consultation_id: int, rows: list[SuggestionRow], mask: bool) -> list[Reply]:
    decided = {d["suggestion_id"]: d for d in adoption_store.effective_decisions(session, consultation_id)}
    articles = report_queries.articles_of(session, consultation_id)
    label = store.final_version_label(session, consultation_id)
    masker = documents.Masker.for_consultation(session, consultation_id)
    out = []
    for r in rows:
        d = decided.get(r.suggestion_id) or {}
        status = d.get("status")
        note = d.get("note")
        text = masker.row(r).text if mask else r.original_text
        article = next((articles[a].label for a in r.article_ids if a in articles), None)
        final_label = (d.get("evidence") or {}).get("final_label") or label  # a decision from above names it
        out.append(Reply(r.suggestion_id, r.comment_id, article, text, status,
                         reply_text(status, d.get("final_articles"), masker.text(note) if note else None, final_label)))
    return out


def suggestion_replies(session: Session, actor: Actor, consultation_id: int, *,
                       contact_point: str | None = None) -> list[Reply]:
    """Every suggestion of the point (default: the consultation's own) with its reply;
    masked for those who may not see personal data."""
    consultation = get_consultation(session, consultation_id)
    actor.require("read", consultation)
    point_id, _name = _consultation_point(session, consultation, contact_point)
    rows = report_queries.suggestion_rows(session, consultation_id, point_id)
    return _replies(session, consultation_id, rows, mask=not actor.sees_personal_data(consultation))


def contributor_list(session: Session, actor: Actor, consultation_id: int, *,
                     contact_point: str | None = None, date: dt.date | None = None) -> ContributorList:
    """The people to inform, one entry per person (same name and contact), with the reply
    to each of their suggestions. People who left neither name nor contact cannot be
    informed and are left out."""
    consultation = get_consultation(session, consultation_id)
    actor.require("see_personal_data", consultation)
    point_id, point_name = _consultation_point(session, consultation, contact_point)
    own = {c.id: (c, payload) for c, payload in store.contributor_comments(session, consultation_id, point_id)}
    rows = [r for r in report_queries.suggestion_rows(session, consultation_id, point_id) if r.comment_id in own]
    replies = _replies(session, consultation_id, rows, mask=False)
    consent = _consents(session, own)
    people: dict[tuple[str, str], Contributor] = {}
    for reply in replies:
        comment, _payload = own[reply.comment_id]
        name = (comment.author_name or "").strip() or None
        contact = (comment.author_contact or "").strip() or None
        if not name and not contact:
            continue
        key = (name or "", contact or "")
        person = people.get(key)
        if person is None:
            person = people[key] = Contributor(name, contact, comment.author_organisation, [])
        if comment.id not in person.comment_ids:
            person.comment_ids.append(comment.id)
            person.consent = person.consent or consent.get(comment.id, False)
        person.items.append(ContributorItem(reply.suggestion_id, reply.text, reply.article, reply.status, reply.reply))
    version = report_queries.base_version(session, consultation_id)
    return ContributorList(
        consultation_id=consultation_id,
        draft=draft_name(consultation.title, version.label if version else None),
        point=point_name,
        recipient=consultation.issuing_body,
        date=date or dt.date.today(),
        contributors=list(people.values()),
    )


def _consents(session: Session, own: dict[int, tuple[Comment, dict[str, Any]]]) -> dict[int, bool]:
    """Consent per comment: set by hand, else the form's column, else no."""
    out = {cid: bool(consent_from_payload(payload)) for cid, (_c, payload) in own.items()}
    out.update(store.consent_overrides(session, list(own)))
    return out


@dataclass
class LettersResult:
    files: dict[str, str]
    contributors: int
    items: int
    sms: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "contributors": self.contributors, "items": self.items, "sms": self.sms}


def write_contributor_letters(session: Session, actor: Actor, consultation_id: int, stem: str | Path, *,
                              contact_point: str | None = None, date: dt.date | None = None) -> LettersResult:
    """STEM.xlsx (the list, the replies and each person's SMS text) and STEM.docx (one
    letter per person); audited (who wrote personal data out, not the data)."""
    letters = contributor_list(session, actor, consultation_id, contact_point=contact_point, date=date)
    stem = Path(stem)
    files = {
        "xlsx": formats.write(letters, "xlsx", stem.with_suffix(".xlsx")),
        "docx": write_letters_docx(letters, stem.with_suffix(".docx")),
    }
    audit(session, actor, "write_letters", get_consultation(session, consultation_id),
          after={"files": [Path(f).name for f in files.values()], **letters.to_dict()})
    return LettersResult(files, len(letters.contributors), sum(len(c.items) for c in letters.contributors),
                         [letters.sms(c) for c in letters.contributors])


def public_notice(session: Session, actor: Actor, consultation_id: int, *, date: dt.date | None = None) -> PublicNotice:
    """Adopted and partly adopted suggestions (one row per point made, masked), each naming
    its contributors only with their consent; rows rolled up from lower levels name the
    contact points."""
    consultation = documents.reportable(session, actor, consultation_id)
    rows = report_queries.suggestion_rows(session, consultation_id)
    own = {c.id: (c, payload) for c, payload in store.contributor_comments(session, consultation_id, None)}
    consent = _consents(session, own)
    origins = store.origins(session, consultation_id)
    masker = documents.Masker.for_consultation(session, consultation_id)
    articles = report_queries.articles_of(session, consultation_id)
    label = store.final_version_label(session, consultation_id)
    decided = {d["suggestion_id"]: d for d in adoption_store.effective_decisions(session, consultation_id)}
    groups: dict[tuple[int, int], list[SuggestionRow]] = defaultdict(list)
    for r in rows:
        if r.status in ADOPTED:
            groups[r.dedup_key].append(r)
    out, named = [], 0
    for members in groups.values():
        rep = max(members, key=lambda m: (m.status == "采纳", len(m.text)))
        who, n = _contributors(members, own, consent, origins)
        named += n
        d = decided.get(rep.suggestion_id) or {}
        finals = "、".join(d.get("final_articles") or [])
        final_label = (d.get("evidence") or {}).get("final_label") or label or ""
        out.append(NoticeRow(
            article=next((articles[a].label for a in rep.article_ids if a in articles), None),
            text=masker.row(rep).text, status=rep.status or "", where=f"{final_label}{finals}" if finals else "",
            contributor=who,
        ))
    out.sort(key=lambda r: (r.article is None, r.article or ""))
    version = report_queries.base_version(session, consultation_id)
    issuer = consultation.signer or (consultation.contact_point.name if consultation.contact_point else "基层立法联系点")
    return PublicNotice(draft_name(consultation.title, version.label if version else None), issuer,
                        date or dt.date.today(), out, len({r.comment_id for r in rows}), named)


def _contributors(members: list[SuggestionRow], own: dict[int, Any], consent: dict[int, bool],
                  origins: dict[int, Any]) -> tuple[str, int]:
    """提出人: consenting people by name, units by name, the rest as 居民N人; rolled-up rows
    by their contact points."""
    names: list[str] = []
    consenting = 0
    others = 0
    rolled = [m for m in members if m.comment_id in origins]
    for cid in dict.fromkeys(m.comment_id for m in members if m.comment_id not in origins):
        comment = own.get(cid, (None, None))[0]
        name = (comment.author_name or "").strip() if comment is not None else ""
        if comment is not None and name and consent.get(cid):
            names.append(name)
            consenting += 1
        elif comment is not None and comment.author_organisation:
            names.append(comment.author_organisation)
        else:
            others += 1
    parts = list(dict.fromkeys(names))
    if others:
        parts.append(f"居民{others}人")
    if rolled:
        parts += [f"{p}（{n}人）" for p, n in point_people(rolled, origins, None).items()]
    return "、".join(parts), consenting


def public_notice_document(session: Session, actor: Actor, consultation_id: int, fmt: str | None, path: str | Path,
                           *, date: dt.date | None = None) -> documents.DocumentResult:
    """Write the public notice (docx / md / pdf)."""
    documents.reportable(session, actor, consultation_id)
    fmt = formats.check_format(PublicNotice, fmt, path)
    notice = public_notice(session, actor, consultation_id, date=date)
    return documents.DocumentResult(formats.write(notice, fmt, path), fmt, notice.summary())


def set_consent(session: Session, actor: Actor, consultation_id: int, comment_ids: list[int], consent: bool) -> int:
    """Record that these comments' authors agreed (or not) to be named; audited."""
    consultation = get_consultation(session, consultation_id)
    actor.require("see_personal_data", consultation)
    for cid in comment_ids:
        comment = session.get(Comment, cid)
        if comment is None or comment.consultation_id != consultation_id:
            from minyi.core.errors import NotFoundError

            raise NotFoundError(f"comment {cid} is not a comment of consultation {consultation_id}",
                                message_zh=f"意见 {cid} 不属于该征求意见任务")
        before, row = store.set_consent(session, cid, consent, actor.name)
        audit(session, actor, "set_consent", row, consultation_id=consultation_id,
              before={"consent": before}, after={"comment_id": cid, "consent": consent})
    return len(comment_ids)
