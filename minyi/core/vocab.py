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
# A symposium speaker's role as importers record it (comment meta "speaker_role"): what a
# document prints for it ("" for none: a participant is no role worth printing).
SPEAKER_ROLES: dict[str, str] = {"host": "主持人", "chair": "主持人", "participant": "", "recorder": "记录人"}
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
# Why the adoption detection proposed its status (AdoptionProposal.rule, stored with the
# decision), as the reviewer reads it; adoption_rule_label() also reads the composed codes.
ADOPTION_RULES: dict[str, str] = {
    "manual": "人工确认",
    "from_above": "上级法工委的采纳决定",
    "article_unchanged": "条文未作修改",
    "article_deleted": "条文已删除，意见所提内容无从比对",
    "article_deleted_as_asked": "已按意见删除该条",
    "article_kept": "建议删除的条文仍保留（有修改）",
    "article_kept_unchanged": "建议删除的条文保留且未修改",
    "article_merged": "条文已与他条合并",
    "article_changed_direction_unknown": "条文有修改，看不出是否按意见修改",
    "changed_elsewhere": "条文有修改，但意见所提内容未写入",
    "article_changed_in_another_language": "外文意见，条文有修改，需人工比对是否采纳",
    "opposed_article_deleted": "反对的条文已删除",
    "opposed_article_kept": "反对的条文未修改",
    "opposed_article_changed": "反对的条文有修改，是否回应反对意见需人工判断",
    "phrase_deleted": "建议删除的表述已删去",
    "phrase_deleted_with_its_article": "建议删除的表述随条文一并删去",
    "phrase_kept": "建议删除的表述仍保留",
    "named_wording_removed": "意见所指的表述已从条文中删去",
    "replacement_made": "已按建议替换表述",
    "replacement_not_made": "未按建议替换表述",
    "wording_added_old_kept": "已增加建议的表述，原表述仍保留",
    "old_wording_changed_otherwise": "原表述已修改，但未改为建议的表述",
    "wanted_wording_appears": "建议的表述已出现在条文中",
    "wanted_wording_absent": "建议的表述未出现在条文中",
    "wanted_content_inserted": "建议的内容已写入条文",
    "wanted_content_partly_inserted": "建议的内容部分写入条文",
    "wording_enacted_verbatim": "建议的表述逐字见于公布稿",
    "content_inserted": "所提内容已写入该条",
    "content_partly_inserted": "所提内容部分写入该条",
    "content_in_new_article": "所提内容写入了新增条文",
    "content_partly_in_new_article": "所提内容部分写入新增条文",
    "content_absent": "公布稿未写入所提内容",
    "draft_already_provides": "草案已有相应规定",
    "requests_carried": "所提各项均已写入",
    "some_requests_carried": "所提多项中部分已写入",
    "requests_carried_elsewhere": "所提内容见于公布稿其他条文",
    "request_in_changed_wording": "所提内容见于公布稿修改之处",
    "request_in_changed_wording_without_its_quantity": "所提内容见于公布稿修改之处，但未采用所提数额或期限",
    "general_suggestion": "总体意见，未对应具体条文",
    "no_article": "未对应到草案条文",
}


def adoption_rule_label(rule: str | None) -> str:
    """The reviewer's reading of a stored rule code; an unknown code is shown as it is."""
    if not rule:
        return ""
    if rule in ADOPTION_RULES:
        return ADOPTION_RULES[rule]
    if rule.endswith("_in_added_neighbour"):
        base = adoption_rule_label(rule.removesuffix("_in_added_neighbour"))
        return f"{base}（见于其后新增的条文）"
    if rule.startswith("no_rule_for_"):
        return f"“{rule.removeprefix('no_rule_for_')}”类意见无自动判断规则"
    return rule
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
