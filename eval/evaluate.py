"""Evaluate the analysis on labelled development corpora (figures of shared/EVALUATION.md).

    .venv/bin/python -m eval.evaluate                       # every corpus, default backend
    .venv/bin/python -m eval.evaluate shenzhen-data --backend tfidf --json out.json

For each corpus: a fresh SQLite consultation with the draft, the comments imported as the
importers would (forum posts with thread meta, symposium lines with speaker and role), the
real ``analyze`` workflow, and — for drafts with a final text — a second consultation with
the adoption suggestions, analysed and run through ``detect_adoption``. Which drafts are
held out is in eval/SPLITS.md (``HELD_OUT`` / ``TUNING`` below).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from eval import metrics
from eval.corpus import Corpus, available, load

# eval/SPLITS.md: the drafts analysis parameters and rules were developed on, and the rest.
TUNING = ("shanghai-business", "shenzhen-data", "company-law", "legislation-law", "company-law-2023",
          "shanghai-business-2024", "legislation-law-2023", "shanghai-business-adoption-b",
          "legislation-law-adoption-b", "shenzhen-data-b")
HELD_OUT = ("beijing-parking", "charity-law", "company-law-adoption-b", "beijing-parking-adoption-b", "charity-law-2023")


def split_of(slug: str) -> str:
    return "tuning" if slug in TUNING else "held-out"


# --- import ------------------------------------------------------------------------------


def comment_in(row: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The CommentIn an importer would produce for the labelled row."""
    from minyi.core.records import CommentIn

    text, meta, author, org = row["text"], {}, None, None
    channel = row.get("channel") or "form"
    if channel == "symposium":
        from collectors.importers.minutes import match_turn

        turn = match_turn(text)
        if turn is not None:
            author, org, collective, text = turn
            meta["speaker"] = author
            if collective:
                meta["collective"] = True
        meta["speaker_role"] = row.get("speaker_role") or "participant"
    elif channel == "forum" and row.get("thread"):
        meta.update(thread_id=row["thread"], floor=row.get("floor"), first_post=row.get("floor") == 1)
    return CommentIn(text=text, author_name=author, author_organisation=org, external_id=row["id"],
                     channel=channel, meta=meta)


def import_rows(session, consultation_id: int, rows: list[dict[str, Any]], name: str) -> None:  # type: ignore[no-untyped-def]
    from minyi.core.records import RecordIn, SourceIn
    from models.ingest import ingest

    by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_channel[r.get("channel") or "form"].append(r)
    for channel, part in by_channel.items():
        records = [
            RecordIn(origin=f"{name}-{channel}.jsonl", locator=f"id={r['id']}", payload={"text": r["text"], "id": r["id"]},
                     comment=comment_in(r))
            for r in part
        ]
        ingest(session, consultation_id, SourceIn(channel=channel, name=f"{name}-{channel}", fingerprint=f"{name}-{channel}"),
               records)
    session.flush()


def new_consultation(session, title: str, draft: Path) -> int:  # type: ignore[no-untyped-def]
    from models.store import create_consultation, load_draft_version
    from pipeline.drafts.parser import parse_file

    c = create_consultation(session, title=title)
    load_draft_version(session, c.id, parse_file(draft))
    session.flush()
    return c.id


# --- predictions ---------------------------------------------------------------------------


def suggestion_scope(s) -> str:  # type: ignore[no-untyped-def]
    scope = getattr(s, "scope", None)
    if scope:
        return scope
    if s.is_out_of_scope:
        return "out_of_scope"
    return "general" if s.is_general or not s.links else "article"


def predictions(session, consultation_id: int) -> dict[str, metrics.Predicted]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from models.entities import AdoptionDecision, Cluster, ClusterMember, Comment, Provision

    number_of = {}
    cluster_of: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for sid, cl_id, scope in session.execute(
        select(ClusterMember.suggestion_id, Cluster.id, Cluster.scope).join(Cluster, Cluster.id == ClusterMember.cluster_id)
        .where(Cluster.consultation_id == consultation_id)
    ):
        cluster_of[sid].append((cl_id, scope))
    status_of = dict(session.execute(
        select(AdoptionDecision.suggestion_id, AdoptionDecision.status)
        .where(AdoptionDecision.consultation_id == consultation_id, AdoptionDecision.source == "auto")
    ).all())
    out: dict[str, metrics.Predicted] = {}
    for c in session.scalars(select(Comment).where(Comment.consultation_id == consultation_id)):
        p = metrics.Predicted()
        chosen: dict[int, tuple[bool, int]] = {}  # article → (a 支持 piece's, cluster id)
        for s in c.suggestions:
            arts = set()
            for link in s.links:
                if link.provision_id not in number_of:
                    prov = session.get(Provision, link.provision_id)
                    number_of[link.provision_id] = prov.number if prov.kind == "article" else None
                if number_of[link.provision_id] is not None:
                    arts.add(number_of[link.provision_id])
            p.articles |= arts
            check = getattr(s, "citation_check", None) or (s.meta or {}).get("citation_check")
            if check:
                p.checks.append(check)
            if s.duplicate_group_id:
                p.groups.add(s.duplicate_group_id)
            for cl_id, scope in cluster_of.get(s.id, []):
                key = scope.split(":", 1)[1] if scope.startswith("article:") else ""
                # A comment that supports an article and asks for a change is labelled by
                # its change: its first request piece's cluster, else its first piece's.
                rank = s.type == "支持"
                if key.isdigit() and (int(key) not in chosen or rank < chosen[int(key)][0]):
                    chosen[int(key)] = (rank, cl_id)
            p.scopes.append(suggestion_scope(s))
            if s.id in status_of:
                p.statuses.append(status_of[s.id])
        p.clusters = {art: cl_id for art, (_rank, cl_id) in chosen.items()}
        out[c.external_id] = p
    return out


# --- one corpus ----------------------------------------------------------------------------


def evaluate_corpus(corpus: Corpus, backend: str = "tfidf", workdir: Path | None = None,
                    adoption: bool = True) -> dict[str, Any]:
    from sqlalchemy.orm import sessionmaker

    from models.db import dispose_engines, get_engine, upgrade

    tmp = tempfile.TemporaryDirectory() if workdir is None else None
    folder = Path(tmp.name) if tmp else workdir
    url = f"sqlite:///{folder / f'eval-{corpus.slug}-{backend}.db'}"
    Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    upgrade(url)
    session = sessionmaker(bind=get_engine(url), expire_on_commit=False)()
    result: dict[str, Any] = {"corpus": corpus.slug, "split": split_of(corpus.slug), "backend": backend,
                              "comments": len(corpus.comments)}
    try:
        if corpus.comments:  # an adoption set alone has none
            result.update(_comment_figures(session, corpus, backend))
        if adoption and corpus.final and corpus.adoption:
            result.update(evaluate_adoption(session, corpus, backend))
            session.commit()
    finally:
        session.close()
        dispose_engines()
        if tmp:
            tmp.cleanup()
    return result


def _comment_figures(session, corpus: Corpus, backend: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from minyi.services.analysis import analyze
    from minyi.services.context import SYSTEM

    t0 = time.perf_counter()
    cid = new_consultation(session, f"{corpus.slug}（征求意见稿）", corpus.draft)
    import_rows(session, cid, corpus.comments, corpus.slug)
    run = analyze(session, SYSTEM, cid, backend=backend)
    session.commit()
    preds = predictions(session, cid)
    return {
        "seconds_analyze": round(time.perf_counter() - t0, 2),
        "stage_seconds": run.seconds,
        "explicit": metrics.explicit(corpus.comments, preds),
        "reference_free": metrics.reference_free(corpus.comments, preds),
        "kept_off": metrics.kept_off(corpus.comments, preds),
        "scope": metrics.scope_accuracy(corpus.comments, preds),
        "duplicates": metrics.duplicates(corpus.comments, preds),
        "clusters": metrics.clusters(corpus.comments, preds),
    }


def evaluate_adoption(session, corpus: Corpus, backend: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from minyi.services.adoption import detect_adoption
    from minyi.services.analysis import analyze
    from minyi.services.context import SYSTEM
    from pipeline.align import align_versions
    from pipeline.drafts.parser import parse_file

    cid = new_consultation(session, f"{corpus.slug}（征求意见稿，采纳）", corpus.draft)
    rows = [{**r, "channel": "form"} for r in corpus.adoption]
    import_rows(session, cid, rows, f"{corpus.slug}-adoption")
    analyze(session, SYSTEM, cid, backend=backend)
    detect_adoption(session, SYSTEM, cid, corpus.final)
    session.flush()
    preds = predictions(session, cid)
    pairs = align_versions(parse_file(corpus.draft), parse_file(corpus.final))
    counterpart: dict[int, set[int]] = defaultdict(set)
    for p in pairs:
        if p.old is not None and p.new is not None:
            counterpart[p.old].add(p.new)
    return {"adoption": metrics.adoption(corpus.adoption, preds),
            "alignment": metrics.alignment(corpus.adoption, counterpart)}


# --- report --------------------------------------------------------------------------------

FIGURES = [
    ("explicit exact", ("explicit", "exact"), 0.98),
    ("ref-free exact", ("reference_free", "exact"), None),
    ("ref-free precision", ("reference_free", "precision"), 0.85),
    ("ref-free recall", ("reference_free", "recall"), 0.85),
    ("kept off articles", ("kept_off", "share"), 0.85),
    ("scope accuracy", ("scope", "accuracy"), None),
    ("duplicates P", ("duplicates", "precision"), None),
    ("duplicates R", ("duplicates", "recall"), None),
    ("duplicates F1", ("duplicates", "f1"), 0.97),
    ("cluster ARI", ("clusters", "mean_ari"), 0.60),
    ("adoption 3-class", ("adoption", "accuracy_3class"), 0.85),
    ("adoption 4-class", ("adoption", "accuracy_4class"), None),
    ("alignment", ("alignment", "share"), None),
]


def figure(result: dict[str, Any], path: tuple[str, str]) -> float | None:
    return (result.get(path[0]) or {}).get(path[1])


def table(results: list[dict[str, Any]]) -> str:
    heads = [f"{r['corpus']} ({r['split']})" for r in results]
    lines = ["| figure | target | " + " | ".join(heads) + " |", "|---" * (len(heads) + 2) + "|"]
    for name, path, target in FIGURES:
        vals = [figure(r, path) for r in results]
        if all(v is None for v in vals):
            continue
        cells = ["—" if v is None else f"{v:.3f}" for v in vals]
        lines.append(f"| {name} | {'' if target is None else f'≥ {target}'} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpora", nargs="*", help="corpus slugs (default: every corpus with labels)")
    ap.add_argument("--backend", default="tfidf")
    ap.add_argument("--json", type=Path, help="write the full results (with misses) here")
    ap.add_argument("--no-adoption", action="store_true")
    ap.add_argument("--misses", action="store_true", help="print the misses of each figure")
    args = ap.parse_args(argv)
    slugs = args.corpora or available()
    results = []
    for slug in slugs:
        r = evaluate_corpus(load(slug), backend=args.backend, adoption=not args.no_adoption)
        results.append(r)
        print(f"{slug}: {r.get('seconds_analyze', '—')}s", file=sys.stderr)
    print(table(results))
    if args.misses:
        for r in results:
            for key in ("explicit", "reference_free", "kept_off", "adoption"):
                for m in (r.get(key) or {}).get("misses", []):
                    print(r["corpus"], key, json.dumps(m, ensure_ascii=False))
            if "scope" not in r:  # an adoption set alone
                continue
            print(r["corpus"], "scope", json.dumps(r["scope"]["confusion"], ensure_ascii=False))
            print(r["corpus"], "dups missed", r["duplicates"]["missed"][:20], "wrong", r["duplicates"]["wrong"][:20])
            print(r["corpus"], "clusters", r["clusters"]["articles"])
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
