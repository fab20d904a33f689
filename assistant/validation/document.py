"""What the validator reads: a plan as a person reads it — canonical sections made of lines, list items and tables.

The project's own SalesPlan and hand-written Markdown/DOCX plans are both turned into a `PlanDoc`, so one set of
checks grades every plan the same way. Open questions (待确认) and assumptions are kept apart from content lines,
so a question never counts as the content it asks for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from pydantic import BaseModel

from ..quantities import format_amount
from ..render import AMOUNT_FIELDS, cell_text, section_fields
from ..request import PlanRequest
from ..schema import SalesPlan, SectionBase
from .facts import Facts

CITATION_RE = re.compile(r"\[(S?\d{1,3}|[A-Za-z0-9_.\-]+\.md)\]")


@dataclass(slots=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    sub: str = ""

    def col(self, pattern: re.Pattern[str], exclude: re.Pattern[str] | None = None) -> int | None:
        """Index of the first column whose header matches `pattern` (and not `exclude`)."""
        for i, h in enumerate(self.headers):
            if pattern.search(h) and not (exclude and exclude.search(h)):
                return i
        return None

    def column(self, idx: int) -> list[str]:
        return [r[idx] if idx < len(r) else "" for r in self.rows]


@dataclass(slots=True)
class Line:
    """One paragraph line, list item or table row ("表头：单元格；…") inside a section."""

    text: str
    sub: str = ""  # the sub-heading it sits under, "" when none
    kind: str = "para"  # para | item | row
    cells: dict[str, str] | None = None


@dataclass
class Section:
    key: str
    title: str
    lines: list[Line] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    open_questions: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)
    hint: str = ""  # for a block whose heading only an embedding could read: the section it suggested

    def add_table(self, table: Table) -> None:
        self.tables.append(table)
        for row in table.rows:
            cells = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(table.headers)}
            text = "；".join(f"{h}：{c}" for h, c in cells.items() if c)
            if text:
                self.lines.append(Line(text=text, sub=table.sub, kind="row", cells=cells))

    @cached_property
    def text(self) -> str:
        return "\n".join(ln.text for ln in self.lines)


@dataclass(slots=True)
class HeadingRead:
    """How one heading was read: as which canonical section(s), and by what (同义词 | 字符相近 | 语义相近 | 按内容 |
    内容归入 = found inside that heading's section)."""

    heading: str
    keys: list[str]
    how: str


@dataclass
class PlanDoc:
    source: str
    kind: str  # plan | markdown | docx
    title: str = ""
    sections: dict[str, Section] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)  # headings that map to no canonical section
    preamble: list[str] = field(default_factory=list)  # lines before the first section
    assumptions: list[str] = field(default_factory=list)
    open_questions: list[str] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)  # citation id -> title
    declared_period: tuple[date, date, str] | None = None
    declared_unit: str | None = None
    declared_target: float | None = None
    memo: dict = field(default_factory=dict, repr=False)  # extraction results shared by the checks
    heading_reads: list[HeadingRead] = field(default_factory=list)  # which heading was read as which section
    request: PlanRequest | None = None  # what the user asked for, when the plan is this tool's own (JSON)
    unplaced: list[Section] = field(default_factory=list)  # blocks under headings that named no section

    def section(self, key: str) -> Section | None:
        return self.sections.get(key)

    def present(self, keys: list[str]) -> list[tuple[str, Section]]:
        """(key, section) for those of `keys` the plan has, in the given order."""
        return [(k, s) for k in keys if (s := self.sections.get(k)) is not None]

    def lines(self, keys: list[str]) -> list[tuple[str, Line]]:
        """(section key, line) for the given sections, in the given order; a line two sections share (one heading
        read as both) comes once."""
        seen: set[int] = set()
        out = []
        for k in keys:
            for ln in (s.lines if (s := self.sections.get(k)) else []):
                if id(ln) not in seen:
                    seen.add(id(ln))
                    out.append((k, ln))
        return out

    def unique_sections(self) -> list[tuple[str, Section]]:
        """(key, section) once per section object: a section read under two keys is listed under its first."""
        seen: set[int] = set()
        return [(k, s) for k, s in self.sections.items() if id(s) not in seen and not seen.add(id(s))]

    def all_lines(self) -> list[Line]:
        """Every content line of the plan once, placed or not."""
        lines = [ln for _, ln in self.lines(list(self.sections))]
        return lines + [ln for block in self.unplaced for ln in block.lines]

    @cached_property
    def all_open_questions(self) -> list[str]:
        """The plan's own and every section's open questions (待确认), without repeats."""
        seen = dict.fromkeys(self.open_questions)
        for s in self.sections.values():
            seen.update(dict.fromkeys(s.open_questions))
        return list(seen)

    def questions_about(self, words: list[str]) -> list[str]:
        """Open questions that mention any of `words`."""
        return [q for q in self.all_open_questions if any(w in q for w in words)]

    @cached_property
    def full_text(self) -> str:
        parts = [self.title, *self.preamble]
        for s in [sec for _, sec in self.unique_sections()] + self.unplaced:
            parts.append(s.title)
            parts.append(s.text)
        return "\n".join(parts)

    @cached_property
    def facts(self) -> Facts:
        return Facts(self)


# ---------------------------------------------------------------- SalesPlan -> PlanDoc


def _cell(name: str, value: object, unit: str) -> str:
    """As the renderer shows a value, but blank for None and amounts with their unit."""
    if value is None:
        return ""
    if isinstance(value, float) and name in AMOUNT_FIELDS:
        return format_amount(value, unit)
    return cell_text(name, value)


def section_from_model(key: str, title: str, model: SectionBase, unit: str) -> Section:
    sec = Section(key=key, title=title)
    for name, label, value in section_fields(model):
        if isinstance(value, list) and isinstance(value[0], BaseModel):
            row_fields = type(value[0]).model_fields
            headers = [row_fields[c].title or c for c in row_fields]
            rows = [[_cell(c, getattr(r, c), unit) for c in row_fields] for r in value]
            sec.add_table(Table(headers=headers, rows=rows, sub=label))
        elif isinstance(value, list):
            sec.lines.extend(Line(text=str(v), sub=label, kind="item") for v in value if str(v).strip())
        else:
            sec.lines.append(Line(text=f"{label}：{_cell(name, value, unit)}", kind="para"))
    sec.open_questions = list(model.open_questions)
    sec.assumptions = list(model.assumptions)
    sec.citations = list(dict.fromkeys([*model.citations, *CITATION_RE.findall(sec.text)]))
    return sec


def doc_from_plan(plan: SalesPlan, source: str = "方案") -> PlanDoc:
    fig = plan.figures
    doc = PlanDoc(source=source, kind="plan", title=plan.title,
                  declared_period=(fig.period_start, fig.period_end, fig.period_label), declared_unit=fig.unit,
                  declared_target=fig.revenue_target, request=plan.request)
    for spec, model in plan.sections.items():
        if model is not None:
            doc.sections[spec.key] = section_from_model(spec.key, spec.title, model, fig.unit)
    doc.assumptions = [f"{a.field}：{a.value}（依据：{a.source}）" for a in plan.assumptions]
    doc.open_questions = list(plan.open_questions)
    doc.references = {r.id: r.title for r in plan.references}
    return doc
