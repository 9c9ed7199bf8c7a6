"""Vocabularies: the fixed sets of codes stored in the database and their Chinese names."""

from __future__ import annotations

# Contact point levels, highest first: feedback rolls up from 社区 to 街道, 区级, 市级 … (a
# point's parent is a level above it).
CONTACT_POINT_LEVELS = ("国家级", "省级", "市级", "区级", "街道", "社区")
CONSULTATION_LEVELS = ("国家", "省级", "市级", "区级", "其他")
CONSULTATION_STATUSES = ("open", "closed", "reported", "archived")
# Channel codes (stored) and the Chinese names users see.
CHANNELS: dict[str, str] = {
    "symposium": "座谈会",
    "form": "问卷/表格",
    "email": "邮件",
    "forum": "论坛/网络平台",
    "official": "官方征求意见平台",
    "other": "其他",
}
PROVISION_KINDS = ("part", "chapter", "section", "article", "paragraph", "item", "subitem")
PROVISION_KIND_ZH = {
    "part": "编",
    "chapter": "章",
    "section": "节",
    "article": "条",
    "paragraph": "款",
    "item": "项",
    "subitem": "目",
}
RECORD_STATUSES = ("ok", "quarantined")
LINK_METHODS = ("explicit", "semantic", "manual")
SUGGESTION_TYPES = ("修改", "增加", "删除", "支持", "反对", "询问", "其他")
DUPLICATE_KINDS = ("exact", "near", "campaign", "semantic")
# A reviewer's decision on where a suggestion belongs (Suggestion.reviewed_scope); the
# analysis never overrides it.
REVIEWED_SCOPES: dict[str, str] = {
    "article": "具体条款",
    "general": "总体意见",
    "out_of_scope": "草案范围外",
    "not_opinion": "非意见",
}
ADOPTION_STATUSES = ("采纳", "部分采纳", "未采纳", "无法判断", "已有规定", "研究参考")
# admin: everything; staff (联系点工作人员): its contact points' consultations and personal
# data; reviewer (法工委审阅人): every contact point, masked; viewer: read only, masked.
ROLES = ("admin", "staff", "reviewer", "viewer")

# The pipeline's components by stage, chosen by name in ``[pipeline]`` settings; settings
# refuse any other name at load time and ``pipeline.components`` implements exactly these.
PIPELINE_COMPONENTS: dict[str, tuple[str, ...]] = {
    "normaliser": ("default",),
    "masker": ("default",),
    "splitter": ("default",),
    "mapper": ("hybrid", "explicit"),
    "deduplicator": ("default",),
    "clusterer": ("agglomerative", "hdbscan", "kmeans"),
    "classifier": ("rules",),
}
EMBEDDING_BACKENDS = ("use", "use-onnx", "sentence-transformers", "tfidf")
EMBEDDING_BACKEND_ALIASES = {
    "st": "sentence-transformers",
    "sentence_transformers": "sentence-transformers",
    "use_onnx": "use-onnx",
}


def canonical_backend_name(name: str) -> str | None:
    """The embedding backend's canonical name, None when unknown."""
    key = name.strip().lower()
    key = EMBEDDING_BACKEND_ALIASES.get(key, key)
    return key if key in EMBEDDING_BACKENDS else None
