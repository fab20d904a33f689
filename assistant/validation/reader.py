"""Reading plans written by people: Markdown and DOCX -> a stream of headings, lines, list items and tables ->
canonical sections (headings mapped by the checklist's synonyms). The project's own JSON is read as a SalesPlan.

Unreadable input raises `PlanParseError` with a Chinese message; it is never scored as 0.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..headings import docx_heading_level, outline_level
from ..schema import SalesPlan
from .checklist import Checklist, read_checklist
from .document import CITATION_RE, HeadingRead, Line, PlanDoc, Section, Table, doc_from_plan
from .sections import STRONG as STRONG_MATCH
from .sections import by_synonym, read_heading, settle

MIN_SECTIONS = 2
# Bounds on what the reader takes in: a sales plan is tens of KB; these leave room for long plans with tables, and
# keep a pasted data dump or a zip bomb from costing minutes and gigabytes (reading stays linear in the text).
MAX_TEXT_BYTES = 1024 * 1024  # Markdown / text / JSON, as a file or pasted
MAX_DOCX_BYTES = 10 * 1024 * 1024  # the .docx file itself
MAX_DOCX_EXPANDED = 40 * 1024 * 1024  # its parts once unzipped
MAX_DOCX_PARTS = 2000


class PlanParseError(ValueError):
    """The file is not a plan the validator can read; the message says why, in Chinese."""


@dataclass(slots=True)
class DocPart:
    kind: str  # h | p | li | table
    text: str = ""
    level: int = 0
    table: Table | None = None
    pseudo: str = ""  # for headings found in plain text: cn1 | sub


# ---------------------------------------------------------------- heading recognition

_NUMBERING = re.compile(
    r"^\s*(?:第[一二三四五六七八九十\d]+[部章节分]+[、.．:：\s]*|[一二三四五六七八九十]{1,3}[、.．]\s*|"
    r"[（(][一二三四五六七八九十\d]{1,3}[)）]\s*|\d{1,2}(?:\.\d{1,2})*[、.．\s]\s*|[A-Za-z][、.．]\s*|附[：:、]?\s*)")
_MULTILEVEL = re.compile(r"^\d{1,2}(?:\.\d{1,2})+\s+\S")  # "1.2 竞争对手": a sub-heading
_BRACKET = re.compile(r"^【(.{2,24})】$")
_BOLD = re.compile(r"^\*\*([^*]{1,40})\*\*\s*[：:]?$")
_SENTENCE = re.compile(r"[，。；,;！？]|[：:].")
_EMPHASIS = re.compile(r"\*\*|__|`|~~|^\*(?=\S)|(?<=\S)\*$")
CITATION_ONLY = re.compile(r"^\s*[*_]*\s*(?:依据|来源|参考|出处)\s*[：:]\s*(?:\[[^\]]{1,40}\]\s*[,，、]?\s*)+[*_]*\s*$")
OQ_PREFIX = re.compile(r"^\s*(?:[-*]\s*)?(?:待确认|待补充|需确认|待核实|需补充)\s*[：:]\s*")


def clean_heading(text: str) -> str:
    text = _EMPHASIS.sub("", text).strip().rstrip("：:")
    return _NUMBERING.sub("", text, count=1).strip()


def map_heading(text: str, checklist: Checklist) -> tuple[str | None, str | None, int]:
    """(section key or None, appendix kind or None, synonym length) for a heading read by its synonyms alone."""
    name = clean_heading(text)
    hit = by_synonym(name, checklist)
    spec, spec_len = _special(name, checklist)
    if spec and spec_len >= (hit[1] if hit else 0):
        return None, spec, spec_len
    return (hit[0], None, hit[1]) if hit else (None, None, 0)


def _pseudo_heading(line: str) -> tuple[str, str] | None:
    """A heading written as plain text: '一、市场分析', '（一）竞争对手', '【预算】', '**预算明细**'."""
    bold = _BOLD.match(line.strip())
    s = bold.group(1).strip() if bold else _EMPHASIS.sub("", line).strip()
    if len(s) > 30 or _SENTENCE.search(s.rstrip("：:")):
        return None
    if m := _BRACKET.match(s):
        return "cn1", m.group(1)
    level = outline_level(s) if clean_heading(s) else None
    if level is not None and level <= 2:
        return "cn1", s
    if level is not None or _MULTILEVEL.match(s) or bold:
        return "sub", s
    return None


def _list_heading(text: str, checklist: Checklist) -> bool:
    """'1. 市场分析' written as a numbered list item but meant as a section heading."""
    name = clean_heading(text)
    if not name or len(name) > 12 or _SENTENCE.search(name):
        return False
    key, _, strength = map_heading(name, checklist)
    return key is not None and strength >= 0.6 * len(name)


# ---------------------------------------------------------------- Markdown / DOCX -> events


def markdown_events(text: str) -> list[DocPart]:
    from markdown_it import MarkdownIt

    checklist = read_checklist()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    events: list[DocPart] = []
    list_depth, in_table, ordered = 0, False, False
    table: Table | None = None
    row: list[str] = []
    heading_level = 0
    for tok in tokens:
        t = tok.type
        if t in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
            ordered = t == "ordered_list_open" if list_depth == 1 else ordered
        elif t in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif t == "heading_open":
            heading_level = int(tok.tag[1])
        elif t == "heading_close":
            heading_level = 0
        elif t == "table_open":
            in_table, table = True, Table(headers=[], rows=[])
        elif t == "table_close":
            in_table = False
            if table is not None and table.headers:
                events.append(DocPart("table", table=table))
        elif t == "tr_open":
            row = []
        elif t == "tr_close" and table is not None:
            if not table.headers:
                table.headers = row
            elif any(c for c in row):
                table.rows.append(row)
        elif t == "inline":
            content = tok.content.replace("<br>", " ").replace("\\|", "|")
            if in_table:
                row.append(_EMPHASIS.sub("", content).strip())
            elif heading_level:
                events.append(DocPart("h", _EMPHASIS.sub("", content).strip(), level=heading_level))
            elif list_depth:
                item = _EMPHASIS.sub("", " ".join(content.split("\n"))).strip()
                if list_depth == 1 and ordered and _list_heading(item, checklist):
                    events.append(DocPart("h", item, pseudo="cn1"))
                else:
                    events.append(DocPart("li", item))
            else:
                events.extend(_text_events(content.split("\n")))
    return events


_FIELD = re.compile(r"^\*\*([^*]{1,20})\*\*\s*[：:]\s*(\S.*)$")


def _text_events(lines: list[str]) -> list[DocPart]:
    out = []
    for line in lines:
        if not line.strip():
            continue
        if m := _FIELD.match(line.strip()):  # '**label**：value' — a field of its own, not under the last sub-heading
            out.append(DocPart("h", m.group(1).strip(), pseudo="field"))
            out.append(DocPart("p", f"{m.group(1).strip()}：{_EMPHASIS.sub('', m.group(2)).strip()}"))
            continue
        pseudo = _pseudo_heading(line)
        if pseudo:
            out.append(DocPart("h", pseudo[1], pseudo=pseudo[0]))
        else:
            out.append(DocPart("p", _EMPHASIS.sub("", line).strip()))
    return out


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}MB"


def check_docx_size(data: bytes, name: str = "Word 文件") -> None:
    """Refuse a .docx whose parts unzip to more than MAX_DOCX_EXPANDED (read from the zip directory, nothing inflated)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise PlanParseError(f"无法打开 Word 文件「{name}」（可能已损坏，或不是 .docx 格式）：{exc}") from None
    expanded = sum(i.file_size for i in infos)
    if len(infos) > MAX_DOCX_PARTS or expanded > MAX_DOCX_EXPANDED:
        raise PlanParseError(f"「{name}」解压后有{_mb(expanded)}、{len(infos)}个部件，超过{_mb(MAX_DOCX_EXPANDED)}的上限，"
                             "不像一份销售方案（可能嵌入了大量数据或是压缩炸弹）；请删去附件和嵌入对象后再评估")


def check_text_size(size: int, name: str) -> None:
    if size > MAX_TEXT_BYTES:
        raise PlanParseError(f"「{name}」有{_mb(size)}，超过{_mb(MAX_TEXT_BYTES)}的上限；销售方案通常只有几十KB，"
                             "请删去附带的数据表或拆分后再评估")


def docx_events(data: bytes, name: str = "Word 文件") -> list[DocPart]:
    from docx import Document
    from docx.table import Table as DocxTable

    check_docx_size(data, name)
    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise PlanParseError(f"无法打开 Word 文件（可能已损坏，或不是 .docx 格式）：{exc}") from None
    events: list[DocPart] = []
    for block in document.iter_inner_content():
        if isinstance(block, DocxTable):
            rows = [[c.text.strip() for c in r.cells] for r in block.rows]
            if rows and rows[0]:
                events.append(DocPart("table", table=Table(headers=rows[0], rows=[r for r in rows[1:] if any(r)])))
            continue
        text = block.text.strip()
        if not text:
            continue
        style = (block.style.name if block.style is not None else "") or ""
        level = docx_heading_level(style)
        if level is not None:  # the title is level 1 here, Heading N is N + 1
            events.append(DocPart("h", text, level=level + 1))
        elif "List" in style or "列表" in style:
            events.append(DocPart("li", text))
        elif block.runs and all(r.bold for r in block.runs if r.text.strip()) and len(text) <= 30:
            numbered = outline_level(text)  # '十、风险' in bold is a section heading, not a sub-heading
            events.append(DocPart("h", text.rstrip("：:"), pseudo="cn1" if numbered and numbered <= 2 else "sub"))
        elif block.runs and block.runs[0].bold and re.match(r"^[^：:]{1,20}[：:]\s*\S", text) \
                and text.startswith(block.runs[0].text.strip()):
            label = block.runs[0].text.strip().rstrip("：:")
            events.append(DocPart("h", label, pseudo="field"))
            events.append(DocPart("p", text))
        else:
            events.extend(_text_events(text.split("\n")))
    return events


# ---------------------------------------------------------------- events -> PlanDoc

_TITLE = re.compile(r"(?:方案|计划|规划|策划|计划书|方案书)\s*(?:[（(][^）)]*[)）])?$")


def _looks_like_title(ev: DocPart) -> bool:
    """The document's own title ('2027年度华南区销售工作计划'), not a numbered section heading."""
    text = _EMPHASIS.sub("", ev.text).strip()
    return ev.level <= 1 and not ev.pseudo and not _NUMBERING.match(text) and bool(_TITLE.search(text))



def _special(name: str, checklist: Checklist) -> tuple[str | None, int]:
    """The appendix a heading names (assumptions | open_questions | references) and the synonym's length."""
    low, best = name.lower(), (None, 0)
    for kind, synonyms in checklist.special.items():
        for syn in synonyms:
            if syn.lower() in low and len(syn) > best[1]:
                best = (kind, len(syn))
    return best


def build_doc(events: list[DocPart], *, source: str, kind: str, checklist: Checklist | None = None) -> PlanDoc:
    checklist = checklist or read_checklist()
    doc = PlanDoc(source=source, kind=kind)
    blocks: list[Section] = []  # content under headings that name no section: placed by content afterwards
    cur: Section | None = None
    cur_level = 0
    last_level = 1
    special: str | None = None  # doc-level appendix being read: assumptions | open_questions | references
    sub, sub_special = "", None  # sub-heading inside the current section
    headings_seen: list[str] = []
    first_block: Section | None = None  # the opening block, when its heading names nothing (写在前面, 开篇)
    for ev in events:
        if ev.kind == "h":
            if ev.pseudo == "field" and cur is None:
                continue  # '**label**：value' outside a section is preamble or appendix content
            headings_seen.append(ev.text)
            if ev.pseudo == "cn1":
                level = cur_level or 2
            elif ev.pseudo in ("sub", "field"):
                level = (cur_level or last_level) + 1
            else:
                level = ev.level
            last_level = level
            if not doc.title and not doc.sections and not blocks and _looks_like_title(ev):
                doc.title = _EMPHASIS.sub("", ev.text).strip()
                continue
            name = clean_heading(ev.text)
            reading = read_heading(name, checklist) if name else None
            spec, spec_len = _special(name, checklist)
            if reading and spec and spec_len >= reading.strength:
                reading = None
            inside = (cur is not None or special is not None) and level > (cur_level or 0)
            if reading and cur is not None and level > cur_level and (
                    cur.key in reading.keys or reading.strength < STRONG_MATCH or ev.pseudo == "field"):
                reading = None  # a sub-heading of the current section
            if reading and reading.how == "语义相近":  # an embedding's guess: the block's content decides
                cur = Section(key="", title=name)
                cur.hint = reading.keys[0]
                blocks.append(cur)
                cur_level, special, sub, sub_special = level, None, "", None
            elif reading:
                cur = next((doc.sections[k] for k in reading.keys if k in doc.sections), None) \
                    or Section(key=reading.keys[0], title=name)
                for k in reading.keys:
                    doc.sections.setdefault(k, cur)
                doc.heading_reads.append(HeadingRead(name, reading.keys, reading.how))
                cur_level, special, sub, sub_special = level, None, "", None
            elif spec and inside and cur is not None:
                sub, sub_special = name, spec
            elif spec:
                cur, cur_level, special = None, level, spec
            elif inside:
                if special is not None:
                    continue
                sub, sub_special = name, None
            elif not doc.title and not doc.sections and not blocks:
                doc.title = _EMPHASIS.sub("", ev.text).strip()
                cur, cur_level, special, sub, sub_special = None, level, None, "", None
            else:
                cur = Section(key="", title=name)
                if not doc.sections and not blocks:
                    first_block = cur
                blocks.append(cur)
                cur_level, special, sub, sub_special = level, None, "", None
            continue
        _add_content(doc, ev, cur, special, sub, sub_special)
    settle(doc, blocks, first_block)
    if not doc.title:
        doc.title = doc.preamble[0][:60] if doc.preamble else Path(source).stem
    if len(doc.sections) < MIN_SECTIONS:
        seen = "、".join(clean_heading(h) for h in headings_seen[:8]) or "（没有标题）"
        raise PlanParseError(
            f"「{Path(source).name}」中没有识别出销售方案的章节（至少需要{MIN_SECTIONS}个，找到{len(doc.sections)}个）。"
            f"文中的标题：{seen}。请用标题划分章节，例如“销售目标”“目标分解”“行动计划”“预算”“风险与应对”。")
    return doc


def _add_content(doc: PlanDoc, ev: DocPart, cur: Section | None, special: str | None, sub: str,
                 sub_special: str | None) -> None:
    mode = sub_special if cur is not None else special
    if ev.kind == "table":
        assert ev.table is not None
        ev.table.sub = sub
        if cur is not None and mode is None:
            cur.add_table(ev.table)
            return
        texts = ["；".join(f"{h}：{c}" for h, c in zip(ev.table.headers, r, strict=False) if c) for r in ev.table.rows]
    else:
        texts = [ev.text]
    for text in texts:
        if not text:
            continue
        if CITATION_ONLY.match(text):  # '*依据：[3][4]*' under a section: its sources, never an open question
            if cur is not None:
                cur.citations.extend(c for c in CITATION_RE.findall(text) if c not in cur.citations)
            continue
        is_oq = bool(OQ_PREFIX.match(text))
        plain = OQ_PREFIX.sub("", text).strip()
        if mode == "references" and cur is None:
            m = re.match(r"^\[?(S?\d{1,3})[\].、]\s*(.+)$", plain)
            if m:
                doc.references[m.group(1)] = m.group(2)
        elif mode == "open_questions" or is_oq:
            (cur.open_questions if cur is not None else doc.open_questions).append(plain)
        elif mode == "assumptions":
            (cur.assumptions if cur is not None else doc.assumptions).append(plain)
        elif cur is not None:
            cur.lines.append(Line(text=text, sub=sub, kind="item" if ev.kind == "li" else "para"))
        elif special is None:
            doc.preamble.append(text)


# ---------------------------------------------------------------- files


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:4096]:
        raise PlanParseError(f"「{name}」是二进制文件，不是文本方案；请提供 .md、.docx 或本工具导出的 .json")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise PlanParseError(f"「{name}」的文字编码无法识别，请另存为 UTF-8")


def parse_text(text: str, source: str = "方案.md") -> PlanDoc:
    check_text_size(len(text.encode("utf-8")), Path(source).name)
    if not text.strip():
        raise PlanParseError(f"「{Path(source).name}」是空的，没有可评估的内容")
    return build_doc(markdown_events(text), source=source, kind="markdown")


def plan_from_json(text: str, name: str) -> SalesPlan:
    try:
        return SalesPlan.model_validate_json(text)
    except ValidationError as exc:
        try:
            json.loads(text)
        except json.JSONDecodeError as jexc:
            raise PlanParseError(f"「{name}」不是合法的 JSON（第{jexc.lineno}行）：{jexc.msg}") from None
        where = "；".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:3])
        raise PlanParseError(f"「{name}」不是本工具导出的方案 JSON（字段有误：{where}）。"
                             "手写方案请用 .md 或 .docx") from None


def load_document(path: str | Path) -> PlanDoc:
    """Read a plan file (.json from this tool, .md/.markdown/.txt, .docx) into a PlanDoc."""
    p = Path(path)
    if not p.is_file():
        raise PlanParseError(f"找不到文件：{p}")
    suffix = p.suffix.lower()
    size = p.stat().st_size
    if suffix == ".docx" and size > MAX_DOCX_BYTES:
        raise PlanParseError(f"「{p.name}」有{_mb(size)}，超过{_mb(MAX_DOCX_BYTES)}的上限；请删去图片和嵌入对象后再评估")
    if suffix != ".docx":
        check_text_size(size, p.name)
    data = p.read_bytes()
    if not data.strip():
        raise PlanParseError(f"「{p.name}」是空的，没有可评估的内容")
    if suffix == ".docx":
        return build_doc(docx_events(data, p.name), source=str(p), kind="docx")
    if suffix == ".doc":
        raise PlanParseError(f"「{p.name}」是旧版 Word（.doc），请在 Word 中另存为 .docx 后再评估")
    if suffix == ".json":
        return doc_from_plan(plan_from_json(_decode(data, p.name), p.name), source=str(p))
    if suffix in (".md", ".markdown", ".txt", ""):
        return parse_text(_decode(data, p.name), source=str(p))
    raise PlanParseError(f"不支持的文件类型「{suffix}」：请提供 .md、.docx 或本工具导出的 .json")
