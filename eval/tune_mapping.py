"""Grid-search a backend's semantic-mapping parameters on the TUNING drafts only.

    .venv/bin/python -m eval.tune_mapping --backend use [--json out.json]

Each tuning draft is analysed once with the real workflow; the reference-free stage's
inputs (the mapper with the consultation's learned examples, the suggestions, their
contexts and embeddings, own and expanded) are captured. The grid then re-scores those
inputs offline — the same ``SemanticMapper.scores``/``links_from_scores`` and the same
decision whether the links stand (``pipeline.scope.semantic_links_stand``) — and
reads, per comment, reference-free link precision / recall and the share of
general/chapter/out-of-scope/not-opinion comments kept off articles (shared/EVALUATION.md).
Thread inheritance and duplicate-group links are left as the real run made them.
Held-out drafts are refused: their misses must not steer the parameters (eval/SPLITS.md).
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from eval import metrics
from eval.corpus import load
from eval.evaluate import TUNING, import_rows, new_consultation


@dataclass
class Captured:
    slug: str
    comments: list[dict[str, Any]]
    mapper: Any
    external_ids: list[str]  # per unmapped suggestion: its comment
    texts: list[str]
    letters: list[str]  # per unmapped suggestion: its comment's text
    contexts: list[str | None]
    own_emb: np.ndarray
    expanded_emb: np.ndarray
    fixed: dict[str, set[int]] = field(default_factory=dict)  # comment → articles of other stages


def capture(slug: str, backend: str, folder: Path) -> Captured:
    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    import minyi.services.analysis as analysis
    from minyi.services.context import SYSTEM
    from models.db import dispose_engines, get_engine, upgrade
    from models.entities import Comment, Provision
    from pipeline.semantic import expand_query

    corpus = load(slug)
    got: dict[str, Any] = {}
    original = analysis._map_semantic

    def spy(session, ctx, pipe, timer, embed, mapper_, unmapped, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Called once per chunk of comments: the inputs are gathered over all chunks.
        texts = [s.masked_text or s.text for s, _c, _n in unmapped]
        got["mapper"] = mapper_
        for key, values in (
            ("sids", [s.id for s, _c, _n in unmapped]),
            ("external_ids", [c.external_id for _s, c, _n in unmapped]),
            ("texts", texts),
            ("letters", [c.masked_text or c.text or "" for _s, c, _n in unmapped]),
            ("contexts", ["\n".join(x for x in ((c.masked_text if n > 1 else None), c.quoted_text) if x) or None
                          for _s, c, n in unmapped]),
        ):
            got.setdefault(key, []).extend(values)
        got.setdefault("own_emb", []).append(embed(texts))
        got.setdefault("expanded_emb", []).append(embed([expand_query(t) for t in texts]))
        return original(session, ctx, pipe, timer, embed, mapper_, unmapped, *args, **kwargs)

    url = f"sqlite:///{folder / f'tune-{slug}-{backend}.db'}"
    upgrade(url)
    session = sessionmaker(bind=get_engine(url), expire_on_commit=False)()
    analysis._map_semantic = spy
    try:
        cid = new_consultation(session, f"{slug}（征求意见稿）", corpus.draft)
        import_rows(session, cid, corpus.comments, slug)
        analysis.analyze(session, SYSTEM, cid, backend=backend)
        session.commit()
        captured_ids = set(got.get("sids", []))
        fixed: dict[str, set[int]] = {}
        for c in session.scalars(select(Comment).where(Comment.consultation_id == cid)):
            arts: set[int] = set()
            for s in c.suggestions:
                # Links of the stage being tuned are recomputed; thread and group links stay.
                semantic_only = s.id in captured_ids and (s.meta or {}).get("mapping") == "semantic"
                if semantic_only:
                    continue
                for link in s.links:
                    prov = session.get(Provision, link.provision_id)
                    if prov.kind == "article":
                        arts.add(prov.number)
            fixed[c.external_id] = arts
    finally:
        analysis._map_semantic = original
        session.close()
        dispose_engines()
    return Captured(slug, corpus.comments, got["mapper"], got["external_ids"], got["texts"], got["letters"],
                    got["contexts"], np.vstack(got["own_emb"]), np.vstack(got["expanded_emb"]), fixed)


def score(cap: Captured, params: Any) -> np.ndarray:
    """The (suggestion × article) scores under ``params`` (threshold and relative aside)."""
    cap.mapper.params = params
    emb = cap.expanded_emb if params.expand_embeddings else cap.own_emb
    return cap.mapper.scores(cap.texts, emb, contexts=cap.contexts)


def evaluate(cap: Captured, params: Any, scores: np.ndarray | None = None) -> dict[str, float]:
    from pipeline import scope as scoping

    mapper = cap.mapper
    if scores is None:
        scores = score(cap, params)
    mapper.params = params
    preds = {k: metrics.Predicted(articles=set(v)) for k, v in cap.fixed.items()}
    for ext, text, letter, row in zip(cap.external_ids, cap.texts, cap.letters, scores):
        found = mapper.links_from_scores(row)
        if found and not scoping.semantic_links_stand(text, letter, float(row.max()), params.threshold,
                                                      mapper.best_article_text(row)):
            found = []
        preds[ext].articles |= {int(l.article_key) for l in found if str(l.article_key).isdigit()}
    rf = metrics.reference_free(cap.comments, preds)
    off = metrics.kept_off(cap.comments, preds)
    return {"precision": rf["precision"] or 0.0, "recall": rf["recall"] or 0.0, "exact": rf["exact"] or 0.0,
            "kept_off": off["share"] or 0.0}


GRID = {
    "threshold": [0.40, 0.45, 0.50, 0.55, 0.60, 0.636],
    "w_bm25": [0.5, 0.65, 0.8],
    "cos_lo": [0.0, 0.2, 0.3],
    "cos_hi": [0.6, 0.7, 0.8],
    "bm25_half": [2.0, 4.0],
    "relative": [0.9, 0.97],
    "expand_embeddings": [True, False],
}


def objective(per_draft: list[dict[str, float]]) -> float:
    """Mean reference-free F1 over the tuning drafts, minus what kept-off loses below 0.9."""
    total = 0.0
    for r in per_draft:
        p, rc = r["precision"], r["recall"]
        f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
        total += f1 - 2 * max(0.0, 0.9 - r["kept_off"])
    return total / len(per_draft)


def main(argv: list[str] | None = None) -> int:
    from pipeline.semantic import map_params_for

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpora", nargs="*", help="tuning drafts (default: every one with comments)")
    ap.add_argument("--backend", default="use")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--grid", type=json.loads, default={},
                    help='JSON object replacing some of GRID\'s lists, e.g. \'{"threshold": [0.3, 0.35]}\'')
    args = ap.parse_args(argv)
    grid = {**GRID, **args.grid}
    args.corpora = args.corpora or [s for s in TUNING if load(s).comments]  # an adoption set has none
    bad = [s for s in args.corpora if s not in TUNING]
    if bad:
        raise SystemExit(f"not a tuning draft (eval/SPLITS.md): {', '.join(bad)}")
    with tempfile.TemporaryDirectory() as tmp:
        caps = [capture(slug, args.backend, Path(tmp)) for slug in args.corpora]
    base = map_params_for(args.backend)
    print("current", base, [evaluate(c, base) for c in caps])
    # threshold and relative only decide links from the scores: scored once per the rest.
    decide = ("threshold", "relative")
    keys = [k for k in grid if k not in decide]
    results = []
    for values in itertools.product(*(grid[k] for k in keys)):
        params = replace(base, **dict(zip(keys, values)))
        scored = [score(c, params) for c in caps]
        for last in itertools.product(*(grid[k] for k in decide)):
            chosen = {**dict(zip(keys, values)), **dict(zip(decide, last))}
            full = replace(params, **dict(zip(decide, last)))
            per = [evaluate(c, full, s) for c, s in zip(caps, scored)]
            results.append((objective(per), chosen, per))
    results.sort(key=lambda r: -r[0])
    for obj, vals, per in results[:15]:
        print(round(obj, 4), vals, per)
    if args.json:
        args.json.write_text(json.dumps([{"objective": o, "params": v, "drafts": p} for o, v, p in results[:200]],
                                        ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
