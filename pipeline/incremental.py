"""Incremental clustering helpers: stances, units and joining stored clusters.

Pure functions over scope members (anything with ``suggestion_id``, ``type``,
``duplicate_group_id``, ``text`` and ``follows``: the suggestions of the earlier post a
forum reply agrees with, empty for the rest); the application layer loads the members and
stores what these decide.

A reply that agrees with a post ("同意楼上，……", "+1") makes that post's point: it is
clustered with the post (in its unit, under its stance), whatever its own words.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np


# Suggestion types that state a position of their own: support for the article, or
# opposition to it. The rest ask for a change and may share a cluster, since the rules often
# confuse the kinds of change: 修改 and 增加; 删除 and 修改 ("建议删掉这个领域限制" and "建议
# 明确只限行政管理领域" on the same words); and a question that asks for a change ("这个报告
# 老百姓能不能看到？应该公开吧" beside "建议向社会公布"). Their words keep apart the changes
# that differ (the proposal distance), and requests pulling opposite ways never merge.
STANCES = {"支持": "support", "反对": "oppose"}


def stance_of(type_: str | None) -> str:
    return STANCES.get(type_ or "", "change")


def by_stance(members: list[Any], type_of: dict[int, str | None] | None = None) -> dict[str, list[Any]]:
    """Members by stance; a duplicate group stays together (under its first member's), and a
    reply takes the stance of the post it follows (looked up in ``type_of``, the scope's
    suggestion → type, when the post is not among ``members``)."""
    group_stance: dict[int, str] = {}
    known: dict[int, str] = {}
    parts: dict[str, list[Any]] = defaultdict(list)
    for m in members:
        stance = _followed_stance(m, known, type_of) or stance_of(m.type)
        if m.duplicate_group_id is not None:
            stance = group_stance.setdefault(m.duplicate_group_id, stance)
        known[m.suggestion_id] = stance
        parts[stance].append(m)
    return dict(parts)


def _followed_stance(m: Any, known: dict[int, str], type_of: dict[int, str | None] | None) -> str | None:
    for post in getattr(m, "follows", ()):
        if post in known:
            return known[post]
        if type_of is not None and post in type_of:
            return stance_of(type_of[post])
    return None


def cluster_stance(member_ids: list[int], type_of: dict[int, str | None]) -> str:
    stances = Counter(stance_of(type_of.get(sid)) for sid in member_ids)
    return stances.most_common(1)[0][0] if stances else "change"


# A new member's distance to a stored cluster is its mean over at most this many of the
# cluster's members, spread over it: a batch costs what the batch and the clusters' number
# make it cost, not the consultation's size.
JOIN_SAMPLE = 64


def join_sample(member_ids: list[int]) -> list[int]:
    """The stored members a new member is compared with (``JOIN_SAMPLE``, evenly spread)."""
    from pipeline.semantic import spread

    return spread(sorted(member_ids), JOIN_SAMPLE)


def units(members: list[Any]) -> list[list[Any]]:
    """Members grouped by duplicate group (one unit, weighted by its size, per group); a
    reply joins the unit of the post it follows when that post is among ``members``."""
    by_key: dict[Any, list[Any]] = defaultdict(list)
    key_of: dict[int, Any] = {}
    for m in members:
        key_of[m.suggestion_id] = m.duplicate_group_id if m.duplicate_group_id is not None else ("s", m.suggestion_id)
    for m in members:
        followed = [key_of[p] for p in getattr(m, "follows", ()) if p in key_of and p != m.suggestion_id]
        if followed and m.duplicate_group_id is None:
            key_of[m.suggestion_id] = followed[0]
        by_key[key_of[m.suggestion_id]].append(m)
    return list(by_key.values())


def join_stored(
    new: list[Any],
    stored: dict[int, list[int]],
    vec: dict[int, np.ndarray],
    group_of: dict[int, int | None],
    distance: float,
    *,
    text_of: dict[int, str] | None = None,
    article_text: str | None = None,
    embedding_weight: float = 1.0,
) -> tuple[dict[int, list[int]], list[Any]]:
    """New members that belong to a stored cluster of their scope: a duplicate of one of its
    members, or within ``distance`` of it — the mean proposal distance to its members in
    ``vec`` (the caller embeds ``join_sample`` of each cluster)
    (``pipeline.cluster.proposal_distances``, as the clustering itself links) when
    ``text_of`` gives the texts, else the cosine distance to its centroid; a reply joins the
    cluster of the post it follows. A request opposed to one of the cluster's members never
    joins it (by distance). Returns {cluster: new ids} and the members left over."""
    touched: dict[int, list[int]] = defaultdict(list)
    if not stored:
        return touched, new
    group_cluster: dict[int, int] = {}
    member_cluster: dict[int, int] = {}
    cluster_ids = [c for c, ids in stored.items() if ids]
    for c in cluster_ids:
        for sid in stored[c]:
            member_cluster[sid] = c
            gid = group_of.get(sid)
            if gid is not None:
                group_cluster.setdefault(gid, c)
    to_cluster = _distance_to_clusters(new, stored, cluster_ids, vec, text_of, article_text, embedding_weight)
    rest = []
    new_ids = {m.suggestion_id for m in new}
    for k, m in enumerate(new):
        target = group_cluster.get(m.duplicate_group_id) if m.duplicate_group_id is not None else None
        follows = [p for p in getattr(m, "follows", ()) if p in member_cluster or p in new_ids]
        if target is None and follows:
            # With its post: the post's cluster, or left over with it.
            target = member_cluster.get(follows[0])
        elif target is None and cluster_ids:
            best = int(np.argmin(to_cluster[k]))
            if float(to_cluster[k, best]) <= distance:
                target = cluster_ids[best]
        if target is None:
            rest.append(m)
        else:
            touched[target].append(m.suggestion_id)
            member_cluster[m.suggestion_id] = target
            if m.duplicate_group_id is not None:
                group_cluster.setdefault(m.duplicate_group_id, target)
    return touched, rest


def _distance_to_clusters(new: list[Any], stored: dict[int, list[int]], cluster_ids: list[int],
                          vec: dict[int, np.ndarray], text_of: dict[int, str] | None,
                          article_text: str | None, embedding_weight: float) -> np.ndarray:
    """(new member × stored cluster) distances."""
    if not cluster_ids or not new:
        return np.full((len(new), len(cluster_ids)), np.inf)
    if text_of is None:
        centroids = []
        for c in cluster_ids:
            rows = [vec[s] for s in stored[c] if s in vec]
            centroid = np.mean(rows, axis=0) if rows else np.zeros_like(next(iter(vec.values())))
            norm = np.linalg.norm(centroid)
            centroids.append(centroid / norm if norm else centroid)
        return 1.0 - np.stack([vec[m.suggestion_id] for m in new]) @ np.stack(centroids).T
    from pipeline.cluster import proposal_distances

    old_ids = [s for c in cluster_ids for s in stored[c] if s in vec and s in text_of]
    ids = [m.suggestion_id for m in new] + old_ids
    # New × stored only: the stored × stored square is never read.
    dist = proposal_distances([text_of[s] for s in ids], np.stack([vec[s] for s in ids]), article_text,
                              embedding_weight, first=len(new))
    col = {s: k for k, s in enumerate(old_ids)}
    out = np.full((len(new), len(cluster_ids)), np.inf)
    for j, c in enumerate(cluster_ids):
        cols = [col[s] for s in stored[c] if s in col]
        if cols:
            block = dist[:, cols]
            # Opposed to any member (2.0): never joins, whatever the mean.
            out[:, j] = np.where(block.max(axis=1) >= 2.0, np.inf, block.mean(axis=1))
    return out
