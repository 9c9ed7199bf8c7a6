"""The embedding cache table on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np

from minyi.services.analysis import cached_embeddings
from models.embedding_store import count_embeddings, get_embeddings, put_embeddings
from minyi.core.records import text_hash
from pipeline.embed import TfidfEmbedder


def test_put_and_get_round_trip_exact_float32(session):
    rng = np.random.default_rng(0)
    vectors = {f"h{i}": rng.standard_normal(8).astype(np.float32) for i in range(3)}
    assert put_embeddings(session, "tfidf:test", vectors) == 3
    # Same hashes again (another run): nothing added, no unique-key violation.
    assert put_embeddings(session, "tfidf:test", vectors) == 0
    session.commit()
    got = get_embeddings(session, "tfidf:test", ["h0", "h2", "missing"])
    assert set(got) == {"h0", "h2"}
    np.testing.assert_array_equal(got["h2"], vectors["h2"])
    assert got["h0"].dtype == np.float32
    # Another backend's vectors are not this one's.
    assert get_embeddings(session, "use:other", ["h0"]) == {}


def test_cached_embeddings_embeds_only_what_is_new(session):
    class Counting(TfidfEmbedder):
        def __init__(self):
            super().__init__()
            self.seen = []

        def encode(self, texts):
            self.seen.extend(texts)
            return super().encode(texts)

    emb = Counting()
    texts = [f"第{i}条建议增加充电设施" for i in range(600)]  # more than one IN (...) chunk
    first = cached_embeddings(session, emb, texts)
    session.commit()
    assert len(emb.seen) == 600 and count_embeddings(session, emb.name) == 600
    emb.seen.clear()
    again = cached_embeddings(session, emb, texts[:10] + ["一条新意见"])
    assert emb.seen == ["一条新意见"]
    np.testing.assert_array_equal(again[:10], first[:10])
    assert text_hash("一条新意见") in get_embeddings(session, emb.name, [text_hash("一条新意见")])
