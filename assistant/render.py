"""Rendering a SalesPlan as Markdown, DOCX and JSON.

One walk over the plan produces blocks (heading / paragraph / bullets / table / chart); Markdown and DOCX are two
emitters of the same blocks, so both formats always show the same content. Charts (assistant.charts, drawn from the
plan's figures) sit in the sections they illustrate: embedded in the DOCX, PNG files in a folder beside a Markdown
file (`方案_图表/`), data URIs in the UI preview. DOCX pages are A4. Writes are atomic, a Markdown file's charts first.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from .charts import Chart, plan_charts
from .files import atomic_write
from .quantities import format_number, format_rate
from .retrieval.models import source_label
from .schema import SalesPlan, SectionBase

AMOUNT_FIELDS = {"amount", "quota", "target_amount", "total", "revenue_target"}
RATE_FIELDS = {"share", "conversion_to_next", "target_share", "expense_ratio"}
SKIP_FIELDS = set(SectionBase.model_fields)  # citations, assumptions, open questions: shown apart
CN_NUMERALS = "一二三四五六七八九十"
FORMATS = ("md", "docx", "json")
CHART_FOLDER_SUFFIX = "_图表"  # 方案.md -> 方案_图表/targets.png
A4_MM, MARGIN_MM, CHART_WIDTH_MM = (210, 297), 25, 160


@dataclass
class Block:
    kind: Literal["heading", "paragraph", "bullets", "table", "chart"]
    text: str = ""
    level: int = 2
    items: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    chart: Chart | None = None


def _ordinal(i: int) -> str:
    if i <= 10:
        return CN_NUMERALS[i - 1]
    return "十" + CN_NUMERALS[i - 11] if i < 20 else str(i)


def cell_text(name: str, value: object) -> str:
    """A field value as a table cell shows it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if name in RATE_FIELDS:
            return format_rate(value)
        return format_number(value, trim=False) if name in AMOUNT_FIELDS else f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _title(model: type[BaseModel], name: str, unit: str) -> str:
    title = model.model_fields[name].title or name
    return f"{title}（{unit}）" if name in AMOUNT_FIELDS else title


def section_fields(section: SectionBase) -> Iterator[tuple[str, str, Any]]:
    """(name, title, value) of a section's own filled-in fields, in schema order: what a plan shows, and what the
    validator reads."""
    for name, info in type(section).model_fields.items():
        value = getattr(section, name)
        if name not in SKIP_FIELDS and value not in (None, "", []):
            yield name, info.title or name, value


def section_blocks(section: SectionBase, unit: str, ref_numbers: dict[str, int]) -> list[Block]:
    blocks: list[Block] = []
    for name, label, value in section_fields(section):
        if isinstance(value, list) and isinstance(value[0], BaseModel):
            row_model = type(value[0])
            cols = [c for c in row_model.model_fields if any(getattr(r, c) is not None for r in value)]
            blocks.append(Block("paragraph", text=f"**{label}**"))
            blocks.append(Block("table", header=[_title(row_model, c, unit) for c in cols],
                                rows=[[cell_text(c, getattr(r, c)) for c in cols] for r in value]))
        elif isinstance(value, list):
            blocks.append(Block("paragraph", text=f"**{label}**"))
            blocks.append(Block("bullets", items=[str(v) for v in value]))
        else:
            shown = f"{cell_text(name, value)}{unit if name in AMOUNT_FIELDS else ''}"
            blocks.append(Block("paragraph", text=f"**{label}**：{shown}"))
    if section.assumptions:
        blocks.append(Block("paragraph", text="**本节假设**"))
        blocks.append(Block("bullets", items=section.assumptions))
    if section.open_questions:
        blocks.append(Block("paragraph", text="**待确认**"))
        blocks.append(Block("bullets", items=[f"待确认：{q}" for q in section.open_questions]))
    cited = [f"[{ref_numbers[c]}]" for c in section.citations if c in ref_numbers]
    if cited:
        blocks.append(Block("paragraph", text=f"*依据：{''.join(cited)}*"))
    return blocks


def plan_blocks(plan: SalesPlan, charts: bool = True) -> list[Block]:
    """The plan as blocks; with `charts`, each section's charts follow its heading, captioned 图1, 图2, …"""
    fig = plan.figures
    by_section: dict[str, list[Chart]] = {}
    for chart in plan_charts(fig) if charts else []:
        by_section.setdefault(chart.section or "", []).append(chart)
    figure_no = 0
    meta = plan.metadata
    who = "离线起草器（未使用大模型）" if meta.drafter == "offline" else f"模型 {meta.model}（提示词 {meta.prompt_version}）"
    blocks = [Block("heading", text=plan.title, level=1),
              Block("paragraph", text=f"计划周期：{fig.period_start:%Y-%m-%d} 至 {fig.period_end:%Y-%m-%d}"
                                      f"（{fig.period_label}）｜金额单位：{fig.unit}｜起草：{who}｜"
                                      f"生成时间：{meta.created_at:%Y-%m-%d %H:%M}")]
    if plan.request.stand_ins:
        from .request import STAND_IN_NOTES

        blocks.append(Block("paragraph", text="> 说明：" + "；".join(STAND_IN_NOTES[f] for f in plan.request.stand_ins)
                                               + "。请补充后重新生成，详见文末「待确认」。"))
    if meta.score_history:
        blocks.append(Block("paragraph", text=f"完整性评分：{meta.score_history[-1]:.0f}/100"))
    ref_numbers = {r.id: i for i, r in enumerate(plan.references, start=1)}
    index = 0
    for spec, section in plan.sections.items():
        index += 1
        blocks.append(Block("heading", text=f"{_ordinal(index)}、{spec.title}", level=2))
        if section is None:
            blocks.append(Block("paragraph", text="（本节缺失）"))
            continue
        run = meta.sections.get(spec.key)
        if run and run.status == "fallback":
            blocks.append(Block("paragraph", text=f"> 注意：本节由离线起草器兜底生成，原因：{run.fallback_reason or '模型输出未通过检查'}"))
        for chart in by_section.get(spec.key, []):
            figure_no += 1
            blocks.append(Block("chart", text=f"图{figure_no} {chart.title}", chart=chart))
        blocks.extend(section_blocks(section, fig.unit, ref_numbers))
    blocks.append(Block("heading", text="附：假设与待确认事项", level=2))
    if plan.assumptions:
        blocks.append(Block("table", header=["项目", "取值", "依据"],
                            rows=[[a.field, a.value, a.source] for a in plan.assumptions]))
    questions = plan.all_open_questions()
    if questions:
        blocks.append(Block("paragraph", text="**待确认（请补充后重新生成）**"))
        blocks.append(Block("bullets", items=[f"待确认：{q}" for q in questions]))
    if plan.references:
        blocks.append(Block("heading", text="参考资料", level=2))
        blocks.append(Block("bullets", items=[f"[{i}] {r.title}（{source_label(r.source)}）" for i, r in
                                              enumerate(plan.references, start=1)]))
    return blocks


# ---------------------------------------------------------------- emitters


def _mdcell_text(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def chart_folder(stem: str) -> str:
    """The folder beside `<stem>.md` that holds its charts."""
    return f"{stem}{CHART_FOLDER_SUFFIX}"


def data_uri(chart: Chart) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")


def to_markdown(plan: SalesPlan, image_src: Callable[[Chart], str] | None = None) -> str:
    """Markdown; charts appear as images where `image_src` says each one lives (a relative path, a data URI), and are
    left out without it (text for a terminal)."""
    out: list[str] = []
    for b in plan_blocks(plan, charts=image_src is not None):
        if b.kind == "chart":
            out.append(f"![{b.text}]({image_src(b.chart)})\n")
        elif b.kind == "heading":
            out.append(f"{'#' * b.level} {b.text}\n")
        elif b.kind == "paragraph":
            out.append(f"{b.text}\n")
        elif b.kind == "bullets":
            out.append("\n".join(f"- {i}" for i in b.items) + "\n")
        else:
            lines = ["| " + " | ".join(_mdcell_text(h) for h in b.header) + " |",
                     "|" + "|".join(" --- " for _ in b.header) + "|"]
            lines += ["| " + " | ".join(_mdcell_text(c) for c in row) + " |" for row in b.rows]
            out.append("\n".join(lines) + "\n")
    return "\n".join(out)


def to_json(plan: SalesPlan) -> str:
    return plan.model_dump_json(indent=2)


def _a4(doc) -> None:
    from docx.shared import Mm

    for section in doc.sections:
        section.page_width, section.page_height = Mm(A4_MM[0]), Mm(A4_MM[1])
        section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Mm(MARGIN_MM)


def _cjk_fonts(doc) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for style_name, font in (("Normal", "宋体"), ("Title", "黑体"), ("Heading 1", "黑体"), ("Heading 2", "黑体"),
                             ("List Bullet", "宋体")):
        style = doc.styles[style_name]
        style.font.name = "Times New Roman" if font == "宋体" else "Arial"
        rpr = style.element.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(rfonts)
        rfonts.set(qn("w:eastAsia"), font)
    doc.styles["Normal"].font.size = Pt(10.5)


def _add_runs(paragraph, text: str) -> None:
    """Markdown-ish **bold** and *italic* spans as runs."""
    import re

    for part in re.split(r"(\*\*[^*]+\*\*|\*[^*]+\*)", text):
        if part.startswith("**") and part.endswith("**"):
            paragraph.add_run(part[2:-2]).bold = True
        elif part.startswith("*") and part.endswith("*") and len(part) > 1:
            paragraph.add_run(part[1:-1]).italic = True
        elif part:
            paragraph.add_run(part)


def to_docx_bytes(plan: SalesPlan) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    doc = Document()
    _a4(doc)
    _cjk_fonts(doc)
    doc.core_properties.title = plan.title
    bullet_id, grid_id = doc.styles["List Bullet"].style_id, doc.styles["Table Grid"].style_id
    heading_ids = {1: doc.styles["Title"].style_id, 2: doc.styles["Heading 1"].style_id}
    for b in plan_blocks(plan):
        if b.kind == "chart":
            picture = doc.add_paragraph()
            picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
            picture.add_run().add_picture(io.BytesIO(b.chart.png), width=Mm(CHART_WIDTH_MM))
            caption = doc.add_paragraph()
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
            caption.add_run(b.text).italic = True
        elif b.kind == "heading":
            para = doc.add_paragraph()
            para._p.style = heading_ids.get(b.level, heading_ids[2])  # by id: lookups by name are slow
            para.add_run(b.text)
        elif b.kind == "paragraph":
            _add_runs(doc.add_paragraph(), b.text.removeprefix("> "))
        elif b.kind == "bullets":
            for item in b.items:
                para = doc.add_paragraph()
                para._p.style = bullet_id
                _add_runs(para, item)
        else:
            table = doc.add_table(rows=len(b.rows) + 1, cols=len(b.header))  # full size: add_row is slow
            table._tbl.tblStyle_val = grid_id
            cells = table._cells
            width = len(b.header)
            for i, text in enumerate(b.header):
                cells[i].paragraphs[0].add_run(text).bold = True
            for r, row in enumerate(b.rows, start=1):
                for c, text in enumerate(row):
                    cells[r * width + c].paragraphs[0].add_run(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def output_format(path: Path | None = None, fmt: str | None = None) -> str:
    """The one decision of an export's format: the format asked for, else the file's suffix, else Markdown
    (no file: printed). Raises ValueError (Chinese) for anything but md / docx / json."""
    if fmt is None and path is None:
        return "md"
    chosen = (fmt or (path.suffix.lstrip(".") if path is not None else "")).lower()
    chosen = {"markdown": "md", "mdown": "md"}.get(chosen, chosen)
    if chosen not in FORMATS:
        raise ValueError(f"不支持的导出格式「{chosen or (path.suffix if path is not None else '')}」，可选：md、docx、json")
    return chosen


def render(plan: SalesPlan, fmt: str) -> str | bytes:
    """The plan in a format already chosen by `output_format` (Markdown without its chart files: see render_files)."""
    if fmt == "md":
        return to_markdown(plan)
    if fmt == "json":
        return to_json(plan)
    if fmt == "docx":
        return to_docx_bytes(plan)
    raise ValueError(f"不支持的导出格式「{fmt}」，可选：md、docx、json")


def render_files(plan: SalesPlan, fmt: str, stem: str) -> dict[str, bytes]:
    """Every file of the plan in `fmt`, by path relative to its folder; the plan's own file `<stem>.<fmt>` last.
    Markdown brings its charts as PNGs in `<stem>_图表/`."""
    if fmt != "md":
        data = render(plan, fmt)
        return {f"{stem}.{fmt}": data.encode("utf-8") if isinstance(data, str) else data}
    folder = chart_folder(stem)
    charts = {f"{folder}/{c.filename}": c.png for c in plan_charts(plan.figures)}
    text = to_markdown(plan, image_src=lambda c: f"{folder}/{c.filename}")
    return {**charts, f"{stem}.md": text.encode("utf-8")}


def export(plan: SalesPlan, path: str | Path, fmt: str) -> Path:
    """Write the plan atomically in a format already chosen by `output_format` (a Markdown file's charts first)."""
    path = Path(path)
    for name, data in render_files(plan, fmt, path.stem).items():
        atomic_write(path.parent / name, data)
    return path


def markdown_zip(plan: SalesPlan, folder: Path, stem: str) -> Path:
    """`<stem>_Markdown.zip` in `folder`: the Markdown file and its chart folder, for a single download."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in render_files(plan, "md", stem).items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return atomic_write(Path(folder) / f"{stem}_Markdown.zip", buf.getvalue())


def load_plan_json(text: str) -> SalesPlan:
    return SalesPlan.model_validate_json(text)
