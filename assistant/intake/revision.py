"""Revise a drafted plan by a chat instruction, touching only the sections the instruction affects.

    "把预算里线上投放提高到50%"  -> budget_split changes -> numbers engine recomputes -> budget redrafted
    "目标改成1500万"             -> revenue_target changes -> every section whose numbers move is redrafted
    "风险部分再具体一点"          -> risks redrafted with the instruction (LLM), nothing else touched

Fact and number changes are read by the intake reader (one parser for what people write) plus a budget-share
rule; the request is rebuilt and validated, Figures recomputed and re-applied to every section's tables, so all
sections keep quoting the same numbers. Which sections a change affects is decided by the offline drafter itself:
a section is affected when its offline version differs between the old and the new figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..drafting.drafter import Drafter
from ..drafting.figures import apply_figures
from ..drafting.offline import draft_section, plan_title
from ..planning.engine import compute_figures
from ..planning.playbooks import budget_line_named
from ..planning.rounding import round_split
from ..quantities import format_amount, format_rate, parse_rate
from ..request import PlanRequest, RequestError, build_request
from ..schema import SECTION_KEYS, SECTIONS, Figures, Progress, ProgressEvent, SalesPlan, SectionRun
from .intents import named_sections, read_revision

_RATE = r"(\d+(?:\.\d+)?\s*[%％]|百分之[\d零一二两三四五六七八九十点.]+|[一二三四五六七八九\d](?:\.\d)?成)"
_UP, _DOWN = "提高|提升|增加|上调|调高|加到|增至", "降低|减少|下调|调低|压缩|降到|减到|降至"
_SHARE_RE = re.compile(rf"(?P<verb>{_UP}|{_DOWN}|调整|改|调|设|定|占)(?:到|为|成|至)?\s*{_RATE}")
_DELTA_RE = re.compile(rf"(?P<verb>{_UP}|{_DOWN})\s*(?P<delta>\d+(?:\.\d+)?)\s*个?百分点")
_ITEM_PREFIX = re.compile(r"^.*?(?:预算|费用|经费)(?:里面|当中|里|中|的|内)?")
_ITEM_SUFFIX = re.compile(r"(?:的)?(?:占比|比例|比重|份额|预算|费用)?(?:的)?$")


class RevisionError(ValueError):
    """An instruction that cannot be applied; the message is Chinese and tells the user what to say instead."""


@dataclass
class Revision:
    instruction: str
    sections: list[str] = field(default_factory=list)  # sections the user named: redrafted with the instruction
    changes: dict[str, Any] = field(default_factory=dict)  # request fields to change
    notes: list[str] = field(default_factory=list)  # what was understood, in Chinese
    intents: list[str] = field(default_factory=list)  # productivity, team, target, budget, seasonality, channels …
    confirm: bool = False  # headcount, target or budget would move by more than 30%: ask before applying
    question: str = ""


@dataclass
class RevisionResult:
    plan: SalesPlan
    sections: list[str]  # every section redrafted
    changed_fields: list[str]
    unchanged: list[str]  # named sections the offline drafter could not rewrite
    message: str


def request_fields(request: PlanRequest) -> dict[str, Any]:
    """A request in request-file form (what the intake reader and the UI form speak)."""
    data = request.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    if request.team:  # a row's role is kept even when it is the default one
        data["team"] = [{"role": r.role, "count": r.count, **r.model_dump(mode="json", exclude_defaults=True)}
                        for r in request.team]
    data["period"] = request.period.label
    data["currency_unit"] = request.currency_unit
    return data


def _budget_change(text: str, plan: SalesPlan) -> tuple[dict[str, Any], str] | None:
    """'把预算里线上投放提高到50%' -> ({'budget_split': [...]}, note), or None when it is not about a budget line."""
    m = _DELTA_RE.search(text) or _SHARE_RE.search(text)
    if not m:
        return None
    head = re.sub(r"^(?:请|帮我|麻烦|把|将)+", "", text[:m.start()].strip())
    in_budget = bool(re.search(r"预算|费用|经费|投放", head))
    item = _ITEM_PREFIX.sub("", head, count=1).strip() or head
    item = _ITEM_SUFFIX.sub("", item).strip(" ，,：:的")
    lines = [(b.item, b.share) for b in plan.figures.budget_lines]
    names = [n for n, _ in lines]
    match = next((n for n in names if n == item or (item and n.split("（")[0] == item)), None) \
        or budget_line_named(item, plan.figures.playbook_id, names)
    if not (in_budget or match) or not 2 <= len(item) <= 20 or item.endswith("率"):
        return None
    current = dict(lines).get(match, 0.0) if match else 0.0
    if m.re is _DELTA_RE:
        sign = -1 if re.fullmatch(_DOWN, m.group("verb")) else 1
        share = round(current + sign * float(m.group("delta")) / 100, 4)
    else:
        share = parse_rate(m.group(2).replace(" ", ""))
    if not 0 < share <= 1:
        raise RevisionError(f"预算科目「{item}」的占比需在0到100%之间，按您的说法会变成 {share:.0%}")
    name = match or item
    total = plan.figures.budget_total or 100.0
    kept = [(b.item, b.amount or b.share) for b in plan.figures.budget_lines
            if b.item != name and (b.amount or b.share) > 0] if share < 1 else []
    # the rest keep their proportions, in amounts people would write (25 / 12.5, not 25.01 / 12.49)
    rest = round_split(round(total * (1 - share), 2), [w for _, w in kept])
    pct = {n: round(a / total, 6) for (n, _), a in zip(kept, rest, strict=True)}
    if pct:  # shares rounded to 6 places: the largest line absorbs the residue so they sum to exactly 100%
        biggest = max(pct, key=pct.get)
        pct[biggest] = round(1 - share - sum(v for n, v in pct.items() if n != biggest), 6)
    split = [{"item": n, "share": share} if n == name else {"item": n, "share": pct[n]}
             for n in names if n == name or pct.get(n, 0) > 0]
    if not match:
        split.append({"item": name, "share": share})
    if match:
        note = f"预算科目「{name}」占比 {format_rate(current)} → {format_rate(share)}，其余科目按原比例调整，合计仍为100%"
    else:
        note = (f"预算中原来没有「{name}」科目：已新增该科目占 {format_rate(share)}，"
                f"其余科目按原比例缩放到合计 {format_rate(1 - share)}")
    return {"budget_split": split}, note


def interpret(instruction: str, plan: SalesPlan, today: date | None = None) -> Revision:
    """What the instruction asks for: intents, request changes and the sections it names. Raises RevisionError
    when nothing in it could be understood."""
    text = (instruction or "").strip()
    if not text:
        raise RevisionError("修改要求是空的。可以这样说：「风险部分再具体一点」或「把预算里线上投放提高到50%」")
    reading = read_revision(text, request_fields(plan.request), today)
    revision = Revision(instruction=text, sections=named_sections(text), changes=reading.changes, notes=reading.notes,
                        intents=reading.intents, confirm=reading.confirm, question=reading.question)
    budget = _budget_change(text, plan)
    if budget:
        revision.changes, note = budget
        revision.notes = [note]
        revision.intents = ["budget"]
        revision.confirm, revision.question = False, ""
    if not revision.intents and not revision.sections:
        raise RevisionError(
            "没看出要修改方案的哪一部分。可以这样说：「风险部分再具体一点」「把预算里线上投放提高到50%」"
            "「目标改成1500万」「我们每人每月能签4家」「7-9月合计占全年35%」；也可以说「撤销」回到上一版。")
    return revision


def affected_sections(old: tuple[PlanRequest, Figures], new: tuple[PlanRequest, Figures]) -> list[str]:
    """Sections whose offline version changes between old and new request/figures, i.e. that quote what moved."""
    return [key for key in SECTION_KEYS
            if draft_section(key, *old).model_dump() != draft_section(key, *new).model_dump()]


def _with_request(plan: SalesPlan, changes: dict[str, Any]) -> tuple[SalesPlan, list[str]]:
    """A copy of the plan on the changed request: figures recomputed and re-applied to every section's tables."""
    data = plan.request.model_dump(mode="json")
    data.update(changes)
    try:
        request = build_request(data, None)
    except RequestError as exc:
        raise RevisionError("这个修改会让方案的输入不成立：\n" + "\n".join(f"- {p}" for p in exc.problems)) from None
    figures = compute_figures(request)
    affected = affected_sections((plan.request, plan.figures), (request, figures))
    new = plan.model_copy(deep=True)
    new.request, new.figures = request, figures
    new.assumptions = figures.assumptions + [a for a in plan.assumptions if a not in plan.figures.assumptions]
    extra_questions = [q for q in plan.open_questions if q not in plan.figures.open_questions]
    new.open_questions = list(dict.fromkeys(figures.open_questions + extra_questions))
    if plan.title == plan_title(plan.request, plan.figures):
        new.title = plan_title(request, figures)
    for key in SECTION_KEYS:
        section = new.sections.get(key)
        if section is not None:
            apply_figures(key, section, request, figures)
    return new, affected


def apply_revision(plan: SalesPlan, revision: Revision, *, drafter: Drafter,
                   progress: Progress | None = None) -> RevisionResult:
    """Apply an interpreted revision; the input plan is never modified (it stays the undo version). A model
    drafter redrafts the affected sections with the instruction; offline they are drafted afresh."""
    new, affected = _with_request(plan, revision.changes) if revision.changes else (plan.model_copy(deep=True), [])
    targets = list(dict.fromkeys([*revision.sections, *affected]))
    numbers_note = (f"方案输入已更新（{'；'.join(revision.notes)}），请按新的数字改写本节，数字以给定数据为准，不要自行计算"
                    if revision.changes else "")
    feedback = {key: [t for t in (revision.instruction if key in revision.sections else "",
                                  numbers_note if key in affected else "") if t] for key in targets}
    unchanged: list[str] = []
    if drafter.uses_model:
        new = drafter.redraft(new, feedback, progress=progress)
    else:
        for key in targets:
            before = plan.sections.get(key)
            section = draft_section(key, new.request, new.figures)
            if key in revision.sections and before is not None and section.model_dump(exclude={"open_questions"}) \
                    == before.model_dump(exclude={"open_questions"}):
                unchanged.append(key)  # the plan keeps the section as it was; the message says why
                section = before.model_copy(deep=True)
            setattr(new.sections, key, section)
            new.metadata.sections[key] = SectionRun(status="offline")
            if progress:
                progress(ProgressEvent(section=key, status="offline", detail=SECTIONS[key].title))
    for key in targets:  # whoever redrafted, the tables quote the engine's figures
        section = new.sections.get(key)
        if section is not None:
            apply_figures(key, section, new.request, new.figures)
    return RevisionResult(plan=new, sections=targets, changed_fields=list(revision.changes), unchanged=unchanged,
                          message=_message(revision, plan, new, targets, unchanged))


# the engine's figures a reader follows, and how they are shown
MOVING_FIGURES: list[tuple[str, str, str]] = [
    ("revenue_target", "销售额目标", "amount"), ("headcount", "销售人数", "people"), ("budget_total", "预算总额", "amount"),
    ("collection_target", "回款目标", "amount"), ("avg_deal_size", "平均客单价", "amount"), ("win_rate", "赢单率", "rate"),
    ("deals", "所需成交数", "count"), ("opportunities", "所需商机数", "count"), ("sales_cycle_days", "销售周期", "days"),
    ("capacity_per_rep_month", "人均月产能", "amount"), ("team_capacity", "团队产能", "amount"),
    ("capacity_gap", "产能缺口", "amount"), ("headcount_needed", "按产能所需人数", "people"),
]


def figure_moves(old: Figures, new: Figures) -> list[str]:
    """Every number of the plan that moved, as 'label：before → after'."""
    unit = new.unit.removesuffix("元") or "元"
    fmt = {"amount": lambda v: format_amount(v, unit), "rate": format_rate, "people": lambda v: f"{v}人",
           "count": lambda v: f"{v}", "days": lambda v: f"{v}天"}
    moves = [f"{label}：{fmt[kind](getattr(old, name))} → {fmt[kind](getattr(new, name))}"
             for name, label, kind in MOVING_FIGURES if getattr(old, name) != getattr(new, name)]
    before = {m.label: m.amount for m in old.months}
    months = [f"{m.label} {format_amount(before[m.label], unit)} → {format_amount(m.amount, unit)}"
              for m in new.months if m.label in before and abs(before[m.label] - m.amount) >= 0.005]
    if months:
        moves.append("月度目标：" + "；".join(months))
    return moves


def _message(revision: Revision, old: SalesPlan, new: SalesPlan, targets: list[str], unchanged: list[str]) -> str:
    parts = ["\n".join(f"- {n}" for n in revision.notes)] if revision.notes else []
    moves = figure_moves(old.figures, new.figures)
    rewritten = [SECTIONS[k].title for k in targets
                 if k not in unchanged and old.sections.get(k) != new.sections.get(k)]
    if moves:
        parts.append("数字变化：\n" + "\n".join(f"- {m}" for m in moves))
    if rewritten:
        parts.append(f"已更新的章节：{'、'.join(rewritten)}（其余章节保持不变）"
                     + ("；方案里的数字没有变化。" if not moves else "。"))
    elif not unchanged:
        parts.append("方案未改动：这次的说法没有改变任何数字或章节。")
    if unchanged:
        titles = "、".join(f"「{SECTIONS[k].title}」" for k in unchanged)
        parts.append(f"{titles}没有变化：离线起草器只能按数字和您给的事实重写章节，不能按文字要求改写措辞，"
                     f"这需要接入大模型（见 README「接入大模型」）。可以直接告诉我具体事实，"
                     f"例如「最大的风险是原材料涨价，由采购经理负责应对」，我会写进方案。")
    parts.append("如不满意，可以说「撤销」回到上一版。")
    return "\n\n".join(parts)


def revise(plan: SalesPlan, instruction: str, *, drafter: Drafter, progress: Progress | None = None) -> RevisionResult:
    return apply_revision(plan, interpret(instruction, plan), drafter=drafter, progress=progress)
