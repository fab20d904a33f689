"""Numeric consistency: the numbers a plan states must agree with each other.

The rules are pure functions of numbers (tested with hypothesis); the checks read the numbers from a PlanDoc
(extract.py) and apply the rules. A rule whose numbers the plan does not state is not applicable (na); the
matching presence item is what loses points for the missing content.
"""

from __future__ import annotations

import re

from ..quantities import format_amount, format_rate, months_between
from . import stated_numbers as extract
from .checklist import ItemSpec
from .document import PlanDoc
from .facts import quote, substantive
from .registry import Verdict, check, fail, na, ok, where

# ---------------------------------------------------------------- the rules, as pure functions


def sums_match(parts: list[float], total: float, tolerance: float) -> bool:
    """Parts add up to the total within a relative tolerance (plus half a cent for rounding)."""
    return abs(sum(parts) - total) <= tolerance * abs(total) + 0.005


def quota_problem(quotas: list[float], target: float, tolerance: float, max_over: float) -> str | None:
    total = sum(quotas)
    if total < target * (1 - tolerance) - 0.005:
        return "under"
    if total > target * (1 + max_over) + 0.005:
        return "over"
    return None


def funnel_problems(target: float, deal_size: float, win_rate: float | None, deals: int, opportunities: int | None,
                    tolerance: float, stated: list[float] | tuple[float, ...] = ()) -> list[str]:
    """deals = target ÷ deal size; opportunities = deals ÷ win rate; each within the tolerance (at least 1).
    `stated`: other counts the plan writes beside its funnel ('新生660人次…需要2,200节试听课'); a count that matches
    what the numbers call for (target ÷ deal size, or opportunities × win rate) answers the check."""

    def close(value: float, expected: float) -> bool:
        return abs(value - expected) <= max(tolerance * expected, 1.0)

    problems = []
    expected_deals = target / deal_size
    if not close(deals, expected_deals) and not any(close(v, expected_deals) for v in stated):
        problems.append(f"成交数{deals}与“目标÷客单价”={expected_deals:.1f}不符")
    if win_rate and opportunities is not None:
        expected_opps = deals / win_rate
        if not close(opportunities, expected_opps) and not any(close(v, opportunities * win_rate) for v in stated):
            problems.append(f"商机数{opportunities}与“成交数÷赢单率”={expected_opps:.1f}不符")
    return problems


def monotone_break(counts: list[int]) -> int | None:
    """Index of the first stage larger than the stage before it, or None when the funnel narrows throughout."""
    return next((i for i in range(1, len(counts)) if counts[i] > counts[i - 1]), None)


def rate_valid(rate: float) -> bool:
    return 0 < rate <= 1


def coverage_ok(coverage: float, win_rate: float, tolerance: float = 0.01) -> bool:
    return coverage >= (1 / win_rate) * (1 - tolerance)


def growth_gap(target: float, baseline: float, growth: float) -> float:
    """How far a stated growth rate is from target ÷ baseline − 1 (in fractions, 0.005 = 0.5 pt)."""
    return abs(target / baseline - 1 - growth)


# ---------------------------------------------------------------- checks


def _amt(doc: PlanDoc, value: float) -> str:
    return format_amount(round(value, 2), doc.facts.unit)


def _compare(doc: PlanDoc, a_label: str, a: float, b_label: str, b: float) -> str:
    """'12个月合计1,150万元，年度目标1,200万元，差50万元' (or '…，一致')."""
    gap = abs(a - b)
    tail = "一致" if gap < 0.005 else f"差{_amt(doc, gap)}"
    return f"{a_label}{_amt(doc, a)}，{b_label}{_amt(doc, b)}，{tail}"


def _verdict(comparisons: list[tuple[str, bool]], nothing: str, problem: str, section: str) -> Verdict:
    """na when there was nothing to compare; fail listing the comparisons that disagree; else pass listing all."""
    if not comparisons:
        return na(nothing)
    bad = [text for text, good in comparisons if not good]
    if bad:
        return fail(problem + "；".join(bad), section)
    return ok("；".join(text for text, _ in comparisons))


def _expected_months(doc: PlanDoc) -> list[tuple[int, int]] | None:
    period = doc.facts.period
    return months_between(period[0], period[1]) if period else None


@check("quarter_breakdown")
def quarter_breakdown(doc: PlanDoc, item: ItemSpec) -> Verdict:
    months = _expected_months(doc)
    expected = len({(y, (m - 1) // 3) for y, m in months}) if months else None
    if expected == 1:
        return na("计划周期只在一个季度内，无需季度分解")
    rows, _ = extract.quarters(doc, item.scope)
    need = expected or 2
    by_month, _ = extract.months(doc, item.scope)
    if len(rows) < need and months and len(by_month) >= len(months):
        return ok(f"季度目标可由{len(by_month)}个月的目标直接加总")
    if len(rows) >= need:
        return ok(f"{len(rows)}个季度：" + "、".join(f"{lbl} {_amt(doc, a)}" for lbl, a in rows[:4]))
    return fail(f"季度分解不完整：找到{len(rows)}个季度，计划周期涉及{need}个季度", item.section)


@check("month_breakdown")
def month_breakdown(doc: PlanDoc, item: ItemSpec) -> Verdict:
    months = _expected_months(doc)
    if months is not None and len(months) == 1:
        return na("计划周期只有一个月，无需月度分解")
    rows, _ = extract.months(doc, item.scope)
    need = len(months) if months else 3
    if len(rows) >= need:
        return ok(f"{len(rows)}个月都有目标，如{rows[0][0]} {_amt(doc, rows[0][1])}")
    return fail(f"月度分解不完整：找到{len(rows)}个月，计划周期共{need}个月", item.section)


@check("breakdown_sums")
def breakdown_sums(doc: PlanDoc, item: ItemSpec) -> Verdict:
    tol = item.params.get("tolerance", 0.01)
    months, m_key = extract.months(doc, item.scope)
    quarters, q_key = extract.quarters(doc, item.scope)
    target = doc.facts.target
    m_sum, q_sum = sum(a for _, a in months), sum(a for _, a in quarters)
    goal = "年度目标" if len(_expected_months(doc) or []) == 12 else "总目标"
    m_text, q_text = f"{len(months)}个月合计", f"{len(quarters)}个季度合计"
    checks: list[tuple[str, bool]] = []
    if months and target:
        checks.append((_compare(doc, m_text, m_sum, goal, target), sums_match([m_sum], target, tol)))
    if len(quarters) >= 2 and target:
        checks.append((_compare(doc, q_text, q_sum, goal, target), sums_match([q_sum], target, tol)))
    if months and len(quarters) >= 2:
        checks.append((_compare(doc, m_text, m_sum, q_text, q_sum), sums_match([m_sum], q_sum, tol)))
    found = where(doc, m_key or q_key, item) if (m_key or q_key) not in item.scope else ""
    return _verdict(checks, "没有可核对的月度/季度分解或总目标", f"分解合计不一致{found}：", item.section)


@check("quotas_with_owner")
def quotas_with_owner(doc: PlanDoc, item: ItemSpec) -> Verdict:
    quotas, key = extract.quotas(doc, item.scope)
    if not quotas:
        return fail("未找到按个人或区域分配的指标（需要写明每人/每个区域的指标金额）", item.section)
    missing = [q for q in quotas if not substantive(q.owner)]
    if missing:
        return fail(f"{len(missing)}/{len(quotas)}条指标没有负责人，如{quote(missing[0].line)}", key)
    if all(extract.GENERIC_NAME.match(q.owner) for q in quotas):
        names = "、".join(q.owner for q in quotas[:3])
        return fail(f"指标只分配给泛称岗位（{names}…），没有具体负责人", key)
    shown = "、".join(f"{q.owner if q.owner == q.label else q.label + '（' + q.owner + '）'} {_amt(doc, q.amount)}"
                     for q in quotas[:4])
    return ok(f"{len(quotas)}条个人/区域指标：{shown}")


@check("quotas_cover")
def quotas_cover(doc: PlanDoc, item: ItemSpec) -> Verdict:
    quotas, key = extract.quotas(doc, item.scope)
    target = doc.facts.target
    if not quotas or not target:
        return na("没有可核对的个人/区域指标或总目标")
    total = sum(q.amount for q in quotas)
    problem = quota_problem([q.amount for q in quotas], target, item.params.get("tolerance", 0.01),
                            item.params.get("max_over", 0.2))
    text = f"指标合计{_amt(doc, total)}，总目标{_amt(doc, target)}（{total / target:.0%}）"
    if problem == "under":
        return fail(f"{text}：低于总目标", key)
    if problem == "over":
        return fail(f"{text}：超额分配超过{item.params.get('max_over', 0.2):.0%}", key)
    return ok(text)


@check("split_sums")
def split_sums(doc: PlanDoc, item: ItemSpec) -> Verdict:
    tol = item.params.get("tolerance", 0.01)
    target = doc.facts.target
    found = extract.splits(doc, item.scope)
    results: list[tuple[str, bool]] = []
    for s in found:
        if s.amounts and target:
            results.append((_compare(doc, f"{s.name}金额合计", sum(s.amounts), "总目标", target),
                            sums_match(s.amounts, target, tol)))
        if s.shares:
            results.append((f"{s.name}占比合计{format_rate(sum(s.shares))}", sums_match(s.shares, 1.0, tol)))
    return _verdict(results, "没有按区域/产品/渠道拆分的金额或占比", "拆分合计与总目标不一致：", item.section)


@check("funnel_params")
def funnel_params(doc: PlanDoc, item: ItemSpec) -> Verdict:
    f = extract.funnel(doc, item.scope)
    need = item.params.get("min_stage_rates", 2)
    have, missing = [], []
    for label, value in (("客单价", f.deal_size and _amt(doc, f.deal_size[0])),
                         ("赢单率", f.win_rate and format_rate(f.win_rate[0])),
                         ("销售周期", f.cycle and f"{f.cycle[0]:g}天")):
        (have if value else missing).append(f"{label}{value}" if value else label)
    rates_found = len(f.stage_rates or []) + bool(f.win_rate)  # the win rate is the last stage's conversion
    if rates_found >= need:
        have.append(f"{rates_found}个阶段转化率")
    else:
        missing.append(f"阶段转化率（含赢单率找到{rates_found}个，需要{need}个）")
    if not missing:
        return ok("、".join(have))
    return fail("缺少" + "、".join(missing) + (f"（已有：{'、'.join(have)}）" if have else ""), item.section)


@check("funnel_counts")
def funnel_counts(doc: PlanDoc, item: ItemSpec) -> Verdict:
    stages, text = extract.stage_counts(doc, item.scope)
    names = {"线索": extract.LEAD_STAGE, "商机": extract.OPP_STAGE, "成交": extract.DEAL_STAGE}
    missing = [n for n, p in names.items() if extract.stage_value(stages, p) is None]
    if not missing:
        return ok("漏斗测算：" + "、".join(f"{n}{c}" for n, c in stages))
    return fail(f"漏斗测算缺少{'、'.join(missing)}数量" + (f"：{quote(text)}" if text else ""), item.section)


@check("funnel_math")
def funnel_math(doc: PlanDoc, item: ItemSpec) -> Verdict:
    f = extract.funnel(doc, item.scope)
    target = f.base[0] if f.base else doc.facts.target  # a funnel worked out for one channel uses its amount
    deals = extract.stage_value(f.stages or [], extract.DEAL_STAGE)
    opps = extract.stage_value(f.stages or [], extract.OPP_STAGE)
    if not (target and f.deal_size and deals):
        return na("缺少目标、客单价或成交数，无法核对漏斗计算")
    win = f.win_rate[0] if f.win_rate else None
    # a funnel in words may work with a subset it names ('新生660人次…'): its other counts may answer the check
    stated = [] if f.stage_table else [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", f.stage_text)]
    problems = funnel_problems(target, f.deal_size[0], win, deals, opps, item.params.get("tolerance", 0.05), stated)
    if problems:
        return fail("；".join(problems), item.section)
    tail = f"，商机{opps}≈{deals}÷{format_rate(win)}" if win and opps is not None else ""
    return ok(f"成交{deals}≈{_amt(doc, target)}÷{_amt(doc, f.deal_size[0])}{tail}")


@check("funnel_monotone")
def funnel_monotone(doc: PlanDoc, item: ItemSpec) -> Verdict:
    f = extract.funnel(doc, item.scope)
    stages = f.stages or []
    if len(stages) < 2 or not f.stage_table:
        return na("没有多阶段的漏斗数量表")
    if extract.DEAL_STAGE.search(stages[0][0]):
        stages = stages[::-1]
    bad = monotone_break([c for _, c in stages])
    if bad is None:
        return ok("逐级递减：" + " → ".join(f"{n}{c}" for n, c in stages))
    (n0, c0), (n1, c1) = stages[bad - 1], stages[bad]
    return fail(f"漏斗不是逐级递减：{n0}{c0} < {n1}{c1}", item.section)


@check("rates_valid")
def rates_valid(doc: PlanDoc, item: ItemSpec) -> Verdict:
    f = extract.funnel(doc, item.scope)
    found = ([f.win_rate] if f.win_rate else []) + list(f.stage_rates or [])
    if not found:
        return na("没有找到转化率或赢单率")
    bad = [(r, text) for r, text in found if not rate_valid(r)]
    if bad:
        return fail(f"{len(bad)}个比率超出(0,100%]：{format_rate(bad[0][0])} {quote(bad[0][1])}", item.section)
    return ok(f"{len(found)}个比率都在(0,100%]内")


@check("coverage_enough")
def coverage_enough(doc: PlanDoc, item: ItemSpec) -> Verdict:
    cov = extract.coverage_value(doc, item.scope)
    f = extract.funnel(doc, [item.section])
    if not cov or not f.win_rate or not rate_valid(f.win_rate[0]):
        return na("缺少管道覆盖倍数或赢单率")
    need = 1 / f.win_rate[0]
    if coverage_ok(cov[0], f.win_rate[0]):
        return ok(f"覆盖{cov[0]:g}倍 ≥ 1÷赢单率{format_rate(f.win_rate[0])}={need:.2f}倍")
    return fail(f"管道覆盖{cov[0]:g}倍低于1÷赢单率={need:.2f}倍：{quote(cov[1])}", item.section)


@check("capacity_enough")
def capacity_enough(doc: PlanDoc, item: ItemSpec) -> Verdict:
    cap = extract.capacity_value(doc, item.scope)
    target = doc.facts.target
    if not cap or not target:
        return na("没有写明团队产能")
    if cap[0] >= target * 0.99:
        return ok(f"团队产能{_amt(doc, cap[0])} ≥ 目标{_amt(doc, target)}")
    return fail(f"团队产能{_amt(doc, cap[0])}低于目标{_amt(doc, target)}，缺口{_amt(doc, target - cap[0])}",
                item.section, "team")


@check("growth_consistent")
def growth_consistent(doc: PlanDoc, item: ItemSpec) -> Verdict:
    base, growth = extract.baseline_and_growth(doc, item.scope)
    target = doc.facts.target
    if not (base and growth and target) or base[0] <= 0:
        return na("缺少上期基数或增长率，无法核对")
    expected = target / base[0] - 1
    text = f"{_amt(doc, target)}÷{_amt(doc, base[0])}−1={format_rate(expected)}，文中写{format_rate(growth[0])}"
    if growth_gap(target, base[0], growth[0]) <= item.params.get("tolerance", 0.005):
        return ok(text)
    return fail(f"增长率不一致：{text}", item.section)


@check("budget_lines")
def budget_lines(doc: PlanDoc, item: ItemSpec) -> Verdict:
    rows, total = extract.budget(doc, item.scope)
    need = item.params.get("min", 3)
    if len(rows) >= need and total:
        return ok(f"{len(rows)}个科目，合计{_amt(doc, total[0])}")
    problems = []
    if len(rows) < need:
        problems.append(f"只有{len(rows)}个带金额的预算科目（至少{need}个）")
    if not total:
        problems.append("没有预算合计")
    return fail("；".join(problems), item.section)


@check("budget_sums")
def budget_sums(doc: PlanDoc, item: ItemSpec) -> Verdict:
    rows, total = extract.budget(doc, item.scope)
    if len(rows) < 2 or not total:
        return na("缺少预算明细或合计，无法核对")
    lines_sum = sum(a for _, a in rows)
    text = _compare(doc, f"{len(rows)}个科目合计", lines_sum, "预算总额", total[0])
    if sums_match([lines_sum], total[0], item.params.get("tolerance", 0.01)):
        return ok(text)
    return fail(f"预算不平：{text}（{quote(total[1], 40)}）", item.section)
