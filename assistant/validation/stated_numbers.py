"""The numbers a plan states, read from its tables and lines: breakdowns, quotas, splits, funnel, budget, growth.

Each reader returns what it found together with the text it came from, so findings can quote it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..quantities import parse_amount
from .document import PlanDoc
from .facts import (
    MONEY_RE,
    MONTH_LABEL,
    QUARTER_LABEL,
    RATE_RE,
    cell_amount,
    cell_count,
    header_scale,
    label_column,
    line_amounts,
    money,
    rates,
    table_rows,
)
from .prose import (
    PERSON_NAME,
    budget_in_sentence,
    clauses,
    labelled_amounts,
    month_amounts,
    people_in_text,
    quarter_amounts,
    sentences,
)
from .registry import OWNER_HEADER, subject

Rows = list[tuple[str, float]]
T = TypeVar("T")


def memo(fn: Callable[[PlanDoc, list[str]], T]) -> Callable[[PlanDoc, list[str]], T]:
    """Read once per document and scope: several checks ask for the same numbers (treat results as read-only)."""

    @functools.wraps(fn)
    def wrapper(doc: PlanDoc, keys: list[str]) -> T:
        key = (fn.__name__, tuple(keys))
        if key not in doc.memo:
            doc.memo[key] = fn(doc, keys)
        return doc.memo[key]

    return wrapper


def labelled(doc: PlanDoc, keys: list[str], label_re: re.Pattern[str], header_re: re.Pattern[str] | None = None,
             sub_re: re.Pattern[str] | None = None, min_rows: int = 1) -> tuple[Rows, str]:
    """(label, amount) rows from the first section in `keys` that has them; and that section's key."""
    unit = doc.facts.unit
    for key, sec in doc.present(keys):
        for table in sec.tables:
            rows = table_rows(table, label_re, unit, header_re, min_rows)
            if rows:
                return rows, key
        rows = line_amounts(sec.lines, label_re, unit, sub_re)
        if len(rows) >= min_rows:
            return rows, key
    return [], ""


def anywhere(doc: PlanDoc, keys: list[str]) -> list[str]:
    """The given sections first, then every other section: a number is checked wherever the plan states it."""
    return [*keys, *(k for k in doc.sections if k not in keys)]


def _prose_rows(doc: PlanDoc, keys: list[str], reader: Callable[[str], list[tuple[int, str]]],
                label: str) -> tuple[Rows, str]:
    """Rows stated in a sentence ('1月190万元、2月200万元…'), from the first line in `keys` that has them."""
    unit = doc.facts.unit
    for key, ln in doc.lines(keys):
        found = [(label.format(n), money(amount, unit) or [cell_amount(amount, unit)]) for n, amount in reader(ln.text)]
        rows = [(lbl, values[0]) for lbl, values in found if values and values[0] is not None]
        if rows:
            return rows, key
    return [], ""


def _periods(doc: PlanDoc, keys: list[str], label_re: re.Pattern[str], reader: Callable[[str], list[tuple[int, str]]],
             label: str, min_rows: int) -> tuple[Rows, str]:
    """Month or quarter amounts: tables and '1月：100万元' lines, then sentences; in `keys` first, then anywhere."""
    for scope in (keys, anywhere(doc, keys)):
        rows, key = labelled(doc, scope, label_re, min_rows=min_rows)
        if len(rows) < 2:
            rows, key = _prose_rows(doc, scope, reader, label) or (rows, key)
        if rows:
            return _dedupe(rows, label_re), key
    return [], ""


@memo
def months(doc: PlanDoc, keys: list[str]) -> tuple[Rows, str]:
    return _periods(doc, keys, MONTH_LABEL, month_amounts, "{}月", 2)


@memo
def quarters(doc: PlanDoc, keys: list[str]) -> tuple[Rows, str]:
    rows, key = _periods(doc, keys, QUARTER_LABEL, quarter_amounts, "Q{}", 1)
    return rows, key


def _dedupe(rows: Rows, label_re: re.Pattern[str]) -> Rows:
    seen: dict[str, tuple[str, float]] = {}
    for label, amount in rows:
        m = label_re.search(label)
        norm = "".join(g or "" for g in m.groups()) if m else label
        seen.setdefault(norm, (label, amount))
    return list(seen.values())


# ---------------------------------------------------------------- quotas (per rep / per region) and splits

REP_HEADER = re.compile(r"销售|姓名|人员|负责人|业务员|成员|区域|大区|片区|团队|小组|客户经理|城市|省")
NOT_REP_HEADER = re.compile(r"渠道|产品|期间|月份|季度|阶段|科目|岗位|指标名称|活动|销售额")
PERSON_HEADER = re.compile(r"销售|姓名|人员|负责人|业务员|成员|客户经理")
QUOTA_HEADER = re.compile(r"指标|目标|任务|业绩|金额|配额|销售额")
GENERIC_NAME = re.compile(r"^(销售代表|销售|业务员|客户经理|大客户销售|新人|待招|人员|成员|[A-Z])\s*\d*$|^待招|^新招")


@dataclass(slots=True)
class Quota:
    label: str
    owner: str
    amount: float
    line: str


@memo
def quotas(doc: PlanDoc, keys: list[str]) -> tuple[list[Quota], str]:
    unit = doc.facts.unit
    for key, sec in doc.present(keys):
        for table in sec.tables:
            lab = label_column(table)
            if lab is None or not REP_HEADER.search(table.headers[lab]) or NOT_REP_HEADER.search(table.headers[lab]):
                continue
            amt = next((i for i, h in enumerate(table.headers) if i != lab and QUOTA_HEADER.search(h)
                        and not re.search(r"占比|比例|率|月数|%", h)), None)
            if amt is None:
                continue
            own = lab if PERSON_HEADER.search(table.headers[lab]) else table.col(OWNER_HEADER)
            scale = header_scale(table.headers[amt], unit)
            out = []
            for row in table.rows:
                label = row[lab].strip() if lab < len(row) else ""
                value = cell_amount(row[amt], unit, scale) if amt < len(row) else None
                if not label or value is None or re.match(r"^(合计|总计|小计)", label):
                    continue
                owner = row[own].strip() if own is not None and own < len(row) else ""
                out.append(Quota(label, owner, value, " | ".join(row)))
            if out:
                return out, key
        found = []
        for ln in sec.lines:
            if ln.kind == "row" or not re.search(r"个人|人员|区域|分配|指标|任务|负责", ln.sub + ln.text[:12]):
                continue
            head, sep, rest = ln.text.partition("：")
            amounts = money(rest or ln.text, unit)
            if sep and amounts and len(head) <= 16:
                m = re.search(r"负责人\s*[：:]\s*([^，,；;）)]+)|[（(]([^（）()]{1,10})负责[)）]", ln.text)
                owner = (m.group(1) or m.group(2)) if m else (head if len(head) <= 6 else "")
                found.append(Quota(head, owner.strip(), amounts[0], ln.text))
        if len(found) >= 2:
            return found, key
        found = _prose_quotas(doc, sec)
        if len(found) >= 2:
            return found, key
    return [], ""


def _prose_quotas(doc: PlanDoc, sec) -> list[Quota]:  # noqa: ANN001 - a Section
    """Quotas in a sentence: '静安店（店长吴倩）280万元、…；企业团购由周岚180万元、林卫160万元'. The owner is a person the
    plan names, in the label or in the brackets beside the amount."""
    unit, names, out = doc.facts.unit, people(doc), []
    for ln in sec.lines:
        if ln.kind == "row" or not re.search(r"按人|个人|负责|分配|区域|校区|片区|门店|店长|由", ln.text):
            continue
        for it in labelled_amounts(ln.text):
            after = re.match(r"\s*[（(]([^）)]{1,60})[）)]", ln.text[it.start + len(it.amount):])
            near = it.label + it.note + (after.group(1) if after else "")
            label = re.sub(r"^.*?由", "", it.label) or it.label
            owner = next((n for n in names if n in near), label if PERSON_NAME.fullmatch(label) else "")
            value = money(it.amount, unit)
            if value and label and not it.total_word and not re.search(r"合计|总|目标|预算|费用|以上", label):
                out.append(Quota(label, owner, value[0], ln.text))
    return out


def people(doc: PlanDoc) -> set[str]:
    """The people the plan names (owners, reps, managers): from owner and name columns, and where people are written
    ('店长吴倩', '由周岚负责', '王浩（合肥）')."""
    if "people" not in doc.memo:
        names = people_in_text(doc.full_text)
        for ln in doc.all_lines():
            names.update(v.strip() for h, v in (ln.cells or {}).items()
                         if (OWNER_HEADER.search(h) or PERSON_HEADER.search(h)) and 2 <= len(v.strip()) <= 4
                         and not re.search(r"\d|经理|主管|总监|销售|专员|部|组", v))
        doc.memo["people"] = names
    return doc.memo["people"]


SPLIT_HEADER = re.compile(r"渠道|区域|大区|片区|产品|品类|产品线|客户类型|客户群|行业|城市|省")
SPLIT_SUB = re.compile(r"渠道|区域|产品|品类|行业")


@dataclass(slots=True)
class Split:
    name: str  # the dimension, e.g. 渠道
    amounts: list[float]
    shares: list[float]


@memo
def splits(doc: PlanDoc, keys: list[str]) -> list[Split]:
    unit = doc.facts.unit
    out: list[Split] = []
    for _key, sec in doc.present(keys):
        for table in sec.tables:
            lab = label_column(table)
            if lab is None or not SPLIT_HEADER.search(table.headers[lab]):
                continue
            body = [r for r in table.rows if lab < len(r) and not re.match(r"^(合计|总计|小计)", r[lab].strip())]
            amt = next((i for i, h in enumerate(table.headers) if i != lab and re.search(r"金额|目标|指标|销售额", h)
                        and not re.search(r"占比|比例|率|%", h)), None)
            shr = next((i for i, h in enumerate(table.headers) if re.search(r"占比|比例|份额", h)), None)
            scale = header_scale(table.headers[amt], unit) if amt is not None else 1.0
            # a lead source (展会、抖音) carries leads, not revenue: a row with neither amount nor share is not a split
            body = [r for r in body if not all(i is not None and i < len(r) and r[i].strip() in ("", "—", "-")
                                               for i in (amt, shr))]
            amounts = [a for r in body if amt is not None and amt < len(r)
                       and (a := cell_amount(r[amt], unit, scale)) is not None]
            shares = [rates(r[shr])[0] for r in body if shr is not None and shr < len(r) and rates(r[shr])]
            if len(amounts) >= 2 or len(shares) >= 2:
                dim = SPLIT_HEADER.search(table.headers[lab]).group(0)  # type: ignore[union-attr]
                out.append(Split(dim, amounts if len(amounts) == len(body) else [],
                                 shares if len(shares) == len(body) else []))
        rows = line_amounts(sec.lines, re.compile(r"."), unit, SPLIT_SUB)
        if len(rows) >= 2:
            out.append(Split("分项", [a for _, a in rows], []))
    return out


# ---------------------------------------------------------------- funnel

DEAL_SIZE = re.compile(r"客单价|单均|平均订单|平均合同|平均成交金额|平均单价|每单金额|平均签约额|平均每单|每单平均|平均中标|"
                       r"课包均价|平均每台|平均每个项目")
WIN_RATE = re.compile(r"赢单率|成交率|赢率|签约率|商机转化率|商机[→\->到]+成交|商机转化为成交|[签成]\S?的?比例|"
                      r"(?:商机|试听|演示|报价|投标)[^，。；\d]{0,6}(?:到|→|后)[^，。；\d]{0,4}(?:成交|签约|报名|中标|下单)")
STAGE_RATE = re.compile(r"转化|→|->|到下一阶段|到[^，。；\d]{1,8}的?[^，。；\d]{0,3}率")
CYCLE = re.compile(r"(?:销售|成交|签约|跟进|招标|租赁)周期[^\d。]{0,16}?(\d+(?:\.\d+)?)\s*(天|日|个月|月|周)|"
                   r"(\d+(?:\.\d+)?)\s*(天|日|个月|周)的?(?:销售|成交)?周期|"
                   r"从[^，。；\d]{1,14}到[^，。；\d]{1,14}平均\s*(\d+(?:\.\d+)?)\s*(天|日|个月|周)")
STAGE_WORD = re.compile(r"线索|商机|机会|成交|签约|赢单|意向|拜访|合格|需求确认|方案|报价|谈判|接触|"
                        r"项目信息|投标|中标|立项|试听|报名|留资|演示")
DEAL_STAGE = re.compile(r"成交|签约|赢单|中标|报名|下单|签单|^签$")
OPP_STAGE = re.compile(r"商机|机会|立项|演示|试听")
LEAD_STAGE = re.compile(r"线索|潜在客户|意向|项目信息|留资|询价|接触")
_STAGES = r"合格线索|线索|商机|机会|成交|签约|赢单|中标|报名|下单|项目信息|留资|询价|接触|立项|演示|试听"
STAGE_BEFORE = re.compile(rf"({_STAGES}|签)[^\d，。；、]{{0,6}}?(\d[\d,]*)\s*(?:条|个|单|家|笔|次|场|节|人次|项)")
STAGE_AFTER = re.compile(rf"(\d[\d,]*)\s*(?:条|个|单|家|笔|次|场|节|人次|项)(?:有效)?({_STAGES})")


@dataclass
class Funnel:
    deal_size: tuple[float, str] | None = None
    win_rate: tuple[float, str] | None = None
    stage_rates: list[tuple[float, str]] | None = None
    cycle: tuple[float, str] | None = None
    stages: list[tuple[str, int]] | None = None
    stage_text: str = ""
    stage_table: bool = False  # the counts come from a funnel table (not from a sentence)
    base: tuple[float, str] | None = None  # the amount the counts are worked out for ('630万元需要成交180单')


def _rate_after(text: str, pattern: re.Pattern[str]) -> float | None:
    m = pattern.search(text)
    if not m:
        return None
    found = RATE_RE.search(text, m.end()) or RATE_RE.search(text)
    return float(found.group(1)) / 100 if found else None


@memo
def funnel(doc: PlanDoc, keys: list[str]) -> Funnel:
    unit = doc.facts.unit
    f = Funnel(stage_rates=[])
    lines = [ln for _, ln in doc.lines(keys)]
    for ln in lines:  # a table row as it is; a paragraph clause by clause ('成交率40%…；转化率约50%…')
        for text in [ln.text] if ln.cells else [c for sent in sentences(ln.text) for c in clauses(sent)]:
            subj = subject(ln) if ln.cells else text
            if f.deal_size is None and DEAL_SIZE.search(text) and (amounts := money(text[DEAL_SIZE.search(text).start():], unit)):
                f.deal_size = (amounts[0], text)
            if WIN_RATE.search(subj):
                r = _rate_after(text, WIN_RATE)
                if r is not None and f.win_rate is None:
                    f.win_rate = (r, text)
            elif STAGE_RATE.search(text) and RATE_RE.search(text) and not DEAL_SIZE.search(text):
                f.stage_rates.append((rates(text)[0], text))  # type: ignore[union-attr]
            if f.cycle is None and (m := CYCLE.search(text)):
                number, unit_word = next((m.group(i), m.group(i + 1)) for i in (1, 3, 5) if m.group(i))
                f.cycle = (float(number) * {"天": 1, "日": 1, "周": 7}.get(unit_word, 30), text)
    f.stages, f.stage_text = stage_counts(doc, keys)
    f.stage_table = bool(f.stages) and f.stage_text == _joined(f.stages)
    if not f.stage_table and (m := FUNNEL_BASE.search(f.stage_text)):
        amount = money(m.group(1), unit)
        f.base = (amount[0], m.group(0)) if amount else None
    return f


FUNNEL_BASE = re.compile(r"(\d[\d,]*(?:\.\d+)?\s*(?:亿元|万元|元|亿|万))[^，。；\d]{0,4}(?:需要|需|对应|要)")


def _joined(rows: list[tuple[str, int]]) -> str:
    return "；".join(f"{a}{b}" for a, b in rows)


@memo
def stage_counts(doc: PlanDoc, keys: list[str]) -> tuple[list[tuple[str, int]], str]:
    """Ordered (stage, count) from a funnel table, else from '需成交80单、商机267个、线索1526条' text."""
    for _key, sec in doc.present(keys):
        for table in sec.tables:
            lab = label_column(table)
            if lab is None:
                continue
            labels = table.column(lab)
            if sum(bool(STAGE_WORD.search(c)) for c in labels) < max(2, len(labels) / 2):
                continue
            cnt = next((i for i, h in enumerate(table.headers) if i != lab and re.search(r"数量|个数|所需|需要|数$|目标|数\b", h)
                        and not re.search(r"率|%|占比", h)), None)
            if cnt is None:
                continue
            rows = [(c.strip(), n) for c, r in zip(labels, table.rows, strict=False)
                    if cnt < len(r) and (n := cell_count(r[cnt])) is not None]
            if len(rows) >= 2:
                return rows, _joined(rows)
    for _, ln in doc.lines(keys):  # '需成交80单、商机267个' and '需要450个商机、接触900家企业'
        found = [(m.start(), m.group(1), m.group(2)) for m in STAGE_BEFORE.finditer(ln.text)]
        found += [(m.start(), m.group(2), m.group(1)) for m in STAGE_AFTER.finditer(ln.text)]
        stages: dict[int, tuple[str, int]] = {}  # funnel position -> the first stage the text names there
        for _, word, number in sorted(found):
            rank = 0 if LEAD_STAGE.search(word) else 1 if OPP_STAGE.search(word) else 2
            stages.setdefault(rank, (word, int(number.replace(",", ""))))
        if len(stages) >= 2:
            return [stages[r] for r in sorted(stages)], ln.text
    return [], ""


PRIMARY_STAGE = {DEAL_STAGE: re.compile(r"成交|签约|赢单"), OPP_STAGE: re.compile(r"商机|机会"), LEAD_STAGE: re.compile(r"线索")}


def stage_value(stages: list[tuple[str, int]], pattern: re.Pattern[str]) -> int | None:
    """The count of the stage `pattern` names, preferring its usual name (商机 before 立项/演示/试听)."""
    for p in (PRIMARY_STAGE.get(pattern), pattern):
        if p is not None and (n := next((n for name, n in stages if p.search(name)), None)) is not None:
            return n
    return None


@memo
def coverage_value(doc: PlanDoc, keys: list[str]) -> tuple[float, str] | None:
    for _, ln in doc.lines(keys):
        if "覆盖" not in ln.text:
            continue
        m = re.search(r"覆盖[^\d。；]{0,10}?(\d+(?:\.\d+)?)\s*倍", ln.text) or re.search(r"(\d+(?:\.\d+)?)\s*倍", ln.text)
        if m:
            return float(m.group(1)), ln.text
        m = re.search(r"覆盖率[^\d]{0,6}(\d+(?:\.\d+)?)\s*[%％]", ln.text)
        if m:
            return float(m.group(1)) / 100, ln.text
    return None


CAPACITY = re.compile(r"产能|可实现业绩|可完成业绩")
NOT_CAPACITY = re.compile(r"人均|每人|缺口|月产能|单人")


@memo
def capacity_value(doc: PlanDoc, keys: list[str]) -> tuple[float, str] | None:
    unit = doc.facts.unit
    for _, ln in doc.lines(keys):
        subj = subject(ln) if ln.cells else ln.text
        if CAPACITY.search(subj) and not NOT_CAPACITY.search(subj):
            m = re.search(r"产能[^\d]{0,8}?(\d[\d,]*(?:\.\d+)?\s*(?:亿元|千万元|百万元|万元|千元|元|亿|万))", ln.text)
            amounts = money(m.group(1), unit) if m else money(ln.text, unit)
            if amounts:
                return amounts[0], ln.text
    return None


# ---------------------------------------------------------------- budget, growth

TOTAL = re.compile(r"合计|总计|总额|总预算|预算总额|预算合计|小计")
BUDGET_LABEL = re.compile(r"^(?!.*(?:合计|总计|总额|小计|费用率)).+")


@memo
def budget(doc: PlanDoc, keys: list[str]) -> tuple[Rows, tuple[float, str] | None]:
    """Budget lines and the stated total: a table or 'label：amount' lines in `keys`; else a sentence naming the lines
    and the total ('总预算150万元，其中展会60万元、…'), in `keys` first, then anywhere."""
    unit = doc.facts.unit
    rows, _ = labelled(doc, keys, BUDGET_LABEL, header_re=re.compile(r"科目|项目|费用|类别|用途|名称|预算"),
                       min_rows=1)
    total = None
    for _, ln in doc.lines(keys):
        subj = subject(ln)
        if TOTAL.search(subj) and not re.search(r"率", subj):
            values = [cell_amount(v, unit, header_scale(h, unit)) for h, v in (ln.cells or {}).items()]
            values = [v for v in values if v is not None] or money(ln.text, unit)
            if values:
                total = (values[0], ln.text)
                break
    if len(rows) >= 2:
        return rows, total
    for key, ln in doc.lines(anywhere(doc, keys)):
        sentence = next((b for part in [ln.text, *sentences(ln.text)]
                         if (b := budget_in_sentence(part, in_budget=key in keys))), None)
        if sentence:
            lines = [(it.label, v[0]) for it in sentence.lines if (v := money(it.amount, unit))]
            stated = money(sentence.total.amount, unit) if sentence.total else []
            return lines, (stated[0], sentence.text) if stated else total
    return rows, total


BASELINE = re.compile(r"去年|上年|上期|同期|基数|基期|上一年|前一年|上年度|"
                      r"(\d{4})\s*年[^，。；\d]{0,16}?(?:完成|实现|实际|做了|做到|中标|合同额|销售额|收入|收款|为)")
GROWTH = re.compile(r"增长|增幅|同比|提升|增加|(下降|减少|降低)")
BASELINE_GAP = re.compile(r"[，。；;,]|待|确认|目标|回款|预算")


@memo
def baseline_and_growth(doc: PlanDoc, keys: list[str]) -> tuple[tuple[float, str] | None, tuple[float, str] | None]:
    unit = doc.facts.unit
    base = growth = None
    for _, ln in doc.lines(keys):
        text = ln.text
        if base is None:
            for kw in BASELINE.finditer(text):
                if kw.group(1) and (not doc.facts.period or int(kw.group(1)) >= doc.facts.period[0].year):
                    continue  # '2027年实现…' is the target year, not a baseline
                m = MONEY_RE.search(text, kw.end(), kw.end() + 40)
                if m and not BASELINE_GAP.search(text[kw.end():m.start()]):
                    base = (parse_amount(m.group(1) + m.group(2), unit), text)
                    break
        if growth is None and (g := GROWTH.search(text)):
            r = RATE_RE.search(text, g.end())
            if r and not re.search(r"达成|回款|费用|覆盖|转化|赢单", text[max(0, g.start() - 6):g.start()]):
                value = float(r.group(1)) / 100
                growth = (-abs(value) if g.group(1) else value, text)
    return base, growth



