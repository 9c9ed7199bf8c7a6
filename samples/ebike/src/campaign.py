"""The form-letter campaign (campaign id "charging-arcade").

A residents' group circulated one template against the draft's ban on charging sites in the
架空层 (open ground floor) of residential buildings (draft article 45). People pasted it into the
paper form and the forum, adding their estate and often a sentence of their own, and some edited
the citation. build_sample.py uses ``letter`` to produce each member's text.
"""

CAMPAIGN_ID = "charging-arcade"

# How members cite the article: explicit styles name it, "none" quotes or paraphrases only.
CITE = {
    "cn": ("征求意见稿第四十五条规定集中充电场所", True),
    "arabic": ("征求意见稿第45条规定集中充电场所", True),
    "ben": ("本条例第四十五条规定集中充电场所", True),
    "none": ("征求意见稿规定住宅小区集中充电场所", False),
}


def letter(estate, own="", cite="cn", closing="恳请立法机关采纳。"):
    lead, _ = CITE[cite]
    own = own.strip()
    if own and not own.endswith(("。", "！", "？")):
        own += "。"
    return (
        f"我是{estate}的居民。{own}"
        f"{lead}“不得设置在住宅建筑的架空层、地下室以及其他与住宅建筑连通的区域”，"
        "这一规定对老旧小区很不现实。我们小区建成时间早，楼间距小，室外没有可以建充电棚的空地，"
        "如果架空层也不能设充电点，大家只能把电池拎回家充电，火灾隐患反而更大。"
        "建议修改为：室外确无条件的老旧小区，在符合消防技术标准、配备自动喷淋和视频监控的前提下，"
        f"允许在架空层设置集中充电场所。{closing}"
    )


def explicit(cite):
    return CITE[cite][1]
