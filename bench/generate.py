"""Synthetic consultations of any size, built from the sample consultation, with gold labels.

Every comment is drawn from a *proposal*: one gold point of samples/ebike (its text and gold
articles), one of our own labelled reference-free cases, or a form-letter campaign. The
generator then writes it the way people do:

- explicit references in many styles (第十二条, 第12条, 本条例第十二条, 征求意见稿第十二条第二款,
  关于第十二条：, 第十二条第（三）项, 《条例》第十二条);
- reference-free wording (no citation; colloquial words for statutory ones);
- multi-article comments (2–3 proposals numbered 一、二、 or joined with 另外/还有);
- campaigns (one template, personal insertions: estate, a sentence of one's own);
- exact duplicates (the same text sent again) and near duplicates (small edits);
- personal data (names, mobile numbers, 18-digit identity numbers, e-mail) in the text.

Gold labels per comment: ``points`` (text, articles, explicit, topic), ``campaign``,
``duplicate_of`` (the generated comment it repeats) and ``kind`` (how it was made). ``topic``
identifies the proposal: comments from one proposal make the same point, so topics are the
gold clusters.

Usage: ``.venv/bin/python bench/generate.py 10000 -o /tmp/gen-10k.jsonl`` (one JSON object a
line: id, text, author, contact, channel, submitted_at, gold).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from minyi.core.numerals import to_chinese  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰海燕斌波宁晨浩宇欣怡子涵梓轩"
ESTATES = [
    "景田", "莲花北", "梅林一村", "益田村", "福田新村", "皇岗花园", "华富村", "彩田村", "百花二村", "新洲村",
    "石厦北", "上沙", "下沙", "沙头", "香蜜湖", "金地花园", "天健世纪", "园岭", "八卦岭", "笋岗",
    "黄木岗", "华新", "田面", "岗厦", "水围", "福民", "渔农", "沙嘴", "新沙", "车公庙",
]
BUILDINGS = ["栋", "座", "号楼"]
PREFIXES = ["", "", "", "我认为，", "个人意见：", "作为一名市民，", "我是附近的居民，", "说两句：", "本人意见如下：", "我觉得"]
SUFFIXES = ["", "", "", "谢谢！", "希望采纳。", "请予考虑。", "以上意见供参考。", "望采纳，谢谢。", "辛苦了。"]
CITE_STYLES = [
    "第{cn}条", "第{ar}条", "本条例第{cn}条", "征求意见稿第{cn}条", "关于第{cn}条：", "《条例》第{ar}条",
    "第{cn}条第一款", "第{cn}条第（二）项", "草案第{cn}条", "条例第{ar}条",
]
COLLOQUIAL = [("电动自行车", "电动车"), ("电动自行车", "电瓶车"), ("安全头盔", "头盔"), ("物业服务企业", "物业"),
              ("交通管理部门", "交警"), ("互联网租赁电动自行车", "共享电单车"), ("驾驶人", "骑手"), ("号牌", "车牌")]
CAMPAIGN_TEMPLATES = {
    "speed-limit": (
        "我是{estate}的居民。{own}我们坚决反对条例把电动自行车限速定为十五公里。现在新国标车的设计时速是二十五公里，"
        "限速十五公里既不符合国家标准，也让每天骑车通勤的上班族和送餐的骑手无所适从，实际执行中也很难管住。"
        "建议将最高时速调整为二十五公里，同时加强对超速改装车辆的查处。请立法机关认真考虑我们的意见。",
        [30],
    ),
    "elevator-fund": (
        "尊敬的法工委：我是{estate}的业主。{own}关于电梯安装电动自行车阻车装置的费用问题，我们小区多数业主认为，"
        "这笔费用不应当全部由业主自掏腰包，物业服务企业也不能借机额外收费。建议条例明确：安装阻车装置的费用，"
        "经业主依法表决后可以从住宅专项维修资金中列支，不足部分由区政府给予补贴。以上意见，恳请采纳。",
        [48],
    ),
    "dealer-registration": (
        "我们是{estate}附近的一家电动车店。{own}条例要求电动自行车销售者应当为购买者代为办理登记，我们认为不合理。"
        "小店只有两三个人，没有专门人手跑登记流程，强制代办会明显增加经营成本，最终会转嫁到消费者身上。"
        "建议将“应当”改为“可以”，由顾客自愿选择是否委托代办。",
        [21],
    ),
}
OWN_SENTENCES = [
    "", "", "我家三口人都骑电动车上班。", "我每天骑车送孩子上学。", "我们楼里有二十多辆电动车。", "作为一名快递员，我深有体会。",
    "这件事我们小区讨论过好几次。", "我在这里住了十几年。", "去年我们楼就出过事。", "我身边的朋友都这么认为。",
]


@dataclass
class Proposal:
    text: str
    articles: list[int]
    topic: str


def proposals(seed: int = 0) -> list[Proposal]:
    """Base proposals: the sample's gold points (minus campaign members and re-submissions,
    which the generator makes itself) and our own labelled reference-free cases."""
    from sample import sample_points

    out = []
    seen = set()
    for i, p in enumerate(sample_points()):
        if p.get("campaign") or p.get("duplicate_of") or p["text"] in seen or len(p["text"]) < 6:
            continue
        seen.add(p["text"])
        out.append(Proposal(_strip_citation(p["text"]), list(p["articles"]), f"sample-{i}"))
    own = REPO / "tests" / "pipeline" / "data" / "labelled" / "semantic.jsonl"
    if own.is_file():
        for i, line in enumerate(own.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                row = json.loads(line)
                out.append(Proposal(row["text"], row["articles"], f"own-{i}"))
    return out


def _strip_citation(text: str) -> str:
    """The point without its own 第…条 (the generator adds citations in its own styles)."""
    import re

    return re.sub(r"^(关于)?(本条例|征求意见稿|草案)?第[零一二三四五六七八九十百\d]+条(第[一二三四五六七八九十]+款)?[：:，,]?", "", text).strip() or text


class Generator:
    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.base = proposals(seed)
        self.start = datetime(2025, 9, 15, 8, 0)
        self.count = 0

    # --- pieces -------------------------------------------------------------------------

    def person(self) -> tuple[str, str]:
        r = self.rng
        name = r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2))))
        phone = "1" + r.choice("3456789") + "".join(r.choice("0123456789") for _ in range(9))
        return name, phone

    def cite(self, article: int) -> str:
        return self.rng.choice(CITE_STYLES).format(cn=to_chinese(article), ar=article)

    def colloquial(self, text: str) -> str:
        for formal, informal in COLLOQUIAL:
            if formal in text and self.rng.random() < 0.5:
                text = text.replace(formal, informal)
        return text

    def personal_data(self, name: str, phone: str) -> str:
        r = self.rng
        choice = r.random()
        if choice < 0.5:
            return f"联系人：{name}，电话{phone}。"
        if choice < 0.75:
            digits = "".join(r.choice("0123456789") for _ in range(17))
            return f"{name}，身份证号{digits}{r.choice('0123456789X')}。"
        return f"如需联系请发邮件至{phone}@163.com。"

    def point(self, p: Proposal, explicit: bool) -> tuple[str, dict]:
        body = self.colloquial(p.text) if not explicit else p.text
        if explicit and p.articles:
            cite = self.cite(p.articles[0])
            sep = "" if cite.endswith("：") else self.rng.choice(["", "，", "中"])
            text = f"{cite}{sep}{body}"
        else:
            text = body
        return text, {"text": text, "articles": p.articles, "explicit": bool(explicit and p.articles), "topic": p.topic}

    def near_edit(self, text: str) -> str:
        r = self.rng
        edits = [
            lambda t: t.replace("，", ",", 1),
            lambda t: t.rstrip("。！") + "！",
            lambda t: t.replace("建议", "强烈建议", 1) if "建议" in t else "我" + t,
            lambda t: t.replace("应当", "应该", 1) if "应当" in t else t + "谢谢。",
            lambda t: t.replace("的", "", 1),
        ]
        return r.choice(edits)(text)

    # --- comments -----------------------------------------------------------------------

    def comment(self, made: list[dict]) -> dict:
        r = self.rng
        kind = r.choices(
            ["explicit", "free", "multi", "campaign", "exact", "near"], weights=[35, 30, 10, 10, 8, 7]
        )[0]
        if kind in ("exact", "near") and not made:
            kind = "free"
        name, phone = self.person()
        gold: dict = {"kind": kind, "campaign": None, "duplicate_of": None}
        if kind in ("explicit", "free"):
            p = r.choice(self.base)
            text, point = self.point(p, kind == "explicit")
            text = r.choice(PREFIXES) + text + r.choice(SUFFIXES)
            point["text"] = text
            gold["points"] = [point]
        elif kind == "multi":
            picks = r.sample(self.base, r.choice((2, 2, 3)))
            parts, points = [], []
            for n, p in enumerate(picks):
                t, point = self.point(p, r.random() < 0.6)
                lead = r.choice([f"{to_chinese(n + 1)}、", f"{n + 1}.", "另外，" if n else "", "还有，" if n else ""])
                parts.append(lead + t)
                point["text"] = lead + t
                points.append(point)
            text = "\n".join(parts)
            gold["points"] = points
        elif kind == "campaign":
            cid = r.choice(list(CAMPAIGN_TEMPLATES))
            template, articles = CAMPAIGN_TEMPLATES[cid]
            estate = r.choice(ESTATES) + (f"{r.randint(1, 30)}{r.choice(BUILDINGS)}" if r.random() < 0.5 else "")
            text = template.format(estate=estate, own=r.choice(OWN_SENTENCES))
            gold["campaign"] = cid
            gold["points"] = [{"text": text, "articles": articles, "explicit": False, "topic": f"campaign-{cid}"}]
        else:
            original = r.choice(made)
            text = original["text"] if kind == "exact" else self.near_edit(original["text"])
            gold["duplicate_of"] = original["id"]
            gold["campaign"] = original["gold"]["campaign"]
            gold["points"] = [dict(p) for p in original["gold"]["points"]]
            if kind == "near" and len(gold["points"]) == 1:
                gold["points"][0]["text"] = text
        if r.random() < 0.12:
            text = text + r.choice(["", "\n"]) + self.personal_data(name, phone)
            gold["personal_data"] = True
        self.count += 1
        when = self.start + timedelta(minutes=self.count * 3 % (30 * 24 * 60))
        return {
            "id": f"gen-{self.count:07d}",
            "text": text,
            "author": name,
            "contact": phone if r.random() < 0.5 else None,
            "channel": r.choice(["forum", "form", "email", "symposium"]),
            "submitted_at": when.isoformat(),
            "gold": gold,
        }

    def generate(self, n: int) -> list[dict]:
        made: list[dict] = []
        for _ in range(n):
            made.append(self.comment(made[-5000:]))  # duplicates repeat recent comments
        return made


def generate(n: int, seed: int = 0) -> list[dict]:
    """``n`` synthetic comments with gold labels (deterministic for a seed)."""
    return Generator(seed).generate(n)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate a synthetic consultation (JSONL with gold labels).")
    parser.add_argument("n", type=int)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with args.output.open("w", encoding="utf-8") as fh:
        for row in generate(args.n, args.seed):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {args.n} comments to {args.output}")


if __name__ == "__main__":
    main()
