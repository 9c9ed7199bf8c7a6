"""Our clustering against BERTopic on real public writing (issue 10).

The 495 citizen messages of ``shared/data/citizen-messages`` (attachment 2: 2020 TipDM Cup,
7 gold top-level categories) are embedded once with the default backend (USE), then
clustered
- with our clusterer (``pipeline.cluster.cluster_scope``, the entry the analysis uses,
  the whole set as one scope, the backend's calibrated distance and embedding weight, and
  coarser distance thresholds beside it, since the calibrated one cuts proposals, not
  topics);
- with BERTopic on the same precomputed embeddings (``embedding_model=None``: nothing is
  downloaded; UMAP and HDBSCAN at BERTopic's defaults, a fixed random state);
and scored against the gold categories: purity, ARI, NMI, cluster count, seconds, and
BERTopic's outliers (topic −1, counted as one cluster in the scores; a second line assigns
them to the nearest topic with ``reduce_outliers(strategy="embeddings")``).

    .venv/bin/python bench/bertopic_citizen.py [--json out.json]

Skips (exit 0, one line) when ``shared/data/citizen-messages`` or BERTopic is absent.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MESSAGES = "citizen-messages/attachment2_messages_with_category.csv"
CANDIDATES = (REPO.parent / "shared" / "data", Path("/work/shared/data"))
_SPACE = re.compile(r"\s+")
SEED = 42
# (distance threshold, embedding weight) of our clusterer; None: the calibrated value.
OUR_SETTINGS = ((None, None), (0.8, None), (0.85, None), (0.6, 1.0), (0.7, 1.0), (0.8, 1.0))


def messages_file() -> Path | None:
    return next((p / MESSAGES for p in CANDIDATES if (p / MESSAGES).is_file()), None)


def load_messages(path: Path) -> tuple[list[str], list[str]]:
    """(subject + body with the leftover HTML whitespace collapsed, gold top-level category)."""
    texts, gold = [], []
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text = f"{row['留言主题']}。{row['留言详情']}"
            texts.append(_SPACE.sub(" ", text.replace("\u3000", " ")).strip())
            gold.append(row["一级分类"].strip())
    return texts, gold


def scores(gold: list[str], labels: list[int]) -> dict[str, float | int]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    by_cluster: dict[int, Counter[str]] = {}
    for g, c in zip(gold, labels):
        by_cluster.setdefault(c, Counter())[g] += 1
    purity = sum(max(c.values()) for c in by_cluster.values()) / len(gold)
    return {
        "clusters": len(by_cluster),
        "purity": round(purity, 3),
        "ari": round(float(adjusted_rand_score(gold, labels)), 3),
        "nmi": round(float(normalized_mutual_info_score(gold, labels)), 3),
    }


def ours(texts: list[str], emb: np.ndarray, distance: float | None, weight: float | None) -> tuple[list[int], float]:
    from minyi.core.settings import get_settings
    from pipeline.cluster import cluster_scope

    pipe = get_settings().pipeline.model_copy(update={"embedding_backend": "use"})
    t0 = time.perf_counter()
    out = cluster_scope(texts, emb, method="agglomerative", settings=pipe,
                        distance_threshold=distance, embedding_weight=weight)
    seconds = time.perf_counter() - t0
    labels = [0] * len(texts)
    for k, c in enumerate(out):
        for i in c.members:
            labels[i] = k
    return labels, seconds


def run_bertopic(texts: list[str], emb: np.ndarray) -> tuple[list[int], list[int], float]:
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    from pipeline.semantic import tokenize

    t0 = time.perf_counter()
    model = BERTopic(
        embedding_model=None,  # precomputed embeddings only: no model download
        umap_model=UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=SEED),
        hdbscan_model=HDBSCAN(min_cluster_size=10, metric="euclidean", cluster_selection_method="eom",
                              prediction_data=True),
        # Chinese has no spaces: topic words from our tokenizer (labels only; the clusters
        # come from UMAP + HDBSCAN on the embeddings).
        vectorizer_model=CountVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False),
    )
    topics, _ = model.fit_transform(texts, embeddings=emb)
    seconds = time.perf_counter() - t0
    reduced = model.reduce_outliers(texts, topics, strategy="embeddings", embeddings=emb)
    return [int(t) for t in topics], [int(t) for t in reduced], seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--cache", type=Path, help="an .npy file keeping the messages' embeddings between runs")
    args = ap.parse_args(argv)
    path = messages_file()
    if path is None:
        print("skipped: shared/data/citizen-messages not found")
        return 0
    try:
        import bertopic  # noqa: F401
    except ImportError:
        print("skipped: bertopic is not installed")
        return 0
    from pipeline.embed import get_embedder, thresholds_for

    texts, gold = load_messages(path)
    t0 = time.perf_counter()
    if args.cache and args.cache.is_file():
        emb = np.load(args.cache)
    else:
        emb = np.asarray(get_embedder("use").encode(texts), dtype=np.float32)
        if args.cache:
            np.save(args.cache, emb)
    embed_seconds = time.perf_counter() - t0
    rows = []
    calibrated = thresholds_for("use")
    # The calibrated cut separates proposals on one article; coarser cuts, and the embedding
    # alone (weight 1: no request words), are what a topic comparison needs.
    for distance, weight in OUR_SETTINGS:
        labels, sec = ours(texts, emb, distance, weight)
        d = calibrated.cluster_distance if distance is None else distance
        w = calibrated.cluster_embedding_weight if weight is None else weight
        name = f"ours (agglomerative, distance {d}, embedding weight {w}{', calibrated' if distance is None else ''})"
        rows.append({"method": name, **scores(gold, labels), "seconds": round(sec, 2)})
    topics, reduced, sec = run_bertopic(texts, emb)
    outliers = sum(t == -1 for t in topics)
    rows.append({"method": "BERTopic (UMAP + HDBSCAN, defaults)", **scores(gold, topics),
                 "seconds": round(sec, 2), "outliers": outliers})
    rows.append({"method": "BERTopic, outliers reduced (embeddings)", **scores(gold, reduced),
                 "seconds": round(sec, 2), "outliers": sum(t == -1 for t in reduced)})
    print(f"{len(texts)} messages, {len(set(gold))} gold categories; USE embedding {embed_seconds:.1f} s")
    print("| method | clusters | purity | ARI | NMI | seconds | outliers |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['method']} | {r['clusters']} | {r['purity']:.3f} | {r['ari']:.3f} | {r['nmi']:.3f} | "
              f"{r['seconds']} | {r.get('outliers', '—')} |")
    if args.json:
        args.json.write_text(json.dumps({"messages": len(texts), "embed_seconds": round(embed_seconds, 2),
                                         "rows": rows}, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
