"""Duplicate detection, in the style of text-dedup: a chain of small stages, each timed and
counted, that merge suggestions saying the same thing into groups ("有N人提出").

Stages (each works on the current groups' representatives, so later, costlier stages see
fewer items):

1. ``exact``: the same text after NFKC, case folding and removal of spaces and punctuation.
2. ``near``: MinHash LSH (datasketch) over character 3-shingles; a candidate pair is kept when
   its true shingle Jaccard is at least ``minhash_threshold`` (0.7) and the two texts state
   the same numbers (一年 vs 二年 is a different proposal, however similar the wording).
3. ``campaign``: form letters: one template with personal insertions (estate, a sentence of
   one's own, another citation style). Jaccard between two members may be moderate, so a
   pair qualifies on containment: the shingles they share cover ≥ ``campaign_containment``
   of the shorter text and amount to a long common template (≥ ``campaign_min_shared``).
4. ``semantic``: embedding cosine ≥ the backend's calibrated threshold, searched within a
   scope (an article, or 总体意见) so the work is not quadratic in the number of comments;
   a scope larger than ``block_size`` is first split by k-means into blocks. Pairs whose
   numbers or stance (支持 vs 反对/删除) disagree are never merged.

A group's kind is the loosest link that joined it (exact < near < campaign < semantic); its
canonical member is the most typical one (for text stages: the member whose shingles are
most shared by the others, i.e. the template; for semantic: nearest the group's centroid).

The result also carries what each stage learnt about each input (``DedupIndex``: exact key,
LSH band hashes, semantic block), which the application stores; a later batch computes the
same for itself (``text_key``, ``text_bands``, ``sign_codes`` against the blocks'
centroids) and is compared only with the stored inputs these point to.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

KINDS = ("exact", "near", "campaign", "semantic")
_RANK = {k: i for i, k in enumerate(KINDS)}
_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+(?=[年月日天个条款项元人周岁公里米倍次学时小时分钟%％])")
_SUPPORT = re.compile(r"支持|赞成|同意|赞同|保留")
_OPPOSE = re.compile(r"反对|不同意|不赞成|删除|取消|废除|不支持")


@dataclass
class DupGroup:
    kind: str  # exact / near / campaign / semantic (the loosest link that joined it)
    members: list[int]  # indices into the input, ascending
    canonical: int  # index of the member that represents the group

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def count_label(self) -> str:
        """"有N人提出" as the feedback document says it."""
        return f"有{self.size}人提出"


@dataclass
class StageReport:
    name: str
    seconds: float
    units_before: int  # distinct suggestions (groups + singletons) before the stage
    units_after: int


@dataclass
class DedupIndex:
    """What ``deduplicate`` learnt about each input that a later batch queries instead of
    comparing everything again (stored by ``models.analysis_store.save_dedup_index``):

    - ``keys``: the exact stage's key of each input (``text_key``; 0: nothing to compare);
    - ``bands``: the MinHash LSH band hashes (``band_hashes``) of the inputs the text stage
      indexed, by input;
    - ``cells``: the semantic stage's block of each input, a position in ``centroids``
      (scope, L2-normalised mean of the block's embeddings); None without embeddings.
    """

    keys: list[int]
    bands: dict[int, np.ndarray] = field(default_factory=dict)
    cells: list[int | None] = field(default_factory=list)
    centroids: list[tuple[str | None, np.ndarray]] = field(default_factory=list)


@dataclass
class DedupResult:
    groups: list[DupGroup]  # groups of two or more members
    stages: list[StageReport] = field(default_factory=list)
    index: DedupIndex | None = None

    def group_index(self, n: int) -> list[int | None]:
        """For each of the ``n`` inputs, the position of its group in ``groups`` (None if alone)."""
        out: list[int | None] = [None] * n
        for g, group in enumerate(self.groups):
            for i in group.members:
                out[i] = g
        return out

    def pairs(self) -> set[tuple[int, int]]:
        """Every pair (i < j) the result puts in one group (for evaluation; O(sum size²))."""
        return {(a, b) for g in self.groups for x, a in enumerate(g.members) for b in g.members[x + 1 :]}


# --- union-find ----------------------------------------------------------------------


class _Groups:
    """Union-find over input indices that remembers the loosest kind of link in each set."""

    def __init__(self, n: int) -> None:
        # A list, not a numpy array: find() reads it item by item, and a numpy item read
        # makes a scalar object (find() took 59 s of the 370 s comparison at 10^6 comments;
        # a list's finds take half the time).
        self.parent = list(range(n))
        self.kind: dict[int, int] = {}
        self.sets = n  # counted by union(): counting by find() walked every input twice per stage

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:  # path compression
            parent[i], i = root, parent[i]
        return root

    def union(self, a: int, b: int, kind: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        rank = max(self.kind.get(ra, 0), self.kind.get(rb, 0), _RANK[kind])
        self.parent[rb] = ra
        self.kind[ra] = rank
        self.kind.pop(rb, None)
        self.sets -= 1
        return True

    def units(self) -> dict[int, list[int]]:
        sets: dict[int, list[int]] = defaultdict(list)
        for i in range(len(self.parent)):
            sets[self.find(i)].append(i)
        return sets

    def count(self) -> int:
        return self.sets


# --- text features --------------------------------------------------------------------


def canonical_text(text: str) -> str:
    """NFKC, case-folded, without spaces or punctuation: the key of exact duplicates."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", text or "").casefold())


def canonical_texts(texts: Sequence[str]) -> list[str]:
    """``canonical_text`` of each text."""
    return _per_distinct(canonical_text, texts)


def _per_distinct(fn: Callable[[str], str], texts: Sequence[str]) -> list[str]:
    """``fn`` of each text, computed once per distinct text: a campaign's copies are
    thousands of the same string."""
    seen: dict[str, str] = {}
    return [seen[t] if t in seen else seen.setdefault(t, fn(t)) for t in texts]


def shingles(text: str, k: int = 3) -> np.ndarray:
    """Sorted unique 32-bit hashes of the character k-shingles of the canonical text."""
    return _shingles_of_canonical(canonical_text(text), k)


def _shingles_of_canonical(t: str, k: int = 3) -> np.ndarray:
    if len(t) <= k:
        return np.array([zlib.crc32(t.encode("utf-8"))], dtype=np.uint64)
    return np.unique(
        np.fromiter((zlib.crc32(t[i : i + k].encode("utf-8")) for i in range(len(t) - k + 1)), dtype=np.uint64)
    )


def numbers_of(text: str) -> frozenset[str]:
    """The numbers a text states (digits, or Chinese numerals before a unit word)."""
    from minyi.core.numerals import parse_number

    out = set()
    for token in _NUMBER.findall(unicodedata.normalize("NFKC", text or "")):
        try:
            out.add(str(parse_number(token)) if not token[0].isdigit() else token.lstrip("0") or "0")
        except ValueError:
            out.add(token)
    return frozenset(out)


def stance(text: str) -> int:
    """+1 supports, -1 opposes/asks to delete, 0 neither or both."""
    s, o = bool(_SUPPORT.search(text or "")), bool(_OPPOSE.search(text or ""))
    return 0 if s == o else (1 if s else -1)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / max(a.size + b.size - inter, 1)


def shared(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.intersect1d(a, b, assume_unique=True).size)


def _timed(name: str, groups: _Groups, reports: list[StageReport], fn: Callable[[], None]) -> None:
    before = groups.count()
    start = time.perf_counter()
    fn()
    reports.append(StageReport(name, round(time.perf_counter() - start, 4), before, groups.count()))


# --- stages ---------------------------------------------------------------------------


# Below this many characters a text does not say what it is about ("建议删除这一条。"): two
# such texts are duplicates only within the same scope (article).
SCOPE_FREE_CHARS = 40


def _scope_key(i: int, text: str, scopes: Sequence[str | None] | None) -> str | None:
    return _text_scope(text, None if scopes is None else scopes[i])


def _text_scope(text: str, scope: str | None) -> str | None:
    """The scope a text is compared within: its own for a short one, none for a long one."""
    if scope is None or len(text) >= SCOPE_FREE_CHARS:
        return None
    return scope or ""


def _hash64(data: bytes) -> int:
    """A stable signed 64-bit hash (a database BIGINT); never 0, which means "no key"."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True) or 1


def text_key(text: str, scope: str | None = None) -> int:
    """The exact stage's key: the canonical text, with its scope when the text is short
    (``SCOPE_FREE_CHARS``); 0 when nothing is left to compare (punctuation only)."""
    return _clean_key(canonical_text(text), scope)


def _clean_key(clean: str, scope: str | None) -> int:
    if not clean:
        return 0
    return _hash64(f"{_text_scope(clean, scope)}\x00{clean}".encode("utf-8"))


def _keys(clean: Sequence[str], scopes: Sequence[str | None] | None) -> list[int]:
    """Each canonical text's ``text_key``, hashed once per distinct (text, scope)."""
    key_of: dict[tuple[str, str | None], int] = {}
    keys = []
    for i, c in enumerate(clean):
        at = (c, None if scopes is None else scopes[i])
        if at not in key_of:
            key_of[at] = _clean_key(*at)
        keys.append(key_of[at])
    return keys


def exact_stage(texts: Sequence[str], groups: _Groups, scopes: Sequence[str | None] | None = None,
                clean: Sequence[str] | None = None) -> list[int]:
    """Returns each text's key (``text_key``). ``clean``: the texts' ``canonical_texts``."""
    keys = _keys(canonical_texts(texts) if clean is None else clean, scopes)
    first: dict[int, int] = {}
    for i, key in enumerate(keys):
        if not key:
            continue  # empty or punctuation only: nothing to compare
        j = first.setdefault(key, i)
        if j != i:
            groups.union(j, i, "exact")
    return keys


@dataclass
class TextDupParams:
    minhash_threshold: float = 0.7
    num_perm: int = 128
    lsh_threshold: float = 0.45  # candidate recall for campaign members (moderate Jaccard)
    campaign_containment: float = 0.6
    campaign_min_shared: int = 50
    campaign_min_chars: int = 60
    # A writer's resubmission with a sentence added: the shorter text whole inside the longer
    # (however short the text is), and at least half of the longer.
    resubmission_containment: float = 0.95
    resubmission_min_shared: int = 20
    resubmission_min_jaccard: float = 0.5
    # Shortened copies of a campaign (shortened_copy_stage).
    shortened_min_members: int = 3
    shortened_min_bigrams: int = 8
    shortened_containment: float = 0.45
    # Cap on members of one group kept in the LSH index: bounds query cost for big campaigns.
    max_indexed_per_group: int = 30
    max_checks_per_group: int = 3


def text_dup_stage(
    texts: Sequence[str],
    groups: _Groups,
    params: TextDupParams,
    *,
    kinds: tuple[str, ...] = ("near", "campaign"),
    scopes: Sequence[str | None] | None = None,
    bands: dict[int, np.ndarray] | None = None,
    clean: Sequence[str] | None = None,
) -> None:
    """Near duplicates and campaigns in one streaming LSH pass over unit representatives
    (``clean``: the texts' ``canonical_texts``, when the caller has them).

    Each representative queries the LSH index of those before it, is checked against at most
    a few members of each candidate group, then is indexed (unless its group is already well
    represented), so the work grows with the number of items, not with their pairs. The band
    hashes of what was indexed go into ``bands``, for a later batch to query.
    """
    from datasketch import MinHashLSH

    reps = sorted(min(members) for members in groups.units().values())
    lsh = MinHashLSH(threshold=params.lsh_threshold, num_perm=params.num_perm)
    hasher = _MinHasher(params.num_perm)
    sh: dict[int, np.ndarray] = {}
    nums: dict[int, frozenset[str]] = {}
    indexed_per_root: Counter[int] = Counter()
    clean = canonical_texts(texts) if clean is None else clean
    scope = {i: _scope_key(i, clean[i], scopes) for i in reps}
    for i in reps:
        if not clean[i]:
            continue
        sh[i] = _shingles_of_canonical(clean[i])
        nums[i] = numbers_of(texts[i])
        m = hasher(sh[i])
        by_root: dict[int, list[int]] = defaultdict(list)
        for j in lsh.query(m):
            by_root[groups.find(j)].append(j)
        for root, members in by_root.items():
            if groups.find(i) == root:
                continue
            for j in members[: params.max_checks_per_group]:
                if scope[i] != scope[j]:
                    continue
                kind = _text_pair_kind(clean[i], clean[j], sh[i], sh[j], nums[i], nums[j], params)
                if kind in kinds:
                    groups.union(j, i, kind)
                    break
        root = groups.find(i)
        if indexed_per_root[root] < params.max_indexed_per_group:
            lsh.insert(i, m)
            indexed_per_root[root] += 1
            if bands is not None:
                bands[i] = band_hashes(m.hashvalues, lsh.b, lsh.r)


class _MinHasher:
    """MinHashes with one set of permutations for all: MinHash() would draw its own for
    every text (a seeded draw, so the same values, at a quarter of the text stage's time)."""

    def __init__(self, num_perm: int) -> None:
        from datasketch import MinHash

        self.num_perm = num_perm
        self.template = MinHash(num_perm=num_perm, hashfunc=_identity)

    def __call__(self, shingle_hashes: np.ndarray):  # type: ignore[no-untyped-def]
        from datasketch import MinHash

        m = MinHash(num_perm=self.num_perm, hashfunc=_identity,
                    permutations=self.template.permutations, scheme=self.template.scheme)
        m.update_batch(shingle_hashes)
        return m


def band_hashes(hashvalues: np.ndarray, b: int, r: int) -> np.ndarray:
    """One 64-bit hash per LSH band (``b`` bands of ``r`` MinHash values, as datasketch cuts
    them): two texts are LSH candidates when they share one."""
    values = np.asarray(hashvalues, dtype="<u8")
    return np.array([_hash64(bytes([k]) + values[k * r : (k + 1) * r].tobytes()) for k in range(b)], dtype=np.int64)


def text_bands(texts: Sequence[str], params: TextDupParams) -> list[np.ndarray | None]:
    """Each text's band hashes as the text stage computes them (None: nothing to compare),
    to find a new batch's candidates among stored texts."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=params.lsh_threshold, num_perm=params.num_perm)
    hasher = _MinHasher(params.num_perm)
    out: list[np.ndarray | None] = []
    for t in texts:
        clean = canonical_text(t)
        out.append(band_hashes(hasher(_shingles_of_canonical(clean)).hashvalues, lsh.b, lsh.r) if clean else None)
    return out


# Request words every comment uses: they say nothing about which template a text copies.
_GENERIC_BIGRAMS = frozenset({"建议", "意见", "同意", "支持", "希望", "规定", "条例", "应当", "应该", "我们", "大家"})


# Remembered: the campaign pass reads the same letters and the template's sentences many
# times over (a campaign's copies are a few wordings). Small: a frozenset of bigrams takes
# about 6 KB, so 4,096 of them about 25 MB.
@lru_cache(maxsize=4096)
def _bigrams(text: str) -> frozenset[str]:
    return frozenset(_clean_bigrams(canonical_text(text)))


def _clean_bigrams(clean: str) -> set[str]:
    """The character bigrams of a canonical text, less the generic ones."""
    return {clean[i : i + 2] for i in range(len(clean) - 1)} - _GENERIC_BIGRAMS


def _shared_bigrams(copies: Counter[str], bigrams_of: Callable[[str], set[str]]) -> set[str]:
    """The bigrams (``bigrams_of`` a wording) at least half the copies share, and at least
    two: a template, without the personal insertions. Each distinct wording is read once and
    counted as often as it was copied: a campaign at 10^6 comments is a hundred thousand
    letters in a few thousand wordings."""
    counts: Counter[str] = Counter()
    for wording, n in copies.items():
        for b in bigrams_of(wording):
            counts[b] += n
    total = sum(copies.values())
    return {b for b, k in counts.items() if k >= max(2, total / 2)}


def shortened_copy_stage(
    texts: Sequence[str], groups: _Groups, params: TextDupParams, scopes: Sequence[str | None] | None = None,
    clean: Sequence[str] | None = None,
) -> None:
    """Shortened copies of a campaign ("支持第十九条！建议明确小区门禁不得只用人脸识别……"):
    a text on its own whose character bigrams mostly come from the campaign's template (the
    bigrams at least half its members share, so personal insertions do not count), stating
    no number the template does not, joins the campaign. Same scope, or none found for it."""
    # Citations aside: every comment on the campaign's article cites it ("第五十八条删除一人公司
    # 数量限制", a point of someone's own list, is no copy for citing the article).
    clean = _per_distinct(_letter_text, canonical_texts(texts) if clean is None else clean)
    units = groups.units()
    templates = []
    for root, members in units.items():
        if len(members) < params.shortened_min_members or KINDS[groups.kind.get(root, 0)] not in ("near", "campaign"):
            continue
        common = _shared_bigrams(Counter(clean[i] for i in members), _clean_bigrams)
        nums = frozenset().union(*(numbers_of(t) for t in {texts[i] for i in members}))
        member_scopes = {_scope_key(i, "", scopes) for i in members}
        templates.append((root, common, nums, member_scopes))
    if not templates:
        return
    # A text on an article is compared with the templates that have a member there, not with
    # every campaign of the consultation (thousands at 10^6 comments).
    on_scope: dict[str | None, list[tuple]] = defaultdict(list)
    for template in templates:
        for scope in template[3]:
            on_scope[scope].append(template)
    for members in units.values():
        if len(members) != 1:
            continue
        i = members[0]
        grams = _clean_bigrams(clean[i])
        if len(grams) < params.shortened_min_bigrams:
            continue
        own_scope = _scope_key(i, "", scopes)
        best = None
        for root, common, nums, _member_scopes in templates if own_scope in (None, "general") else on_scope.get(own_scope, ()):
            contain = len(grams & common) / len(grams)
            if contain >= params.shortened_containment and numbers_of(texts[i]) <= nums:
                if best is None or contain > best[0]:
                    best = (contain, root)
        if best is not None:
            groups.union(best[1], i, "campaign")


def _identity(x):  # type: ignore[no-untyped-def]
    return int(x)


def _text_pair_kind(
    ta: str, tb: str, a: np.ndarray, b: np.ndarray, na: frozenset, nb: frozenset, p: TextDupParams
) -> str | None:
    inter = shared(a, b)
    jac = inter / max(a.size + b.size - inter, 1)
    if jac >= p.minhash_threshold and na == nb:
        return "near"
    contain = inter / max(min(a.size, b.size), 1)
    long_enough = min(len(ta), len(tb)) >= p.campaign_min_chars
    if long_enough and contain >= p.campaign_containment and inter >= p.campaign_min_shared:
        # Personal insertions add numbers (建于1994年) but do not change the template's: one
        # side's numbers must contain the other's, unless both letters are long.
        if na <= nb or nb <= na or min(len(ta), len(tb)) >= 150:
            return "campaign"
    # Not a form letter's copy (a campaign's letters stay "campaign": 统一格式来信), but one
    # writer's text sent again with a sentence added, however short.
    if (contain >= p.resubmission_containment and inter >= p.resubmission_min_shared
            and jac >= p.resubmission_min_jaccard and (na <= nb or nb <= na) and stance(ta) == stance(tb)):
        return "near"
    return None


def semantic_stage(
    texts: Sequence[str],
    embeddings: np.ndarray,
    groups: _Groups,
    threshold: float,
    scopes: Sequence[str | None] | None,
    block_size: int = 2000,
    neighbours: int = 10,
    min_term_overlap: float = 0.7,
    index: DedupIndex | None = None,
) -> None:
    """Merge unit representatives whose embeddings are at least ``threshold`` similar.

    The blocks are kept in ``index`` (``cells`` and ``centroids``; every member of a unit in
    its representative's block), for a later batch to compare with one block only."""
    units = groups.units()
    reps = sorted(min(members) for members in units.values())
    by_scope: dict[str | None, list[int]] = defaultdict(list)
    for i in reps:
        by_scope[None if scopes is None else scopes[i]].append(i)
    from pipeline.semantic import key_terms

    nums: dict[int, frozenset[str]] = {}
    terms: dict[int, frozenset[str]] = {}
    stances: dict[int, int] = {}
    for scope, scope_items in by_scope.items():
        for block in _blocks(scope_items, embeddings, block_size):
            sub = embeddings[block]
            if index is not None:
                _keep_cell(index, scope, block, sub)
            k = min(neighbours + 1, len(block))
            if k < 2:
                continue
            # Within a block (≤ block_size items) a dense product is cheap and exact.
            for start in range(0, len(block), 1024):
                sims = sub[start : start + 1024] @ sub.T
                top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
                for r, row in enumerate(top):
                    i = block[start + r]
                    for c in row:
                        j = block[c]
                        if j <= i or sims[r, c] < threshold:
                            continue
                        if _memo(nums, i, numbers_of, texts) != _memo(nums, j, numbers_of, texts):
                            continue
                        if _memo(stances, i, stance, texts) * _memo(stances, j, stance, texts) < 0:
                            continue
                        # Same wording frame, another object or remedy ("骑行" vs "停放"):
                        # embeddings sit close, the legal vocabulary does not.
                        ki = _memo(terms, i, key_terms, texts)
                        kj = _memo(terms, j, key_terms, texts)
                        if _set_jaccard(ki, kj) < min_term_overlap:
                            continue
                        groups.union(i, j, "semantic")
    if index is not None:
        for members in units.values():
            cell = index.cells[min(members)]
            for i in members:
                index.cells[i] = cell


def _keep_cell(index: DedupIndex, scope: str | None, block: list[int], vectors: np.ndarray) -> None:
    centre = vectors.mean(axis=0)
    index.centroids.append((scope, centre / max(float(np.linalg.norm(centre)), 1e-12)))
    for i in block:
        index.cells[i] = len(index.centroids) - 1


def _memo(cache: dict, i: int, fn: Callable, texts: Sequence[str]):  # type: ignore[no-untyped-def]
    """``fn(texts[i])``, computed once per item (``dict.setdefault`` would compute it every time)."""
    if i not in cache:
        cache[i] = fn(texts[i])
    return cache[i]


def _set_jaccard(a: frozenset, b: frozenset) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _blocks(items: list[int], embeddings: np.ndarray, block_size: int) -> list[list[int]]:
    """``items`` as is, or split by k-means into blocks of about ``block_size`` (duplicates
    land in the same block: they are each other's nearest points)."""
    if len(items) <= block_size:
        return [items]
    from sklearn.cluster import MiniBatchKMeans

    k = int(np.ceil(len(items) / (block_size / 2)))
    labels = MiniBatchKMeans(n_clusters=k, random_state=0, n_init=1, batch_size=4096).fit_predict(
        embeddings[items]
    )
    blocks: dict[int, list[int]] = defaultdict(list)
    for item, label in zip(items, labels):
        blocks[int(label)].append(item)
    out = []
    for block in blocks.values():  # an over-full k-means cell is cut, not left quadratic
        out.extend(block[s : s + block_size] for s in range(0, len(block), block_size))
    return out


# --- canonical member -----------------------------------------------------------------


def canonical_member(members: list[int], texts: Sequence[str], embeddings: np.ndarray | None, kind: str) -> int:
    """The group's most typical member (see the module doc); ties go to the longer text."""
    if len(members) == 1:
        return members[0]
    if kind == "semantic" and embeddings is not None:
        sub = embeddings[members]
        centre = sub.mean(axis=0)
        return members[int(np.argmax(sub @ centre))]
    sample = members if len(members) <= 500 else members[:: max(1, len(members) // 500)]
    sets = {i: shingles(texts[i]) for i in sample}
    freq: Counter[int] = Counter()
    for s in sets.values():
        freq.update(s.tolist())
    half = len(sample) / 2

    def score(i: int) -> tuple[float, int]:
        s = sets[i]
        common = sum(1 for h in s.tolist() if freq[h] > half)
        return (common / max(s.size, 1), len(texts[i]))

    return max(sample, key=score)


# --- the chain ------------------------------------------------------------------------


def deduplicate(
    texts: Sequence[str],
    embeddings: np.ndarray | None = None,
    *,
    scopes: Sequence[str | None] | None = None,
    semantic_threshold: float | None = None,
    minhash_threshold: float | None = None,
    num_perm: int | None = None,
    settings=None,  # type: ignore[no-untyped-def]
    stages: Sequence[str] = KINDS,
    params: TextDupParams | None = None,
    backend: str | None = None,
    alone: Sequence[bool] | None = None,
) -> DedupResult:
    """Group duplicate ``texts`` (normalised suggestion texts).

    ``embeddings`` (one L2-normalised row per text) enable the semantic stage; its cosine
    cut-off is ``semantic_threshold``, by default the calibrated ``semantic_dup`` of
    ``backend`` (an embedder's name or a backend name; default settings.embedding_backend):
    pass the backend that made the embeddings. ``scopes`` (e.g. "article:12" or "general", one per text) limit the
    semantic stage to suggestions on the same article. ``minhash_threshold``/``num_perm``
    default to settings (pipeline.minhash_threshold / minhash_num_perm). ``alone`` marks texts
    that are in no group whatever they say (turns spoken at a symposium: one person at one
    meeting, never a copy).
    """
    if settings is None:
        from minyi.core.settings import get_settings

        settings = get_settings().pipeline
    params = text_params(settings, params, minhash_threshold=minhash_threshold, num_perm=num_perm)
    n = len(texts)
    groups = _Groups(n)
    reports: list[StageReport] = []
    index = DedupIndex(keys=[], cells=[None] * n)
    clean = canonical_texts(texts)
    if "exact" in stages:
        _timed("exact", groups, reports, lambda: index.keys.extend(exact_stage(texts, groups, scopes, clean)))
    else:
        index.keys = _keys(clean, scopes)
    text_kinds = tuple(k for k in ("near", "campaign") if k in stages)
    if text_kinds:
        _timed("+".join(text_kinds), groups, reports,
               lambda: text_dup_stage(texts, groups, params, kinds=text_kinds, scopes=scopes, bands=index.bands,
                                      clean=clean))
    if "semantic" in stages and embeddings is not None and n:
        if semantic_threshold is None:
            from pipeline.embed import thresholds_for

            semantic_threshold = thresholds_for(backend or settings.embedding_backend, settings).semantic_dup
        emb = np.asarray(embeddings, dtype=np.float32)
        _timed(
            "semantic",
            groups,
            reports,
            lambda: semantic_stage(texts, emb, groups, semantic_threshold, scopes, index=index),
        )
    if "campaign" in stages:
        _timed("shortened", groups, reports, lambda: shortened_copy_stage(texts, groups, params, scopes, clean))
    start = time.perf_counter()
    out = []
    for root, members in sorted(groups.units().items(), key=lambda kv: min(kv[1])):
        if len(members) >= 2:
            # Left out after the comparison: letters that matched only through such a text
            # (rare: a copy matches the other copies directly) stay together.
            members = [i for i in members if not _bare_agreement(texts[i]) and not (alone and alone[i])]
        if len(members) < 2:
            continue
        kind = KINDS[groups.kind.get(root, 0)]
        out.append(DupGroup(kind, sorted(members), canonical_member(sorted(members), texts, embeddings, kind)))
    reports.append(StageReport("canonical", round(time.perf_counter() - start, 4), groups.count(), groups.count()))
    return DedupResult(out, reports, index)


def _bare_agreement(text: str) -> bool:
    """"同意楼上", "同意2楼", "我同意李某的意见": one person's agreement with a post, with nothing
    of its own. Two of them are two people agreeing (with one post, or with two posts of
    different threads), never one text sent twice: they are in no group."""
    if len(text) >= SCOPE_FREE_CHARS:  # a campaign's letters: no import, no regex
        return False
    from pipeline.scope import adds_nothing_to_agreement

    return adds_nothing_to_agreement(text)


def text_params(settings, params: TextDupParams | None = None, *, minhash_threshold: float | None = None,  # type: ignore[no-untyped-def]
                num_perm: int | None = None) -> TextDupParams:
    """The text stages' parameters: ``params`` (or the defaults) with the MinHash threshold and
    permutations from the arguments, else from ``settings`` (pipeline settings)."""
    params = params or TextDupParams()
    return TextDupParams(
        **{
            **params.__dict__,
            "minhash_threshold": minhash_threshold if minhash_threshold is not None else settings.minhash_threshold,
            "num_perm": num_perm if num_perm is not None else settings.minhash_num_perm,
        }
    )


# --- a batch against what is stored ----------------------------------------------------

# Bits of the sign code kept per suggestion: enough that the Hamming distance ranks a block's
# members by cosine well, small enough to read a whole block's codes at once.
CODE_BITS = 128
_CODE_SEED = 20261202


def sign_codes(vectors: np.ndarray, bits: int = CODE_BITS) -> np.ndarray:
    """Random-hyperplane sign codes (``bits``/8 bytes per row): the Hamming distance between two
    codes estimates the angle between the vectors. The planes are drawn from a fixed seed, so
    codes stored by one run compare with the next run's."""
    vectors = np.asarray(vectors, dtype=np.float32)
    planes = np.random.default_rng(_CODE_SEED).standard_normal((vectors.shape[1], bits)).astype(np.float32)
    out = np.empty((len(vectors), bits // 8), dtype=np.uint8)
    for start in range(0, len(vectors), 65_536):  # bounded memory at 10^6 rows
        out[start : start + 65_536] = np.packbits(vectors[start : start + 65_536] @ planes > 0, axis=1)
    return out


def code_radius(cosine: float, bits: int = CODE_BITS, z: float = 2.5) -> int:
    """The Hamming distance two codes of vectors ``cosine`` similar stay within, but for a
    ``z``-sigma draw: the angle's share of pi, times ``bits``, plus ``z`` standard deviations."""
    share = float(np.arccos(np.clip(cosine, -1.0, 1.0)) / np.pi)
    return int(np.ceil(bits * share + z * np.sqrt(bits * share * (1 - share))))


def nearest_by_code(query: np.ndarray, codes: np.ndarray, k: int, radius: int | None = None) -> list[np.ndarray]:
    """For each query code, the positions of (at most) the ``k`` nearest ``codes`` by Hamming
    distance, only those within ``radius`` when given."""
    if len(codes) == 0 or k <= 0:
        return [np.zeros(0, dtype=np.int64) for _ in range(len(query))]
    k = min(k, len(codes))
    # Each distinct code once: a batch's campaign copies share theirs.
    distinct, copy_of = np.unique(np.ascontiguousarray(query), axis=0, return_inverse=True)
    q = np.ascontiguousarray(distinct).view(np.uint64)
    c = np.ascontiguousarray(codes).view(np.uint64)
    found: list[np.ndarray] = []
    step = max(1, 2_000_000 // len(c))  # bounded memory: rows × codes per chunk
    for start in range(0, len(q), step):
        dist = np.bitwise_count(q[start : start + step, None, :] ^ c[None, :, :]).sum(axis=2)
        for row, d in zip(np.argpartition(dist, k - 1, axis=1)[:, :k], dist):
            found.append(row if radius is None else row[d[row] <= radius])
    return [found[i] for i in np.ravel(copy_of)]


def nearest_cells(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Each vector's nearest centroid (rows L2-normalised: the largest dot product)."""
    return np.argmax(np.asarray(vectors, dtype=np.float32) @ np.asarray(centroids, dtype=np.float32).T, axis=1)


# --- letters: campaigns read whole ----------------------------------------------------------

# A shortened copy: its own words (draft wording and citations aside) mostly from the
# campaign's template, and at most this share of the campaign letters' median length.
SHORTENED_LETTER_CONTAINMENT = 0.3
SHORTENED_LETTER_MAX_SHARE = 0.5
SHORTENED_LETTER_MIN_BIGRAMS = 4
# A shortened copy in the writer's own words ("征求意见只有三十天太短了，改成四十五天吧") shares
# few of the template's words but restates its request: on the campaign's scope, the cosine
# between the copy and the campaign's request sentences plus the share of the copy's
# bigrams found in the campaign's wording (the draft's quoted wording included) reaches
# this. An independent comment on the same article asks for something else, so its
# meaning, its words or both stay further off (tuned on the tuning drafts; eval/SPLITS.md).
RESTATED_REQUEST = 1.0
# The bar when the copy states every new figure the campaign asks for, those the draft does
# not have (四十五日 where the draft says 三十日): the figure is the campaign's own, and a short
# comment on its article asking for it restates it ("征求意见只有三十天太短了，改成四十五天吧")
# in whatever words.
RESTATED_WITH_FIGURES = 0.6
# A sentence of a campaign letter is the writer's own when at most this share of its
# bigrams comes from the template.
OWN_SENTENCE_MAX_TEMPLATE = 0.5
# "同意工会的联名意见：第44条……" endorses a joint letter: on the article of a campaign, it joins
# that campaign (with several there, the one whose request it restates best), whatever its words.
_ENDORSES_JOINT_LETTER = re.compile(
    # The letter may be described ("支持小股东们关于第二百三十一条降低解散诉讼门槛的联名意见");
    # a "但" between the agreement and the letter turns it ("同意这条，但反对协会的联名意见").
    r"(?<![不没])(?:同意|支持|赞同|赞成|附议)[^。！？!?但]{0,40}(?:联名|统一|集体|共同)(?:的)?(?:意见|来信|信|建议|倡议)"
)
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")


@dataclass
class Campaign:
    """Letters sharing duplicate groups (the pieces of one template), three or more."""

    groups: list[int]  # group positions (into the caller's groups), largest first
    letters: list[int]  # letter positions
    template: frozenset[str]  # bigrams at least half the letters share, the draft's wording aside
    wording: frozenset[str]  # the same, the draft's wording included (what own_sentences compares)
    numbers: frozenset[str]  # numbers the letters state (citations aside)
    request: str = ""  # what its most typical letter asks for (its request sentences)


def _letter_text(text: str) -> str:
    from minyi.core.citations import LOOSE

    return LOOSE.sub("", text or "")


def campaigns_of(letters: Sequence[str], letter_groups: Sequence[set[int]], draft_text: str = "",
                 min_letters: int = 3) -> list[Campaign]:
    """Campaigns among letters (whole comments): groups joined through the letters that
    have pieces in both, kept when three or more letters take part."""
    by_group: dict[int, set[int]] = defaultdict(set)
    for k, gs in enumerate(letter_groups):
        for g in gs:
            by_group[g].add(k)
    draft = _bigrams(draft_text) if draft_text else frozenset()
    seen: set[int] = set()
    out = []
    for start in by_group:
        if start in seen:
            continue
        comp, stack, members = {start}, [start], set()
        while stack:
            g = stack.pop()
            seen.add(g)
            for k in by_group[g]:
                members.add(k)
                for h in letter_groups[k]:
                    if h not in comp:
                        comp.add(h)
                        stack.append(h)
        if len(members) < min_letters:
            continue
        copies = Counter(letters[k] for k in members)
        wording = frozenset(_shared_bigrams(copies, lambda letter: _bigrams(_letter_text(letter))))
        numbers = frozenset().union(*(numbers_of(_letter_text(letter)) for letter in copies))
        out.append(Campaign(sorted(comp, key=lambda g: -len(by_group[g])), sorted(members), wording - draft,
                            wording, numbers, _request_of(letters, sorted(members), wording)))
    return out


def _request_of(letters: Sequence[str], members: list[int], wording: frozenset[str]) -> str:
    """The request sentences of the campaign's most typical letter (most of the wording)."""
    from pipeline.cluster import proposal_text

    overlap = {letter: len(_bigrams(letter) & wording) for letter in {letters[k] for k in members}}
    typical = _letter_text(letters[max(members, key=lambda k: overlap[letters[k]])])
    return proposal_text(typical) or typical


@dataclass
class Meanings:
    """What the semantic route of ``shortened_letters`` compares: the pieces (suggestions)
    each letter was split into, as positions into ``vectors`` (unit rows) and ``scopes``,
    and each campaign's request vector (by the campaign's position)."""

    pieces: Sequence[list[int]]
    vectors: np.ndarray
    scopes: Sequence[str | None]  # "article:12", "general", …
    requests: np.ndarray

    def articles_of(self, letters: Sequence[int]) -> set[str]:
        """The article scopes of the letters' pieces (总体意见 is too wide to restate on)."""
        return {s for k in letters for i in self.pieces[k] if (s := self.scopes[i]) and s.startswith("article:")}

    def cosine(self, letter: int, campaign: int) -> float:
        return float(np.max(self.vectors[self.pieces[letter]] @ self.requests[campaign]))


def shortened_letters(letters: Sequence[str], letter_groups: Sequence[set[int]], draft_text: str = "",
                      campaigns: list[Campaign] | None = None, meanings: Meanings | None = None,
                      alone: Collection[int] = ()) -> dict[int, Campaign]:
    """Letters in no group that are shortened copies of a campaign ("同上，建议三十日内付款，最长
    不超过六十日"): short, no number the campaign does not state, no request pulling the other
    way (提高 vs 降低), and either their own words mostly the campaign template's (bigrams of
    the draft's wording, which anyone may quote, do not count) or, with ``meanings``, on the
    campaign's scope and restating its request (``RESTATED_REQUEST``; ``RESTATED_WITH_FIGURES``
    when it states the new figures the campaign asks for). Letter position → its
    campaign. ``campaigns``: ``campaigns_of`` the same letters, when the caller has them;
    ``alone``: letters that join no campaign (as ``deduplicate``'s ``alone``)."""
    from pipeline.cluster import opposed, requested_directions

    if campaigns is None:
        campaigns = campaigns_of(letters, letter_groups, draft_text)
    if not campaigns:
        return {}
    draft = _bigrams(draft_text) if draft_text else frozenset()
    lengths = [float(np.median([len(letters[k]) for k in c.letters])) for c in campaigns]
    ways = [requested_directions("".join(letters[k] for k in c.letters)) for c in campaigns]
    articles = [meanings.articles_of(c.letters) for c in campaigns] if meanings else []
    asked = [numbers_of(c.request) for c in campaigns]
    in_draft = numbers_of(_letter_text(draft_text)) if draft_text else frozenset()
    new_figures = [a - in_draft for a in asked]
    wanted = [_wanted_wording(c.request) for c in campaigns]
    out: dict[int, Campaign] = {}
    longest_copy = SHORTENED_LETTER_MAX_SHARE * max(lengths)
    for k, text in enumerate(letters):
        if letter_groups[k] or len(text) > longest_copy or k in alone:
            continue
        words = _bigrams(_letter_text(text))
        own = words - draft
        if len(own) < SHORTENED_LETTER_MIN_BIGRAMS:
            continue
        numbers, way = numbers_of(_letter_text(text)), requested_directions(text)
        on = meanings.articles_of([k]) if meanings is not None else set()  # once per letter
        endorses = bool(on) and _ENDORSES_JOINT_LETTER.search(text) is not None
        best = None
        for n, c in enumerate(campaigns):
            if len(text) > SHORTENED_LETTER_MAX_SHARE * lengths[n] or not numbers <= c.numbers or opposed(way, ways[n]):
                continue
            shared = on & articles[n] if on else frozenset()  # the articles both are on
            if endorses and shared:
                share = 1.0 + meanings.cosine(k, n)  # above any share of words: the campaign named
                if best is None or share > best[0]:
                    best = (share, c)
                continue
            if on and articles[n] and not shared:
                continue  # about another article ("第八十二条……参照第七十二条的修改同步调整")
            share = len(own & c.template) / len(own)
            # Restating a request for numbers (四十五日) states them, not only the draft's (三十日).
            if share < SHORTENED_LETTER_CONTAINMENT and shared and (not numbers or asked[n] <= numbers):
                restated = meanings.cosine(k, n) + len(words & c.wording) / len(words)
                # A copy stating numbers states every one asked for (the check above), new ones included.
                bar = RESTATED_WITH_FIGURES if new_figures[n] and numbers else RESTATED_REQUEST
                # The request read (parse_request) only for a letter that would join.
                joins = restated >= bar and not _wants_other_wording(text, wanted[n])
                share = SHORTENED_LETTER_CONTAINMENT if joins else 0.0
            if share >= SHORTENED_LETTER_CONTAINMENT and (best is None or share > best[0]):
                best = (share, c)
        if best is not None:
            out[k] = best[1]
    return out


# A comment asking for a wording of its own ("改为“可以有公司职工代表”") restates no campaign that
# asks for another ("由三百人以上降低为一百人以上"): at most this share of its wanted wording's
# bigrams is in the campaign's.
OTHER_WORDING_MAX_SHARED = 0.3


def _wanted_wording(text: str) -> frozenset[str]:
    """The bigrams of the wording ``text`` asks to be written instead (empty when it asks for none)."""
    from pipeline.adoption import parse_request

    request = parse_request(text)
    return _bigrams(request.new) if request.kind == "replace" and request.new else frozenset()


def _wants_other_wording(text: str, campaign_wants: frozenset[str]) -> bool:
    wants = _wanted_wording(text)
    return bool(wants and campaign_wants) and len(wants & campaign_wants) <= OTHER_WORDING_MAX_SHARED * len(wants)


def own_sentences(text: str, template: frozenset[str]) -> list[str]:
    """The sentences of a campaign letter's piece that are the writer's own (not the
    template's ``Campaign.wording``): they often carry the new point, so a reviewer must
    still see them."""
    out = []
    for sentence in _SENTENCE_END.split(text or ""):
        grams = _bigrams(sentence)
        if len(grams) >= 3 and len(grams & template) / len(grams) <= OWN_SENTENCE_MAX_TEMPLATE:
            out.append(sentence.strip())
    return out

