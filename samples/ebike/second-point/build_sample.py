"""Writes the second, smaller contact point's sample form (our own writing, fictional people
and numbers): `python samples/ebike/second-point/build_sample.py`."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
COLUMNS = ["序号", "姓名", "联系电话", "涉及条款", "修改意见", "理由", "是否同意公开姓名"]
ROWS = [
    ("林晓东", "13912340001", "第三十七条", "建议删除台风、暴雨红色预警期间一律禁止电动自行车上路的规定，改由交通管理部门根据实际情况发布临时管控措施。",
     "一刀切禁行影响外卖骑手和上下班群众出行，执行中也难以区分。", "是"),
    ("陈美华", "13912340002", "第四十五条", "建议将集中充电场所“应当设置在室外独立区域”修改为“原则上设置在室外独立区域”，老旧小区确无室外空地的，可以在符合消防条件的场所设置。",
     "田面社区多为老旧小区，没有室外空地，规定过严反而导致居民私拉电线。", "否"),
    ("黄志强", "13912340003", "第五十七条", "建议将“鼓励外卖、快递企业为驾驶人投保”改为“外卖、快递企业应当为驾驶人投保人身意外伤害保险和第三者责任保险”。",
     "骑手发生事故时往往无力赔偿，强制投保才能保障各方权益。", "是"),
    ("周丽娟", "13912340004", "第五十七条", "第五十七条的“鼓励”力度不够，建议规定企业应当为骑手购买意外伤害保险。",
     "", "否"),
    ("吴建国", "13912340005", "第五十五条", "建议明确恶劣天气、交通管制时外卖平台应当合理延长配送时限。",
     "暴雨天气骑手为赶时间抢行，事故多发。", ""),
    ("郑小燕", "13912340006", "第四十九条", "建议增加规定：住宅小区集中充电设施的用电执行居民生活用电价格。",
     "小区充电桩收费偏高，居民不愿使用集中充电设施。", "同意"),
]


def build(path: Path = HERE / "comments" / "田面社区意见征集表.xlsx") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "意见征集表"
    ws.append(COLUMNS)
    for i, row in enumerate(ROWS, start=1):
        ws.append([i, *row])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


if __name__ == "__main__":
    print(build())
