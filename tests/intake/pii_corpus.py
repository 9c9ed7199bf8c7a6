"""A corpus of our own with planted personal data, written in every input format.

``people(n)`` makes n commenters, each with a name, mobile (in a different spelling each),
landline, identity number (18 or 15 digits), e-mail, WeChat id, QQ number, bank card,
licence plate and home address; ``comment_text(p, i)`` writes an opinion that mentions
them the ways people do (我是…, 联系人：…, 此致敬礼 …). ``Planted`` lists every item as written and
every digit run of 7+ digits it contains: none may appear in a document sent upward.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金廖贾夏韦傅邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤常温康施"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞刚桂英华玉萍红娥玲芬燕彬鑫斌宇浩凯健俊帆峰琳欣慧颖婷雪倩瑶璐晨"
PROVINCES = "粤京沪浙苏川鄂湘闽皖"
ESTATES = ("阳光", "幸福", "碧桂", "翠苑", "金色", "锦绣", "东湖", "紫荆", "松柏", "海滨")
ORGS = ("华富街道居民议事会", "某物流公司", "区律师协会", "某电动车销售门店", "社区居委会")
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id18(rng: random.Random) -> str:
    first = f"44030{rng.randint(1, 9)}{rng.randint(1960, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(100, 999)}"
    return first + "10X98765432"[sum(int(d) * w for d, w in zip(first, _W)) % 11]


def id15(rng: random.Random) -> str:
    return f"44030{rng.randint(1, 9)}{rng.randint(50, 89)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(100, 999)}"


def luhn_card(rng: random.Random) -> str:
    body = "6222" + "".join(str(rng.randint(0, 9)) for _ in range(14))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def spelled_mobile(number: str, style: int) -> str:
    """The same mobile written the ways people write it."""
    a, b, c = number[:3], number[3:7], number[7:]
    return [
        number, f"{a}-{b}-{c}", f"{a} {b} {c}", f"+86 {a} {b} {c}", f"+86-{number}", f"0086{number}",
        f"({a}){b}{c}", f"{a}　{b}　{c}", f"{a}.{b}.{c}", f"+86{number}",
    ][style % 10]


@dataclass
class Person:
    name: str
    spouse: str
    mobile: str  # as written
    mobile_digits: str
    landline: str
    id_number: str
    email: str
    wechat: str
    qq: str
    card: str
    plate: str
    address: str
    organisation: str

    def items(self) -> dict[str, str]:
        return {
            "name": self.name, "spouse": self.spouse, "mobile": self.mobile, "landline": self.landline,
            "id_number": self.id_number, "email": self.email, "wechat": self.wechat, "qq": self.qq,
            "card": self.card, "plate": self.plate, "address": self.address,
        }


def people(n: int, seed: int = 11) -> list[Person]:
    rng = random.Random(seed)
    used: set[str] = set()
    out = []

    def new_name() -> str:
        while True:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
            if name not in used:
                used.add(name)
                return name

    for i in range(n):
        digits = f"1{rng.choice('3456789')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        area = rng.choice(["0755", "010", "020", "021"])
        local = f"{rng.randint(2, 8)}{rng.randint(1000000, 9999999)}"
        landline = [f"{area}-{local}", f"({area}){local}", f"（{area}）{local}", f"{area} {local}", f"电话：{local[:8]}"][i % 5]
        out.append(Person(
            name=new_name(),
            spouse=new_name(),
            mobile=spelled_mobile(digits, i),
            mobile_digits=digits,
            landline=landline.removeprefix("电话："),
            id_number=id18(rng) if i % 3 else id15(rng),
            email=f"user{rng.randint(100, 99999)}@{rng.choice(['qq.com', '163.com', 'example.cn'])}",
            wechat=f"wx_{rng.choice('abcdefgh')}{rng.randint(1000, 99999)}",
            qq=str(rng.randint(10000000, 2999999999)),
            card=luhn_card(rng),
            plate=f"{rng.choice(PROVINCES)}{rng.choice('ABCDE')}{rng.randint(10000, 99999)}",
            address=f"{rng.choice(ESTATES)}小区{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}室",
            organisation=rng.choice(ORGS),
        ))
    return out


_WECHAT_FORMS = ("微信：{w}", "VX：{w}", "wx：{w}", "威信号{w}", "微信号 {w}")
_INTROS = ("我是{n}，", "本人{n}，", "我叫{n}。", "联系人：{n}，", "提出人：{n}。")


def comment_text(p: Person, i: int) -> str:
    """An opinion on the draft that carries every item of ``p``."""
    intro = _INTROS[i % len(_INTROS)].format(n=p.name)
    wechat = _WECHAT_FORMS[i % len(_WECHAT_FORMS)].format(w=p.wechat)
    landline = p.landline if p.landline.startswith(("0", "(", "（")) else f"座机{p.landline}"
    return (
        f"{intro}住在{p.address}。建议第{12 + i % 20}条将电动自行车限速由十五公里提高到二十五公里，"
        f"我爱人{p.spouse}每天骑车接送孩子，车牌{p.plate}。联系电话{p.mobile}，{landline}，"
        f"邮箱{p.email}，{wechat}，QQ：{p.qq}。身份证号{p.id_number}，退款请打到银行卡{p.card}。\n"
        f"此致\n敬礼！\n{p.name}"
    )


def reason_text(p: Person) -> str:
    return f"我是{p.name}，上下班通勤需要，手机{p.mobile_digits}"


def organisation_text(p: Person) -> str:
    return f"{p.organisation}（{p.name} {p.mobile_digits}）"


@dataclass
class Planted:
    items: set[str] = field(default_factory=set)  # every planted string as written

    def add(self, person: Person) -> None:
        self.items.update(v for v in person.items().values())
        self.items.add(person.mobile_digits)

    @property
    def digit_runs(self) -> set[str]:
        """Every run of 7+ digits inside a planted item (the identifying part)."""
        return {run for item in self.items for run in re.findall(r"\d{7,}", item)}

    def found_in(self, text: str) -> list[str]:
        """Planted items and their digit runs that appear in ``text`` (spaces and dashes
        between digits ignored for the runs)."""
        hits = sorted(i for i in self.items if i in text)
        digits_only = re.sub(r"(?<=\d)[\s\-.·]+(?=\d)", "", text)
        hits += sorted(r for r in self.digit_runs if r in digits_only)
        return hits
