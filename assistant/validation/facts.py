"""Reading numbers out of a PlanDoc: amounts with units, rates, counts, dates, labelled rows (months, quarters,
reps, channels, budget lines) and the plan-wide facts every numeric rule needs (period, unit, target).

Amount parsing reuses assistant.quantities; nothing here re-implements it.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from ..quantities import CN_QUARTER, UNIT_YUAN, normalise_unit, parse_amount, parse_period

if TYPE_CHECKING:  # annotations only: document.PlanDoc builds its Facts from this module
    from .document import Line, PlanDoc, Table

MONEY_RE = re.compile(r"(?<![\d.])([+-]?\d[\d,]*(?:\.\d+)?)\s*(亿元|千万元|百万元|万元|千元|元|千万|百万|亿|万)"
                      r"(?![人个次家条单件台户名位份张倍天周年\d])")
RATE_RE = re.compile(r"(?<![\d.])(-?\d+(?:\.\d+)?)\s*[%％]")
NUMBER_RE = re.compile(r"(?<![\d.])\d[\d,]*(?:\.\d+)?")
COUNT_RE = re.compile(r"(?<![\d.])(\d[\d,]*)\s*(?:条|个|单|家|次|笔|位|名|组)")
BARE_NUMBER = re.compile(r"^\s*[¥￥]?\s*([+-]?\d[\d,]*(?:\.\d+)?)\s*$")
HEADER_UNIT = re.compile(r"(亿元|千万元|百万元|万元|千元|元)")
MONTH_LABEL = re.compile(r"^(?:(\d{4})\s*年\s*)?(1[0-2]|0?[1-9])\s*月份?(?![\d日底末中])")
QUARTER_LABEL = re.compile(r"^(?:(\d{4})\s*年\s*)?(?:[Qq]([1-4])|第?([一二三四1-4])\s*季度?)")
AMOUNT_HEADER = re.compile(r"目标|金额|销售额|指标|业绩|任务|预算|费用|合计|计划|收入|配额|额度|收款|合同额|中标|签约|新签|报名")
NOT_AMOUNT_HEADER = re.compile(r"占比|比例|%|％|率|权重|数量|人数|单数|月数|系数")
SHARE_HEADER = re.compile(r"占比|比例|份额")
TOTAL_LABEL = re.compile(r"^\s*(合计|总计|小计|总额|总计划|total)", re.I)
SUBSTANCE_BLANK = re.compile(r"^[\s—\-–/无空暂缺]*$|^(待确认|待补充|待定|未知|不详|TBD|N/?A)", re.I)
NON_ANSWER = re.compile(r"(?:需|待|请)[^，。；]{0,16}(?:确认|调研|补充|核实|访谈)")



def substantive(text: str | None) -> bool:
    """Real content, not a blank, a dash or a 'to be confirmed'."""
    return bool(text) and not SUBSTANCE_BLANK.match(text.strip()) and not NON_ANSWER.search(text)


def quote(text: str, limit: int = 48) -> str:
    text = " ".join(text.split())
    return "「" + (text if len(text) <= limit else text[:limit] + "…") + "」"


def money(text: str, unit: str) -> list[float]:
    out = []
    for num, suffix in MONEY_RE.findall(text):
        try:
            out.append(parse_amount(num + suffix, unit))
        except ValueError:
            continue
    return out


def rates(text: str) -> list[float]:
    return [float(r) / 100 for r in RATE_RE.findall(text)]


def header_scale(header: str, unit: str) -> float:
    """Factor that converts a bare number in a column with this header into the plan's unit."""
    m = HEADER_UNIT.search(header)
    if not m:
        return 1.0
    return UNIT_YUAN[normalise_unit(m.group(1))] / UNIT_YUAN[unit]


def cell_amount(cell: str, unit: str, scale: float = 1.0) -> float | None:
    found = money(cell, unit)
    if found:
        return found[0]
    m = BARE_NUMBER.match(cell)
    return float(m.group(1).replace(",", "")) * scale if m else None


def cell_count(cell: str) -> int | None:
    m = BARE_NUMBER.match(cell) or COUNT_RE.search(cell)
    if not m:
        return None
    try:
        return int(float(m.group(1).replace(",", "")))
    except ValueError:
        return None


def _numeric(cell: str) -> bool:
    return bool(BARE_NUMBER.match(cell) or MONEY_RE.fullmatch(cell.strip()) or RATE_RE.fullmatch(cell.strip()))


def label_column(table: Table) -> int | None:
    """The first column that holds words rather than numbers."""
    for i in range(len(table.headers)):
        cells = [c for c in table.column(i) if c.strip()]
        if cells and sum(not _numeric(c) for c in cells) >= len(cells) / 2:
            return i
    return None


def amount_column(table: Table, skip: int | None) -> int | None:
    for i, h in enumerate(table.headers):
        if i != skip and AMOUNT_HEADER.search(h) and not NOT_AMOUNT_HEADER.search(h):
            return i
    return None


def table_rows(table: Table, label_re: re.Pattern[str], unit: str, header_re: re.Pattern[str] | None = None,
               min_rows: int = 1) -> list[tuple[str, float]] | None:
    """(label, amount) rows of a table whose label column matches; handles months-as-columns tables too."""
    lab = label_column(table)
    if lab is not None and (header_re is None or header_re.search(table.headers[lab])):
        amt = amount_column(table, lab)
        cells = table.column(lab)
        hits = [i for i, c in enumerate(cells) if label_re.search(c.strip()) and not TOTAL_LABEL.match(c)]
        if amt is not None and len(hits) >= min_rows and len(hits) >= len([c for c in cells if c.strip()]) / 2:
            scale = header_scale(table.headers[amt], unit)
            rows = [(cells[i].strip(), cell_amount(table.rows[i][amt] if amt < len(table.rows[i]) else "", unit,
                                                   scale)) for i in hits]
            labels = [r[0] for r in rows]
            if len(set(labels)) == len(labels):
                return [(lbl, a) for lbl, a in rows if a is not None]
    if header_re is None:  # transposed: the labels are the column headers
        cols = [i for i, h in enumerate(table.headers) if label_re.search(h.strip())]
        if len(cols) >= max(2, min_rows):
            for row in table.rows:
                scale = header_scale(row[0], unit) if row else 1.0
                vals = [cell_amount(row[i], unit, scale) if i < len(row) else None for i in cols]
                if all(v is not None for v in vals):
                    return [(table.headers[i].strip(), v) for i, v in zip(cols, vals, strict=False)]  # type: ignore[misc]
    return None


LINE_LABEL = re.compile(r"^\s*([^：:]{1,30}?)\s*[：:]\s*(.+)$")


def line_amounts(lines: list[Line], label_re: re.Pattern[str], unit: str,
                 sub_re: re.Pattern[str] | None = None) -> list[tuple[str, float]]:
    """'1月：100万元' / '华东区：500万元' style list items and paragraph lines."""
    out: dict[str, float] = {}
    for ln in lines:
        if ln.kind == "row" or (sub_re is not None and not sub_re.search(ln.sub)):
            continue
        m = LINE_LABEL.match(ln.text)
        label, rest = (m.group(1).strip(), m.group(2)) if m else ("", "")
        if not m or not label_re.search(label) or TOTAL_LABEL.match(label):
            continue
        found = money(rest, unit)
        if found and label not in out:
            out[label] = found[0]
    return list(out.items())


# ---------------------------------------------------------------- dates


_DAY = re.compile(r"(?:(\d{4})\s*[-/.年]\s*)?(1[0-2]|0?[1-9])\s*[-/.月]\s*([12]\d|3[01]|0?[1-9])\s*日?")
_MONTH = re.compile(r"(?:(\d{4})\s*年\s*)?(1[0-2]|0?[1-9])\s*月\s*(底|末|中旬|上旬|下旬|前|内)?")
_QUARTER = re.compile(r"(?:(\d{4})\s*年\s*)?(?:[Qq]([1-4])|第?([一二三四])季度)\s*(?:末|底)?")
_YEAR_END = re.compile(r"年底|年末|期末|全年")


def _year_for(month: int, year: str | None, period: tuple[date, date] | None) -> int:
    if year:
        return int(year)
    if period is None:
        return date.today().year
    start, end = period
    return start.year if month >= start.month or start.year == end.year else end.year


def parse_deadline(text: str, period: tuple[date, date] | None) -> date | None:
    """The latest date a deadline cell or phrase names: 2027-03-31, 3月31日, 3月底, Q1末, 年底."""
    text = text.replace(" ", "")
    for m in _DAY.finditer(text):
        month, day = int(m.group(2)), int(m.group(3))
        year = _year_for(month, m.group(1), period)
        try:
            return date(year, month, min(day, calendar.monthrange(year, month)[1]))
        except ValueError:
            continue
    m = _QUARTER.search(text)
    if m:
        q = int(m.group(2)) if m.group(2) else CN_QUARTER[m.group(3)]
        month = 3 * q
        year = _year_for(month, m.group(1), period)
        return date(year, month, calendar.monthrange(year, month)[1])
    m = _MONTH.search(text)
    if m:
        month = int(m.group(2))
        year = _year_for(month, m.group(1), period)
        day = 15 if m.group(3) == "中旬" else 10 if m.group(3) == "上旬" else calendar.monthrange(year, month)[1]
        return date(year, month, day)
    if period and _YEAR_END.search(text):
        return period[1]
    return None


_PERIOD_PATTERNS = [
    re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*(?:至|到|~|～|—|–|-)\s*"
               r"(?:\d{4}\s*[-/.年]\s*)?\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"),
    re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*(?:至|到|~|～|—|–|-)\s*(?:\d{4}\s*年\s*)?\d{1,2}\s*月"),
    re.compile(r"\d{4}\s*年\s*(?:第?[一二三四1-4]\s*季度|[Qq][1-4])"),
    re.compile(r"\d{4}\s*年\s*[上下]半年"),
    re.compile(r"\d{4}\s*年(?:度|全年)?"),
]
PERIOD_HINT = re.compile(r"周期|期间|时间范围|执行时间|方案期|计划期|时间跨度|有效期")


def find_period(texts: list[str]) -> tuple[date, date, str] | None:
    for pattern in _PERIOD_PATTERNS:
        for text in texts:
            for m in pattern.finditer(text):
                try:
                    start, end, _ = parse_period(re.sub(r"\s+", "", m.group(0)))
                except ValueError:
                    continue
                return start, end, m.group(0).strip()
    return None


# ---------------------------------------------------------------- plan-wide facts

REVENUE_WORDS = re.compile(r"销售额|营收|营业收入|销售收入|收入|业绩|销售目标|签约额|合同额|销售总额|营业额|中标金额|新签|"
                           r"收款|目标[是为：:]?\s*\d|做到|实现")
BASELINE_WORDS = re.compile(r"去年|上年|上期|同期|基数|基期|上一年|前一年|历史")
NOT_REVENUE = re.compile(r"回款|客单|预算|费用|产能|缺口|提成|管道|每人|人均")


class Facts:
    """Plan-wide facts, read once per document and shared by the checks."""

    def __init__(self, doc: PlanDoc):
        self.doc = doc

    @cached_property
    def unit(self) -> str:
        if self.doc.declared_unit:
            return self.doc.declared_unit
        counts: dict[str, int] = {}
        for _, suffix in MONEY_RE.findall(self.doc.full_text):
            unit = normalise_unit(suffix)
            counts[unit] = counts.get(unit, 0) + 1
        for t in (tb for s in self.doc.sections.values() for tb in s.tables):
            for h in t.headers:
                if m := HEADER_UNIT.search(h):
                    counts[m.group(1)] = counts.get(m.group(1), 0) + 3
        return max(counts, key=counts.get) if counts else "万元"  # type: ignore[arg-type]

    @cached_property
    def period(self) -> tuple[date, date, str] | None:
        if self.doc.declared_period:
            return self.doc.declared_period
        doc = self.doc
        hinted = [t for t in [doc.title, *doc.preamble] + [ln.text for _, ln in doc.lines(list(doc.sections))]
                  if PERIOD_HINT.search(t)]
        return find_period(hinted) or find_period([doc.title]) or find_period(
            doc.preamble + [ln.text for _, ln in doc.lines(["executive_summary", "sales_targets"])])

    @cached_property
    def period_dates(self) -> tuple[date, date] | None:
        return (self.period[0], self.period[1]) if self.period else None

    @cached_property
    def target_line(self) -> tuple[str, float] | None:
        """(the sentence stating it, amount) of the revenue target: the targets section first, then the summary,
        then anywhere; a sentence about a past year or a baseline ('2026年…做了1,500万元', '去年…') is skipped."""
        keys = ["sales_targets", "executive_summary"]
        keys += [k for k in self.doc.sections if k not in keys]
        for _, ln in self.doc.lines(keys):
            if not REVENUE_WORDS.search(ln.text) or (NOT_REVENUE.search(ln.text) and ln.kind == "row"):
                continue
            for sentence in [ln.text] if ln.kind == "row" else re.split(r"[。；;\n]", ln.text):
                if not REVENUE_WORDS.search(sentence) or self._past(sentence):
                    continue
                amount = pick_amount(sentence, self.unit)
                if amount is not None:
                    return sentence, amount
        return None

    def _past(self, sentence: str) -> bool:
        """A sentence about the baseline: it names a year before the plan's period, or 去年/上年/上期 first."""
        years = [int(y) for y in re.findall(r"(20\d{2})\s*年", sentence)]
        start = self.period[0].year if self.period else None
        if years and start and years[0] < start:
            return True
        head = re.split(r"\d", sentence, maxsplit=1)[0]
        return bool(BASELINE_WORDS.search(head)) and not re.search(r"目标", head)

    @cached_property
    def target(self) -> float | None:
        if self.doc.declared_target is not None:
            return self.doc.declared_target
        return self.target_line[1] if self.target_line else None


def pick_amount(text: str, unit: str, avoid: re.Pattern[str] = BASELINE_WORDS) -> float | None:
    """The first amount in a line not introduced by a baseline/collection word ('去年1000万元' is skipped)."""
    for m in MONEY_RE.finditer(text):
        before = text[max(0, m.start() - 8):m.start()]
        if (avoid.search(before) and "目标" not in before) or NOT_REVENUE.search(before[-4:]):
            continue
        try:
            return parse_amount(m.group(1) + m.group(2), unit)
        except ValueError:
            continue
    return None
