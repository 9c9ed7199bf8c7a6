"""models.report_queries: what the documents read of the stored suggestions."""

from __future__ import annotations

from minyi.core.records import CommentIn, RecordIn, SourceIn
from models.entities import Comment, Suggestion
from models.ingest import ingest
from models.report_queries import suggestion_rows
from models.store import create_consultation


def test_a_speakers_role_code_is_printed_in_chinese_or_not_at_all(session):
    """Importers record a symposium speaker's role as a code (host, participant): a
    document prints 主持人 for the one and no role for the other, never the code."""
    c = create_consultation(session, title="某某条例（征求意见稿）")
    turns = [("host", "请大家发言。"), ("participant", "建议第五条增加过渡期。"), ("社区网格员", "建议加强宣传。")]
    ingest(session, c.id, SourceIn(channel="symposium", name="座谈会纪要", fingerprint="roles"), [
        RecordIn(origin="roles.jsonl", locator=f"line={i}", payload={"text": text},
                 comment=CommentIn(text, channel="symposium", meta={"speaker_role": role}))
        for i, (role, text) in enumerate(turns, 1)
    ])
    session.flush()
    for comment in session.query(Comment).filter(Comment.consultation_id == c.id):
        session.add(Suggestion(consultation_id=c.id, comment_id=comment.id, ordinal=0, text=comment.text,
                               text_hash=f"h{comment.id}"))
    session.flush()
    roles = {r.text: r.role for r in suggestion_rows(session, c.id)}
    assert roles == {"请大家发言。": "主持人", "建议第五条增加过渡期。": None, "建议加强宣传。": "社区网格员"}
