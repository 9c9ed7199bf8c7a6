"""Regenerate the ebike sample consultation from the text data in samples/ebike/src/.

    .venv/bin/python samples/ebike/build_sample.py

Writes draft.md, final.md, comments/* (.xlsx, .docx, .jsonl, .eml) and labels.jsonl.
Output is deterministic: timestamps inside the Office files and e-mails are fixed, and zip
entries carry a fixed date, so running the script twice gives byte-identical files.

labels.jsonl conventions (one line per comment record):
- key: 序号 (int) for form rows; the post id for the forum; for minutes the 1-based index of the
  speaker turn (header lines, the opening and closing paragraphs are not turns) or
  "table-1-row-N" for the table of written opinions; "message-1" for an e-mail body (one message
  per .eml) and "message-1/attachment-1/row-N" for row 序号 N of its spreadsheet attachment.
- points[].text is copied verbatim from the comment (the 修改意见 cell for spreadsheet rows, the
  意见 cell for table rows, the turn without its speaker prefix, the post text without any quoted
  post, the body or HTML list item for e-mails).
- points[].articles use DRAFT numbering; [] for general or new-article suggestions.
- points[].explicit: the point's own text cites the article number (a 涉及条款 column, the
  platform's "articles" field or a relative "第二款"/"这一条" does not count).
- points[].type: 修改 change, 增加 add content, 删除 delete, 支持 support, 反对 oppose (without a
  concrete change), 询问 question, 其他 outside the draft or about implementation.
- points[].adopted, judged against final.md: 采纳 / 部分采纳 / 未采纳 for requests (反对 counts as
  a request to drop or soften the article); 支持 is 无法判断 when the article kept its substance
  and 未采纳 when it was deleted or changed against the supporter; 询问, 其他 and requests already
  met by the draft are 无法判断.
- campaign: "charging-arcade" for the form letter in src/campaign.py; duplicate_of: key of the
  earlier record in the same file it repeats; quarantine: true for rows with no usable opinion.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import sys
import zipfile
from email import policy
from email.charset import QP, Charset
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email import encoders
from email.utils import formataddr, format_datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
COMMENTS = HERE / "comments"
sys.dont_write_bytecode = True
sys.path.insert(0, str(SRC))

import campaign  # noqa: E402
import form_rows  # noqa: E402
import forum_posts  # noqa: E402
import letters  # noqa: E402
import regulation  # noqa: E402
import symposiums  # noqa: E402

TZ = dt.timezone(dt.timedelta(hours=8))
FIXED_ZIP_TIME = (2025, 10, 15, 0, 0, 0)
FIXED_DOC_TIME = dt.datetime(2025, 10, 15, 9, 0, 0)

# --------------------------------------------------------------------------- numbering

_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """Chinese numeral for 1..99 as used in article numbers (十一, 二十, 八十七)."""
    if not 0 < n < 100:
        raise ValueError(n)
    if n < 10:
        return _DIGITS[n]
    tens, units = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[units] if units else "")


def article_text(art: regulation.A, version: str):
    if version == "draft":
        return art.draft
    return art.draft if art.final is regulation.SAME else art.final


def numbering(version: str) -> dict[str, int]:
    nums, n = {}, 0
    for item in regulation.REG:
        if isinstance(item, regulation.A) and article_text(item, version):
            n += 1
            nums[item.key] = n
    return nums


def render(version: str) -> str:
    nums = numbering(version)
    # keys that exist only in the other version may not be cited
    def sub(m: re.Match) -> str:
        key = m.group(1)
        if key not in nums:
            raise KeyError(f"{version}: reference to missing article {key}")
        return cn_number(nums[key])

    title = regulation.DRAFT_TITLE if version == "draft" else regulation.FINAL_TITLE
    header = regulation.DRAFT_HEADER if version == "draft" else regulation.FINAL_HEADER
    out = [f"# {title}", ""]
    for line in header:
        out += [line, ""]
    for item in regulation.REG:
        if isinstance(item, tuple):
            kind, heading = item
            out += [("## " if kind == "chapter" else "### ") + heading, ""]
            continue
        text = article_text(item, version)
        if not text:
            continue
        out += [re.sub(r"\{([a-z_]+)\}", sub, text), ""]
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------- helpers

def normalise_zip(path: Path) -> None:
    """Rewrite an Office zip with fixed entry dates so the file is reproducible."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            if name == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2025-10-15T09:00:00Z\g<2>", data)
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, data)
    path.write_bytes(buf.getvalue())


def parse_local(s: str) -> dt.datetime:
    return dt.datetime.strptime(s, "%Y-%m-%d %H:%M")


def expand_points(points, whole: str, where: str):
    """Resolve "*" to the whole text and check every point is quoted from the comment."""
    out = []
    for p in points:
        p = dict(p)
        if p["text"] == "*":
            p["text"] = whole
        if p["text"] not in whole:
            raise ValueError(f"{where}: point text not found in comment: {p['text'][:30]}")
        out.append(p)
    return out


def label(file, key, points, campaign_id=None, duplicate_of=None, quarantine=False):
    return {"file": file, "key": key, "points": points, "campaign": campaign_id,
            "duplicate_of": duplicate_of, "quarantine": quarantine}


# --------------------------------------------------------------------------- form (.xlsx)

FORM_COLUMNS = ["序号", "姓名", "工作单位", "联系电话", "涉及条款", "原文", "修改意见", "理由", "提交时间"]
FORM_TITLE = "《深圳经济特区电动自行车管理条例（征求意见稿）》意见征集表"
FORM_INSTRUCTIONS = [
    "填表说明",
    "1. 本表用于收集居民、企业和社会各界对《深圳经济特区电动自行车管理条例（征求意见稿）》的意见建议。",
    "2. “涉及条款”请填写征求意见稿的条款序号，如“第二十七条”；对条例整体的意见请填写“总体意见”。",
    "3. “原文”可摘录征求意见稿相关表述；“修改意见”请写明具体修改建议；“理由”请简要说明依据。",
    "4. 每条意见填写一行；同一人有多条意见的，可分行填写。",
    "5. 联系电话仅用于联系点核实意见，不对外公开。",
    "6. 意见征集截止时间：2025年10月15日。纸质表格请交至华富街道党群服务中心一楼立法联系点信箱。",
    "福田区华富街道基层立法联系点　联系电话：0755-83200000",
]


def write_form_workbook(path: Path, rows, title: str | None, instructions: list[str] | None):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "意见征集表"
    r0 = 1
    if title:
        ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
        ws.cell(row=1, column=1).alignment = Alignment(horizontal="center", vertical="center")
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(FORM_COLUMNS))
        ws.row_dimensions[1].height = 28
        r0 = 2
    for c, name in enumerate(FORM_COLUMNS, 1):
        cell = ws.cell(row=r0, column=c, value=name)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for i, row in enumerate(rows, 1):
        values = [i, row["姓名"], row["工作单位"], row["联系电话"], row["涉及条款"], row["原文"],
                  row["修改意见"], row["理由"], parse_local(row["提交时间"])]
        for c, v in enumerate(values, 1):
            cell = ws.cell(row=r0 + i, column=c, value=(v if v != "" else None))
            if c == 4 and v:
                cell.number_format = "@"
            if c == 9:
                cell.number_format = "yyyy-mm-dd hh:mm"
            if c in (6, 7, 8):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [6, 10, 22, 15, 16, 30, 60, 36, 17]
    for c, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(c)].width = w
    ws.freeze_panes = ws.cell(row=r0 + 1, column=1)
    if instructions:
        ws2 = wb.create_sheet("填表说明")
        for i, line in enumerate(instructions, 1):
            ws2.cell(row=i, column=1, value=line)
        ws2["A1"].font = Font(bold=True, size=13)
        ws2.column_dimensions["A"].width = 100
    wb.properties.creator = "华富街道基层立法联系点"
    wb.properties.created = FIXED_DOC_TIME
    wb.properties.modified = FIXED_DOC_TIME
    wb.properties.lastModifiedBy = "华富街道基层立法联系点"
    wb.save(path)
    normalise_zip(path)


def build_form(labels):
    rows = form_rows.ROWS
    serial_of_tag = {}
    for i, row in enumerate(rows, 1):
        if row["tag"]:
            serial_of_tag[row["tag"]] = i
    file = "comments/华富街道意见征集表.xlsx"
    for i, row in enumerate(rows, 1):
        points = expand_points(row["points"], row["修改意见"], f"{file} row {i}")
        dup = serial_of_tag[row["dup"]] if row["dup"] else None
        labels.append(label(file, i, points, row["campaign"], dup, row["quarantine"]))
    write_form_workbook(COMMENTS / "华富街道意见征集表.xlsx", rows, FORM_TITLE, FORM_INSTRUCTIONS)
    return len(rows)


# --------------------------------------------------------------------------- forum (.jsonl)

def build_forum(labels):
    file = "comments/论坛导出.jsonl"
    lines = []
    ids = set()
    for post in forum_posts.POSTS:
        if post["id"] in ids:
            raise ValueError(f"duplicate forum id {post['id']}")
        ids.add(post["id"])
        rec = {"id": post["id"], "text": post["text"]}
        if post["author"]:
            rec["author"] = post["author"]
        if post["organisation"]:
            rec["organisation"] = post["organisation"]
        if post["contact"]:
            rec["contact"] = post["contact"]
        rec["contact_point"] = forum_posts.CONTACT_POINT
        rec["channel"] = "forum"
        rec["submitted_at"] = post["when"]
        if post["articles"]:
            rec["articles"] = post["articles"]
        lines.append(json.dumps(rec, ensure_ascii=False))
        points = expand_points(post["points"], post["text"], f"{file} {post['id']}")
        dup = f"hf-bbs-{post['dup']:06d}" if post["dup"] else None
        labels.append(label(file, post["id"], points, post["campaign"], dup))
    (COMMENTS / "论坛导出.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


# --------------------------------------------------------------------------- symposium minutes (.docx)

SPEAKER = re.compile(r"^[^：，]{1,40}?(?:：|(?:表示|提出|认为|说|回应称)，)")


def build_minutes(spec, labels):
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "仿宋_GB2312"
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋_GB2312")

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(spec["title"])
    run.bold = True
    run.font.size = Pt(20)
    for line in spec["header"]:
        doc.add_paragraph(line)
    doc.add_paragraph(spec["intro"])
    file = spec["file"]
    for i, turn in enumerate(spec["turns"], 1):
        m = SPEAKER.match(turn["text"])
        if not m:
            raise ValueError(f"{file} turn {i}: no speaker prefix")
        p = doc.add_paragraph(turn["text"])
        p.paragraph_format.first_line_indent = Pt(28)
        body = turn["text"][m.end():]
        points = []
        for pt in turn["points"]:
            pt = dict(pt)
            if pt["text"] == "*":
                pt["text"] = body
            if pt["text"] not in turn["text"]:
                raise ValueError(f"{file} turn {i}: point text not in turn: {pt['text'][:30]}")
            points.append(pt)
        labels.append(label(file, i, points))
    doc.add_paragraph(spec["closing"])
    table_spec = spec["table"]
    if table_spec:
        doc.add_paragraph(table_spec["caption"])
        table = doc.add_table(rows=1, cols=len(table_spec["columns"]))
        table.style = "Table Grid"
        for c, name in enumerate(table_spec["columns"]):
            table.rows[0].cells[c].text = name
        for r, row in enumerate(table_spec["rows"], 1):
            cells = table.add_row().cells
            for c, value in enumerate(row["cells"]):
                cells[c].text = value
            points = expand_points(row["points"], row["cells"][1], f"{file} table row {r}")
            labels.append(label(file, f"table-1-row-{r}", points))
    cp = doc.core_properties
    cp.author = "华富街道基层立法联系点"
    cp.last_modified_by = "华富街道基层立法联系点"
    cp.title = spec["title"]
    cp.created = FIXED_DOC_TIME
    cp.modified = FIXED_DOC_TIME
    cp.revision = 1
    path = HERE / file
    doc.save(path)
    normalise_zip(path)
    return len(spec["turns"]), len(table_spec["rows"]) if table_spec else 0


# --------------------------------------------------------------------------- letters (.eml)

TO = formataddr(letters.CONTACT_POINT_ADDR, charset="utf-8")


def _headers(msg, spec, charset="utf-8"):
    when = dt.datetime.strptime(spec["date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=TZ)
    domain = spec["from"][1].split("@")[1]
    host = domain if domain.startswith(("mail.", "smtp.")) else f"smtp.{domain}"
    msg["Received"] = (f"from {host} ({host} [192.0.2.25]) by mx.huafu-street.example.org "
                       f"with ESMTPS id {spec['relay_id']}; {format_datetime(when)}")
    msg["From"] = formataddr(spec["from"], charset=charset)
    msg["To"] = TO
    msg["Subject"] = Header(spec["subject"], charset).encode()
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = spec["message_id"]
    msg["X-Mailer"] = "Foxmail 7.2.25.228[cn]" if charset == "gb18030" else "Microsoft Outlook 16.0"


HEADER_ORDER = ["Received", "From", "To", "Subject", "Date", "Message-ID", "X-Mailer",
                "MIME-Version", "Content-Type", "Content-Transfer-Encoding"]


def _as_bytes(msg) -> bytes:
    """Serialise with headers in the order a mail client writes them."""
    headers = [(k, v) for k, v in msg.items()]
    for k in {k for k, _ in headers}:
        del msg[k]
    headers.sort(key=lambda kv: HEADER_ORDER.index(kv[0]) if kv[0] in HEADER_ORDER else len(HEADER_ORDER))
    for k, v in headers:
        msg[k] = v
    if msg.is_multipart():
        for part in msg.get_payload():
            del part["MIME-Version"]
    return msg.as_bytes(policy=policy.SMTP)


def build_letters(labels):
    counts = {}
    # 1. lawyer: plain text, UTF-8, base64
    spec = letters.LAWYER
    msg = MIMEText(spec["body"], "plain", "utf-8")
    _headers(msg, spec)
    (HERE / spec["file"]).write_bytes(_as_bytes(msg))
    labels.append(label(spec["file"], "message-1", expand_points(spec["points"], spec["body"], spec["file"])))
    counts[spec["file"]] = 1

    # 2. owners' committee: HTML only, GB18030
    spec = letters.OWNERS
    items = "\n".join(f"<li>{t}</li>" for t in spec["html_items"])
    html = letters.OWNERS_HTML.format(items=items)
    msg = MIMEText(html, "html", "gb18030")
    _headers(msg, spec, charset="gb18030")
    (HERE / spec["file"]).write_bytes(_as_bytes(msg))
    labels.append(label(spec["file"], "message-1", expand_points(spec["points"], html, spec["file"])))
    counts[spec["file"]] = 1

    # 3. riders' joint letter: text (quoted-printable) + co-signed .xlsx
    spec = letters.JOINT
    msg = MIMEMultipart("mixed", boundary="----=_Part_20251010_103152_hfrider")
    _headers(msg, spec)
    cs = Charset("utf-8")
    cs.body_encoding = QP
    text = MIMEText(spec["body"], "plain", cs)
    msg.attach(text)
    tmp = COMMENTS / ".attachment.xlsx"
    write_form_workbook(tmp, spec["attachment_rows"], "骑手联名意见（电动自行车管理条例征求意见稿）", None)
    part = MIMEBase("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    part.set_payload(tmp.read_bytes())
    tmp.unlink()
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", spec["attachment_name"]))
    msg.attach(part)
    (HERE / spec["file"]).write_bytes(_as_bytes(msg))
    labels.append(label(spec["file"], "message-1", expand_points(spec["points"], spec["body"], spec["file"])))
    for i, row in enumerate(spec["attachment_rows"], 1):
        labels.append(label(spec["file"], f"message-1/attachment-1/row-{i}",
                            expand_points(row["points"], row["修改意见"], f"{spec['file']} attachment row {i}")))
    counts[spec["file"]] = 1 + len(spec["attachment_rows"])
    return counts


# --------------------------------------------------------------------------- main

def check_labels(labels):
    draft_max = len(numbering("draft"))
    types = {"修改", "增加", "删除", "支持", "反对", "询问", "其他"}
    adopted = {"采纳", "部分采纳", "未采纳", "无法判断"}
    seen = set()
    for lab in labels:
        k = (lab["file"], lab["key"])
        if k in seen:
            raise ValueError(f"duplicate label key {k}")
        seen.add(k)
        if lab["quarantine"] and lab["points"]:
            raise ValueError(f"{k}: quarantined rows carry no points")
        if not lab["quarantine"] and not lab["points"]:
            raise ValueError(f"{k}: no points")
        for p in lab["points"]:
            if p["type"] not in types or p["adopted"] not in adopted:
                raise ValueError(f"{k}: bad type/adopted {p}")
            for a in p["articles"]:
                if not 1 <= a <= draft_max:
                    raise ValueError(f"{k}: article {a} not in draft")


def main() -> None:
    COMMENTS.mkdir(exist_ok=True)
    (HERE / "draft.md").write_text(render("draft"), encoding="utf-8")
    (HERE / "final.md").write_text(render("final"), encoding="utf-8")
    labels: list[dict] = []
    counts = {"comments/华富街道意见征集表.xlsx": build_form(labels),
              "comments/论坛导出.jsonl": build_forum(labels)}
    for spec in (symposiums.RESIDENTS, symposiums.BUSINESS):
        turns, rows = build_minutes(spec, labels)
        counts[spec["file"]] = turns + rows
    counts.update(build_letters(labels))
    check_labels(labels)
    with open(HERE / "labels.jsonl", "w", encoding="utf-8") as fh:
        for lab in labels:
            fh.write(json.dumps(lab, ensure_ascii=False) + "\n")
    members = sum(1 for lab in labels if lab["campaign"] == campaign.CAMPAIGN_ID)
    print(f"draft: {len(numbering('draft'))} articles, final: {len(numbering('final'))} articles")
    for f, n in counts.items():
        print(f"{n:4d}  {f}")
    print(f"{len(labels):4d}  comments labelled; campaign {campaign.CAMPAIGN_ID}: {members}; "
          f"duplicates: {sum(1 for lab in labels if lab['duplicate_of'] is not None)}; "
          f"quarantined: {sum(1 for lab in labels if lab['quarantine'])}")


if __name__ == "__main__":
    main()
