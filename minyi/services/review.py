"""Reviewer operations: correcting what the analysis decided.

Each operation takes the acting user, checks the "review" permission on the consultation,
refuses an edit made on an older version of the row than the stored one
(``expected_version``: the ``version`` the reviewer saw; ``ConflictError`` names both and
the change in between), writes one audit row with every touched row before → after, and
returns a :class:`~minyi.services.audit_log.ChangeResult`. :func:`undo` puts back the last
operation of the same user.

What the analysis keeps on a re-run (``models.analysis_store`` reads these marks):

* a moved suggestion has ``reviewed_scope`` and, for articles, manual links: it is never
  mapped again; a non-opinion is never deduplicated nor clustered;
* a suggestion taken out of a duplicate group, or put into one by joining groups, has
  ``group_is_manual``: the analysis never puts it into a group nor takes it out of one;
* members a reviewer placed (assign, split, merge) are ``is_manual``, and so are clusters a
  reviewer shaped: clustering never moves them; labels and texts are never rewritten.

Duplicates say the same thing, so they move together: moving, assigning or splitting out a
suggestion takes the other members of its duplicate group along. Take it out of its group
first (:func:`ungroup_suggestion`) to move it alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from minyi.core.errors import InputError, NotFoundError
from minyi.services.audit_log import ChangeResult, record_change
from minyi.services.context import Actor
from models import review_store as rs
from models.entities import Cluster, Consultation, Suggestion
from models.store import get_consultation

# --to values besides articles, and the reviewed_scope each sets.
SCOPE_TARGETS = {
    "general": "general",
    "out-of-scope": "out_of_scope",
    "out_of_scope": "out_of_scope",
    "not-opinion": "not_opinion",
    "not_opinion": "not_opinion",
}
SCOPE_TEXT = {"general": "总体意见", "out_of_scope": "草案范围外", "not_opinion": "非意见"}
# Operations undo can put back, and the permission each needs.
UNDOABLE = {
    "move_suggestion": "review",
    "merge_clusters": "review",
    "split_cluster": "review",
    "assign_suggestion": "review",
    "update_cluster": "review",
    "ungroup_suggestion": "review",
    "join_groups": "review",
    "update_consultation": "edit_consultation",
    "update_symposium": "edit_consultation",
}
UNDO = "undo"
# A label made for a new cluster from its representative's wording.
_LABEL_CHARS = 30


def _consultation(session: Session, actor: Actor, consultation_id: int, permission: str = "review") -> Consultation:
    consultation = get_consultation(session, consultation_id)
    actor.require(permission, consultation)
    return consultation


def _same_consultation(rows: Iterable[Any]) -> int:
    rows = list(rows)
    ids = {r.consultation_id for r in rows}
    if len(ids) > 1:
        names = ", ".join(f"{rs.name_of(r)} (consultation {r.consultation_id})" for r in rows)
        raise InputError(f"{names} belong to different consultations",
                         message_zh="所选记录不属于同一征求意见任务")
    return ids.pop()


def _check_versions(session: Session, rows: Sequence[Any], expected_version: int | None,
                    expected_versions: Mapping[int, int] | None) -> None:
    """``expected_version`` is the first row's; ``expected_versions`` (id → version) any row's."""
    for i, row in enumerate(rows):
        expected = (expected_versions or {}).get(row.id)
        if expected is None and i == 0:
            expected = expected_version
        rs.check_version(session, row, expected)


def _and_duplicates(n: int) -> str:
    return f" with its {n} duplicate(s)" if n else ""


# --- moving a suggestion --------------------------------------------------------------------


def move_suggestion(
    session: Session,
    actor: Actor,
    suggestion_id: int,
    to: str | Sequence[str],
    *,
    expected_version: int | None = None,
) -> ChangeResult:
    """Put a suggestion (with its duplicates) on other articles ("12", "12.2" for 第十二条第二款,
    several for several articles), or under 总体意见 ("general"), 草案范围外 ("out-of-scope")
    or 非意见 ("not-opinion": greetings, a host's remarks, "同问" — left out of the document).
    It leaves the clusters that do not fit its new place; the next analysis clusters it
    there."""
    suggestion = rs.get_suggestion(session, suggestion_id)
    _consultation(session, actor, suggestion.consultation_id)
    rs.check_version(session, suggestion, expected_version)
    targets = [to] if isinstance(to, str) else list(to)
    if not targets:
        raise InputError("--to: give where the suggestion belongs (12, 12.2, general, out-of-scope, not-opinion)")
    scopes = [SCOPE_TARGETS.get(t.strip().lower()) for t in targets]
    if any(scopes) and len(targets) > 1:
        raise InputError(
            f"--to: {', '.join(targets)}: general, out-of-scope and not-opinion stand alone",
            message_zh="总体意见、草案范围外、非意见不能与条款同时选择",
        )
    scope = scopes[0] or "article"
    articles = []
    if scope == "article":
        articles = [rs.article_target(session, suggestion.consultation_id, t) for t in targets]
        seen: dict[int, str] = {}
        for a in articles:
            if a.provision.id in seen and seen[a.provision.id] != a.label:
                raise InputError(
                    f"--to: {seen[a.provision.id]} and {a.label} are paragraphs of one article; "
                    "give one of them or the article",
                    message_zh=f"{seen[a.provision.id]}与{a.label}属于同一条，请只选其一",
                )
            seen[a.provision.id] = a.label
        articles = list({a.provision.id: a for a in articles}.values())
    was = rs.describe_placement(session, suggestion)
    group = rs.with_duplicates(session, suggestion)
    change = rs.Change(session)
    change.touch(*group)
    wanted = {f"article:{a.provision.id}" for a in articles} or {
        "general": {"general"}, "out_of_scope": {"other"}, "not_opinion": set()
    }[scope]
    for member in group:
        rs.replace_links(session, member, [rs.manual_link(a) for a in articles])
        member.reviewed_scope = scope
        member.is_general = scope == "general"
        member.is_out_of_scope = scope == "out_of_scope"
    left = rs.leave_clusters(change, [m.id for m in group], keep=lambda c: rs.cluster_placement(c) in wanted)
    rs.settle(change, left)
    now = "、".join(a.label for a in articles) if articles else SCOPE_TEXT[scope]
    others = len(group) - 1
    return record_change(
        session, actor, "move_suggestion", suggestion, change,
        f"moved suggestion {suggestion.id}{_and_duplicates(others)} from {was} to {now}",
        f"将意见建议{suggestion.id}{f'及其{others}条重复意见' if others else ''}由{was}调整为{now}",
        consultation_id=suggestion.consultation_id,
    )


# --- clusters -------------------------------------------------------------------------------


def merge_clusters(
    session: Session,
    actor: Actor,
    cluster_ids: Sequence[int],
    *,
    expected_version: int | None = None,
    expected_versions: Mapping[int, int] | None = None,
) -> ChangeResult:
    """Merge clusters of one article (or of 总体意见 / 其他) into the first: it keeps its
    label and texts (taking another's where it has none) and the others are removed."""
    ids = list(dict.fromkeys(cluster_ids))
    if len(ids) < 2:
        raise InputError("merge: give two clusters or more", message_zh="请至少选择两条归并意见")
    clusters = [rs.get_cluster(session, i) for i in ids]
    consultation_id = _same_consultation(clusters)
    _consultation(session, actor, consultation_id)
    _check_versions(session, clusters, expected_version, expected_versions)
    target = clusters[0]
    place = rs.cluster_placement(target)
    for other in clusters[1:]:
        if rs.cluster_placement(other) != place:
            raise InputError(
                f"cluster {other.id} ({other.scope}) and cluster {target.id} ({target.scope}) are on "
                "different articles; move the suggestions first (minyi review move)",
                message_zh=f"归并意见{other.id}与{target.id}涉及不同条款，请先调整意见建议的条款",
            )
    change = rs.Change(session)
    change.touch(*clusters)
    left: set[int] = set()
    for other in clusters[1:]:
        for name in ("consolidated_text", "reason_text", "label"):
            if not getattr(target, name) and getattr(other, name):
                setattr(target, name, getattr(other, name))
        target.keywords = list(dict.fromkeys([*(target.keywords or []), *(other.keywords or [])]))
        target.reviewed = bool(target.reviewed and other.reviewed)
        left |= rs.join_cluster(change, target, rs.member_ids(session, other))
    target.is_manual = True
    rs.settle(change, left | {target.id})
    merged = ", ".join(str(c.id) for c in clusters[1:])
    return record_change(
        session, actor, "merge_clusters", target, change,
        f"merged cluster(s) {merged} into cluster {target.id}",
        f"将归并意见{'、'.join(str(c.id) for c in clusters[1:])}合并入归并意见{target.id}",
        consultation_id=consultation_id,
    )


def split_cluster(
    session: Session,
    actor: Actor,
    cluster_id: int,
    suggestion_ids: Sequence[int],
    *,
    expected_version: int | None = None,
) -> ChangeResult:
    """Move the chosen members (with their duplicates in the cluster) to a new cluster of
    the same article."""
    cluster = rs.get_cluster(session, cluster_id)
    _consultation(session, actor, cluster.consultation_id)
    rs.check_version(session, cluster, expected_version)
    current = rs.member_ids(session, cluster)
    chosen = list(dict.fromkeys(suggestion_ids))
    if not chosen:
        raise InputError("--members: give the suggestions that form the new cluster")
    strangers = [i for i in chosen if i not in current]
    if strangers:
        raise InputError(
            f"--members: suggestion(s) {', '.join(map(str, strangers))} are not in cluster {cluster.id}",
            message_zh=f"意见建议{'、'.join(map(str, strangers))}不在归并意见{cluster.id}中",
        )
    moving = _with_duplicates_in(session, chosen, set(current))
    if set(moving) >= set(current):
        raise InputError(
            f"--members: a split must leave at least one suggestion in cluster {cluster.id}",
            message_zh="拆分后原归并意见中至少应保留一条意见建议",
        )
    change = rs.Change(session)
    change.touch(cluster)
    representative = rs.pick_representative(session, moving)
    new = Cluster(
        consultation_id=cluster.consultation_id, scope=cluster.scope, provision_id=cluster.provision_id,
        label=rs.suggestion_text(session, representative)[:_LABEL_CHARS], keywords=[],
        representative_suggestion_id=representative, type=cluster.type, size=len(moving), is_manual=True,
    )
    session.add(new)
    session.flush()
    change.created(new)
    rs.join_cluster(change, new, moving)
    cluster.is_manual = True
    rs.settle(change, {cluster.id, new.id})
    return record_change(
        session, actor, "split_cluster", cluster, change,
        f"split suggestion(s) {', '.join(map(str, moving))} out of cluster {cluster.id} into new cluster {new.id}",
        f"将意见建议{'、'.join(map(str, moving))}从归并意见{cluster.id}拆分为新的归并意见{new.id}",
        consultation_id=cluster.consultation_id,
    )


def _with_duplicates_in(session: Session, suggestion_ids: Sequence[int], among: set[int]) -> list[int]:
    out: dict[int, None] = {}
    for sid in suggestion_ids:
        out[sid] = None
        for fellow in rs.with_duplicates(session, rs.get_suggestion(session, sid)):
            if fellow.id in among:
                out[fellow.id] = None
    return list(out)


def assign_suggestion(
    session: Session,
    actor: Actor,
    suggestion_id: int,
    cluster_id: int,
    *,
    expected_version: int | None = None,
) -> ChangeResult:
    """Move a suggestion (with its duplicates) into another cluster of the same article (or
    of 总体意见 / 其他); a cluster it leaves empty is removed."""
    suggestion = rs.get_suggestion(session, suggestion_id)
    cluster = rs.get_cluster(session, cluster_id)
    consultation_id = _same_consultation([suggestion, cluster])
    _consultation(session, actor, consultation_id)
    rs.check_version(session, suggestion, expected_version)
    place = rs.cluster_placement(cluster)
    if place not in rs.placements(session, suggestion):
        where = rs.describe_placement(session, suggestion)
        raise InputError(
            f"suggestion {suggestion.id} is on {where}, cluster {cluster.id} on {cluster.scope}: "
            f"move the suggestion first (minyi review move {suggestion.id} --to …)",
            message_zh=f"意见建议{suggestion.id}属于{where}，与归并意见{cluster.id}不一致，请先调整条款",
        )
    movers = [m for m in rs.with_duplicates(session, suggestion) if place in rs.placements(session, m)]
    change = rs.Change(session)
    change.touch(*movers)
    left = rs.join_cluster(change, cluster, [m.id for m in movers])
    rs.settle(change, left | {cluster.id})
    others = len(movers) - 1
    return record_change(
        session, actor, "assign_suggestion", suggestion, change,
        f"moved suggestion {suggestion.id}{_and_duplicates(others)} to cluster {cluster.id}",
        f"将意见建议{suggestion.id}{f'及其{others}条重复意见' if others else ''}调整至归并意见{cluster.id}",
        consultation_id=consultation_id,
    )


def update_cluster(
    session: Session,
    actor: Actor,
    cluster_id: int,
    *,
    label: str | None = None,
    representative: int | None = None,
    opinion: str | None = None,
    reason: str | None = None,
    reviewed: bool | None = None,
    expected_version: int | None = None,
) -> ChangeResult:
    """Relabel a cluster, choose its representative, write the consolidated 修改意见 and
    理由 sent upward, mark it reviewed (None: leave as it is; "" clears a text). The
    document uses the consolidated wording once the cluster is reviewed."""
    cluster = rs.get_cluster(session, cluster_id)
    _consultation(session, actor, cluster.consultation_id)
    rs.check_version(session, cluster, expected_version)
    if all(v is None for v in (label, representative, opinion, reason, reviewed)):
        raise InputError("nothing to change: give --label, --representative, --opinion, --reason or --reviewed")
    if representative is not None and representative not in rs.member_ids(session, cluster):
        raise InputError(
            f"--representative: suggestion {representative} is not in cluster {cluster.id}",
            message_zh=f"意见建议{representative}不在归并意见{cluster.id}中",
        )
    change = rs.Change(session)
    change.touch(cluster)
    done, done_zh = [], []
    if label is not None:
        cluster.label = label.strip()[:500] or None
        done.append(f"label {cluster.label!r}")
        done_zh.append(f"标题改为“{cluster.label or ''}”")
    if representative is not None:
        cluster.representative_suggestion_id = representative
        done.append(f"representative suggestion {representative}")
        done_zh.append(f"代表意见改为意见建议{representative}")
    if opinion is not None:
        cluster.consolidated_text = opinion.strip() or None
        done.append("修改意见 written" if cluster.consolidated_text else "修改意见 cleared")
        done_zh.append("填写修改意见" if cluster.consolidated_text else "清除修改意见")
    if reason is not None:
        cluster.reason_text = reason.strip() or None
        done.append("理由 written" if cluster.reason_text else "理由 cleared")
        done_zh.append("填写理由" if cluster.reason_text else "清除理由")
    if reviewed is not None:
        cluster.reviewed = reviewed
        done.append("marked reviewed" if reviewed else "marked not reviewed")
        done_zh.append("标记为已审阅" if reviewed else "取消已审阅")
    return record_change(
        session, actor, "update_cluster", cluster, change,
        f"cluster {cluster.id}: {', '.join(done)}",
        f"归并意见{cluster.id}：{'，'.join(done_zh)}",
        consultation_id=cluster.consultation_id,
    )


def relabel_cluster(session: Session, actor: Actor, cluster_id: int, label: str, *,
                    expected_version: int | None = None) -> ChangeResult:
    return update_cluster(session, actor, cluster_id, label=label, expected_version=expected_version)


def choose_representative(session: Session, actor: Actor, cluster_id: int, suggestion_id: int, *,
                          expected_version: int | None = None) -> ChangeResult:
    return update_cluster(session, actor, cluster_id, representative=suggestion_id,
                          expected_version=expected_version)


def write_opinion(session: Session, actor: Actor, cluster_id: int, opinion: str, reason: str | None = None, *,
                  reviewed: bool | None = None, expected_version: int | None = None) -> ChangeResult:
    return update_cluster(session, actor, cluster_id, opinion=opinion, reason=reason, reviewed=reviewed,
                          expected_version=expected_version)


def mark_reviewed(session: Session, actor: Actor, cluster_id: int, reviewed: bool = True, *,
                  expected_version: int | None = None) -> ChangeResult:
    return update_cluster(session, actor, cluster_id, reviewed=reviewed, expected_version=expected_version)


# --- duplicate groups -------------------------------------------------------------------------


def ungroup_suggestion(
    session: Session,
    actor: Actor,
    suggestion_id: int,
    *,
    expected_version: int | None = None,
) -> ChangeResult:
    """Take a suggestion out of its duplicate group ("these are not the same"); the
    analysis never puts it into a group again. A group left with one member is removed."""
    suggestion = rs.get_suggestion(session, suggestion_id)
    _consultation(session, actor, suggestion.consultation_id)
    rs.check_version(session, suggestion, expected_version)
    if suggestion.duplicate_group_id is None:
        raise InputError(f"suggestion {suggestion.id} is in no duplicate group",
                         message_zh=f"意见建议{suggestion.id}不属于任何重复意见组")
    group = rs.get_group(session, suggestion.duplicate_group_id)
    rest = [m for m in rs.group_members(session, group.id) if m.id != suggestion.id]
    change = rs.Change(session)
    change.touch(suggestion, group)
    suggestion.duplicate_group_id = None
    suggestion.group_is_manual = True
    if len(rest) <= 1:
        for member in rest:  # a group of one is no group
            change.touch(member)
            member.duplicate_group_id = None
        change.deleted(group)
    else:
        group.size = len(rest)
        if group.canonical_suggestion_id == suggestion.id:
            group.canonical_suggestion_id = rs.pick_representative(session, [m.id for m in rest])
    return record_change(
        session, actor, "ungroup_suggestion", suggestion, change,
        f"took suggestion {suggestion.id} out of duplicate group {group.id}",
        f"将意见建议{suggestion.id}移出重复意见组{group.id}",
        consultation_id=suggestion.consultation_id,
    )


def join_groups(
    session: Session,
    actor: Actor,
    group_ids: Sequence[int],
    *,
    expected_version: int | None = None,
    expected_versions: Mapping[int, int] | None = None,
) -> ChangeResult:
    """Join duplicate groups into the first ("these say the same thing"); their members
    count as one opinion and share the first group's clusters."""
    ids = list(dict.fromkeys(group_ids))
    if len(ids) < 2:
        raise InputError("join-groups: give two duplicate groups", message_zh="请选择两个重复意见组")
    groups = [rs.get_group(session, i) for i in ids]
    consultation_id = _same_consultation(groups)
    _consultation(session, actor, consultation_id)
    _check_versions(session, groups, expected_version, expected_versions)
    target = groups[0]
    change = rs.Change(session)
    change.touch(*groups)
    target_members = rs.group_members(session, target.id)
    # The clusters the target's members sit in, by scope: the joined members go there too.
    home: dict[str, Cluster] = {}
    for member in rs.memberships(session, [m.id for m in target_members]):
        home.setdefault(rs.cluster_placement(member.cluster), member.cluster)
    moved: list[Suggestion] = []
    for other in groups[1:]:
        members = rs.group_members(session, other.id)
        change.touch(*members)
        for m in members:
            m.duplicate_group_id = target.id
            m.group_is_manual = True
        moved += members
        change.deleted(other)
    touched: set[int] = set()
    for member in rs.memberships(session, [m.id for m in moved]):
        place = rs.cluster_placement(member.cluster)
        if place in home and member.cluster_id != home[place].id:
            touched |= rs.join_cluster(change, home[place], [member.suggestion_id]) | {home[place].id}
    target.size = len(target_members) + len(moved)
    target.is_manual = True
    rs.settle(change, touched)
    others = ", ".join(str(g.id) for g in groups[1:])
    return record_change(
        session, actor, "join_groups", target, change,
        f"joined duplicate group(s) {others} into group {target.id}",
        f"将重复意见组{'、'.join(str(g.id) for g in groups[1:])}并入重复意见组{target.id}",
        consultation_id=consultation_id,
    )


# --- undo -----------------------------------------------------------------------------------


class _Ref:
    """The audited row of an undone operation, when the row itself is gone."""

    def __init__(self, table: str, ident: int | None) -> None:
        self.__tablename__ = table
        self.id = ident


def undo(session: Session, actor: Actor, *, consultation_id: int | None = None) -> ChangeResult:
    """Put back what the user's last operation changed (of one consultation, if given). An
    undo is audited; undoing again undoes the operation before."""
    target = last_undoable(session, actor, consultation_id)
    before = (target.before or {}).get("entities") or {}
    after = (target.after or {}).get("entities") or {}
    _consultation(session, actor, target.consultation_id, UNDOABLE[target.action])
    change = rs.Change(session)
    rs.restore(change, before, after)
    restored = [row for key, row in change.rows.items() if key.startswith("suggestion:") and key in before]
    rs.settle(change, rs.leave_unfitting_clusters(change, restored))
    row = _Ref(target.entity, target.entity_id)
    if target.entity in rs.MODELS and target.entity_id is not None:
        row = session.get(rs.MODELS[target.entity], target.entity_id) or row
    done = (target.after or {}).get("summary") or target.action
    done_zh = (target.after or {}).get("summary_zh") or target.action
    return record_change(
        session, actor, UNDO, row, change, f"undid: {done}", f"撤销：{done_zh}",
        consultation_id=target.consultation_id, extra={"undoes": target.id},
    )


def last_undoable(session: Session, actor: Actor, consultation_id: int | None = None) -> Any:
    """The user's newest operation that is undoable and not undone yet."""
    undone: set[int] = set()
    for row in rs.operations_of(session, actor.name, consultation_id):
        if row.action == UNDO:
            undone.add((row.after or {}).get("undoes"))
        elif row.id not in undone and row.action in UNDOABLE and (row.before or {}).get("entities"):
            return row
    where = f" on consultation {consultation_id}" if consultation_id is not None else ""
    raise NotFoundError(f"nothing to undo: {actor.name} has no operation left to undo{where}",
                        message_zh="没有可以撤销的操作")


__all__ = [
    "ChangeResult", "assign_suggestion", "choose_representative", "join_groups", "last_undoable",
    "mark_reviewed", "merge_clusters", "move_suggestion", "relabel_cluster", "split_cluster", "undo",
    "ungroup_suggestion", "update_cluster", "write_opinion",
]
