"""A plan's timeline as a sales director reads it: the dated actions with their owners (under whatever column
headings the author chose, or written as list items), the last day a new opportunity can still close in the period
(stated, or the period's end less the stated sales cycle), and which action depends on which.

Read by the coherence checks (validation/coherence.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from .document import Line, PlanDoc
from .facts import parse_deadline
from .registry import OWNER_HEADER, subject
from .rules_plan import DEADLINE_H, TASK_H, action_deadline, records


@dataclass(slots=True)
class Action:
    task: str  # what is done, as the author wrote it
    owner: str  # who does it ('' when not said)
    when: date | None  # its deadline


_OWNER_IN_TEXT = re.compile(r"负责人\s*[：:是为]?\s*([^，,；;。）)\s]{2,12})|由([^，,；;。（(]{2,10}?)(?:负责|牵头)|"
                            r"[（(]([^（）()，,]{2,10}?)负责[)）]")


def _row_action(doc: PlanDoc, ln: Line) -> Action:
    when = action_deadline(doc, ln)
    if ln.cells:
        task = next((v for h, v in ln.cells.items()
                     if TASK_H.search(h) and not OWNER_HEADER.search(h) and not DEADLINE_H.search(h) and v.strip()),
                    subject(ln))
        owner = "、".join(v for h, v in ln.cells.items() if OWNER_HEADER.search(h) and v.strip())
        return Action(task.strip(), owner, when)
    m = _OWNER_IN_TEXT.search(ln.text)
    return Action(ln.text.strip(), next((g for g in m.groups() if g), "") if m else "", when)


def actions(doc: PlanDoc) -> list[Action]:
    """The action plan's actions: table rows read by their headings (任务/工作内容/举措…, 负责人/责任人/牵头…,
    时间/完成时间/截止/节点…), or its list items."""
    if "timeline.actions" not in doc.memo:
        doc.memo["timeline.actions"] = [_row_action(doc, ln) for ln in records(doc, ["action_plan"], TASK_H)]
    return doc.memo["timeline.actions"]


# ---------------------------------------------------------------- the last usable date

_DAY_TEXT = r"(?:\d{4}\s*[-年/.]\s*)?\d{1,2}\s*[-月/.]\s*\d{1,2}\s*日?"
_LAST_DATE = re.compile(rf"(?:商机|项目|线索|获客|询价|客户|机会)[^。；;\n]{{0,12}}?(?:最晚|最迟)[^。；;\n\d]{{0,8}}({_DAY_TEXT})|"
                        rf"(?:最晚|最迟)(?:进入|建立|立项|开发|报备)[^。；;\n\d]{{0,10}}({_DAY_TEXT})")
_CYCLE = re.compile(r"(?:销售|成交|签约|决策|采购|转化|回款前的?)周期[^\d。；;\n]{0,8}?(\d+)\s*(?:[-~～到至]\s*\d+\s*)?"
                    r"(天|日|周|个月|月)")
_CYCLE_DAYS = {"天": 1, "日": 1, "周": 7, "个月": 30, "月": 30}


def _texts(doc: PlanDoc) -> list[str]:
    """Every line; a table row as its cells side by side ('商机最晚进入日期 2027-11-01 期末−销售周期')."""
    return [" ".join(ln.cells.values()) if ln.cells else ln.text for ln in doc.all_lines()]


def sales_cycle(doc: PlanDoc) -> tuple[int, str] | None:
    """(days, as written) of the sales cycle the plan states: '租赁销售周期约90天' -> (90, '90天')."""
    for text in _texts(doc):
        if m := _CYCLE.search(text):
            return int(m.group(1)) * _CYCLE_DAYS[m.group(2)], m.group(1) + m.group(2)
    return None


def last_usable_date(doc: PlanDoc) -> tuple[date, str] | None:
    """(the last day a new opportunity can still close in the period, how the plan gives it): the date it states
    ('商机最晚10月2日前进入'), else the period's end less its stated sales cycle; the stated cycle is named either way."""
    period = doc.facts.period_dates
    cycle = sales_cycle(doc)
    why = f"（销售周期{cycle[1]}）" if cycle else ""
    for text in _texts(doc):
        if (m := _LAST_DATE.search(text)) and (d := parse_deadline(m.group(1) or m.group(2), period)):
            return d, why
    if cycle and period:
        last = period[1] - timedelta(days=cycle[0])
        if last >= period[0]:  # a cycle longer than the period leaves nothing to judge by
            return last, why
    return None


# ---------------------------------------------------------------- what depends on what

_USES = re.compile(r"(?:按照|按|依据|根据|基于|使用|采用|借助|依托|凭)([\u4e00-\u9fffA-Za-z0-9]{3,12})")
_MAKES = re.compile(r"发布|制定|出台|确定|上线|建立|编制|搭建|设计|印发|推出|定稿|签发|完成|到位|到岗|招聘|开通|采购")


def _shared(phrase: str, text: str) -> str:
    """The longest start of `phrase` (≥3 characters) that `text` contains: '新价格体系与重点客户' in
    '发布2027年新价格体系' -> '新价格体系'."""
    for n in range(len(phrase), 2, -1):
        if phrase[:n] in text:
            return phrase[:n]
    return ""


def prerequisites(rows: list[Action], pairs: list[dict[str, str]]) -> list[tuple[Action, Action, str]]:
    """(dependent, prerequisite, what links them) for every action dated before an action it needs: one that uses
    what another makes ('按新价格体系签框架' needs '发布新价格体系'), or a `pairs` rule
    ({topic, first, then}: regexes, e.g. training needs the hires)."""
    dated = [a for a in rows if a.when]
    out: list[tuple[Action, Action, str]] = []
    for b in dated:
        for m in _USES.finditer(b.task):
            for a in dated:
                word = _shared(m.group(1), a.task) if a is not b else ""
                made = _MAKES.search(a.task)
                if word and made and made.start() < a.task.index(word) and b.when < a.when \
                        and not _USES.search(a.task[:a.task.index(word)][-3:]):
                    out.append((b, a, word))
    for pair in pairs:
        topic, first, then = (re.compile(pair[k]) for k in ("topic", "first", "then"))
        firsts = [a for a in dated if topic.search(a.task) and first.search(a.task)]
        if not firsts:
            continue
        earliest = min(firsts, key=lambda a: a.when)
        for b in dated:
            if topic.search(b.task) and then.search(b.task) and not first.search(b.task) and b.when < earliest.when:
                out.append((b, earliest, ""))
    return list({(id(b), id(a)): (b, a, w) for b, a, w in out}.values())
