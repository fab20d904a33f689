"""The numbers engine: PlanRequest -> Figures. Pure functions, no I/O.

Every figure the plan quotes is computed here once; drafting and rendering only quote it, the validator checks it.
Every default the engine had to assume is recorded as an Assumption with its source, and what the user must still
supply becomes an open question.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, timedelta

from ..quantities import format_amount, format_rate, months_between
from ..request import PlanRequest, TeamRole
from ..schema import (
    Assumption,
    BudgetLine,
    Figures,
    FunnelStage,
    PeriodAmount,
    RepQuota,
    WeeklyActivity,
)

DEFAULT_WIN_RATE = 0.25
DEFAULT_STAGES = [("线索→合格线索", 0.30), ("合格线索→商机", 0.40)]
DEFAULT_SALES_CYCLE_DAYS = 60
DEFAULT_DEALS_IF_UNKNOWN = 40
DEFAULT_DEALS_PER_REP_MONTH = 1.0
DEFAULT_COLLECTION_RATE = 0.90
DEFAULT_EXPENSE_RATIO = 0.10
DEFAULT_BUDGET_SPLIT = [("获客（展会、线上推广、拜访）", 0.40), ("客户维护（增值服务、客情）", 0.20),
                        ("团队激励（提成、奖金）", 0.30), ("应急储备", 0.10)]
TOUCHES_PER_LEAD = 3
SOURCE_METHOD = "销售方法论常用值"


def allocate(total: float, weights: list[float]) -> list[float]:
    """Split `total` by `weights` to 0.01 precision; the parts sum to the total exactly (largest remainder)."""
    cents = round(total * 100)
    wsum = sum(weights)
    if not weights:
        return []
    if wsum <= 0:
        weights, wsum = [1.0] * len(weights), float(len(weights))
    raw = [cents * w / wsum for w in weights]
    parts = [math.floor(r) for r in raw]
    remainder = cents - sum(parts)
    order = sorted(range(len(raw)), key=lambda i: (raw[i] - parts[i], weights[i]), reverse=True)
    for i in order[:remainder]:
        parts[i] += 1
    return [p / 100 for p in parts]


def _month_fraction(y: int, m: int, start: date, end: date) -> float:
    days = calendar.monthrange(y, m)[1]
    first = max(start, date(y, m, 1))
    last = min(end, date(y, m, days))
    return ((last - first).days + 1) / days


def breakdown(req: PlanRequest, notes: list[Assumption]) -> tuple[list[PeriodAmount], list[PeriodAmount], str]:
    """Target -> months (seasonality weights, partial months pro rata) -> quarters; exact totals."""
    start, end = req.period.start, req.period.end
    months = months_between(start, end)
    if isinstance(req.seasonality, list):
        base = req.seasonality
        basis = "按用户提供的12个月季节权重分配：" + "、".join(f"{i + 1}月{w:g}" for i, w in enumerate(base))
    else:
        base = [1.0] * 12
        if isinstance(req.seasonality, str) and req.seasonality.strip():
            basis = f"用户描述的季节性：「{req.seasonality.strip()}」；未给出月度权重，暂按月平均分配，请补充12个月权重"
        else:
            basis = "未提供季节性数据，按月平均分配（可用去年各月销售占比作为权重）"
        notes.append(Assumption(field="季节性权重", value="各月相同", source="未提供月度权重"))
    weights = [base[m - 1] * _month_fraction(y, m, start, end) for y, m in months]
    amounts = allocate(req.revenue_target, weights)
    total = req.revenue_target or 1.0
    wsum = sum(weights) or 1.0
    month_rows = [
        PeriodAmount(label=f"{y}年{m}月", amount=a, share=round(a / total, 4), weight=round(w / wsum * len(weights), 3),
                     quarter=f"{y}年Q{(m - 1) // 3 + 1}")
        for (y, m), a, w in zip(months, amounts, weights, strict=False)
    ]
    quarter_cents: dict[str, int] = {}
    for row in month_rows:
        quarter_cents[row.quarter] = quarter_cents.get(row.quarter, 0) + round(row.amount * 100)
    quarter_rows = [PeriodAmount(label=q, amount=c / 100, share=round(c / 100 / total, 4))
                    for q, c in quarter_cents.items()]
    return quarter_rows, month_rows, basis


def _rep_effective_months(role: TeamRole, new: bool, months: list[tuple[int, int]]) -> tuple[float, int]:
    """(effective productive months, start index) for one rep; new hires ramp linearly over ramp_months."""
    if not new:
        return float(len(months)), 0
    start_idx = 0
    if role.hire_month:
        start_idx = next((i for i, (_, m) in enumerate(months) if m == role.hire_month), 0)
    eff = 0.0
    for k in range(len(months) - start_idx):
        eff += min(1.0, (k + 1) / (role.ramp_months + 1)) if role.ramp_months else 1.0
    return eff, start_idx


def rep_quotas(req: PlanRequest, team: list[TeamRole]) -> list[RepQuota]:
    months = months_between(req.period.start, req.period.end)
    reps: list[tuple[str, TeamRole, bool, float, int]] = []
    for role in team:
        if not role.quota_bearing:
            continue
        for i in range(role.count):
            new = i >= role.count - role.new_hires
            name = role.names[i] if i < len(role.names) else f"{role.role}{i + 1}"
            eff, start_idx = _rep_effective_months(role, new, months)
            reps.append((name, role, new, eff, start_idx))
    quotas = allocate(req.revenue_target, [r[3] for r in reps])
    return [
        RepQuota(name=name, role=role.role, new_hire=new, start_month=f"{months[idx][0]}年{months[idx][1]}月",
                 ramp_months=role.ramp_months if new else 0, effective_months=round(eff, 2), quota=q)
        for (name, role, new, eff, idx), q in zip(reps, quotas, strict=False)
    ]


def funnel(deals: int, win_rate: float, stages: list[tuple[str, float]]) -> list[FunnelStage]:
    """Work backwards from deals: opportunities = deals / win rate, earlier stages by their conversion rates."""
    opportunities = math.ceil(deals / win_rate - 1e-9)
    rows = [FunnelStage(name="成交", count=deals), FunnelStage(name="商机", count=opportunities,
                                                                 conversion_to_next=win_rate)]
    count = opportunities
    for name, rate in reversed(stages):
        count = math.ceil(count / rate - 1e-9)
        stage_name = name.split("→")[0].split("->")[0].strip() or name
        rows.append(FunnelStage(name=stage_name, count=count, conversion_to_next=rate))
    return list(reversed(rows))


def compute_figures(req: PlanRequest) -> Figures:
    notes: list[Assumption] = []
    questions: list[str] = []
    unit = req.currency_unit
    target = req.revenue_target
    start, end = req.period.start, req.period.end
    months = months_between(start, end)
    weeks = round(((end - start).days + 1) / 7, 1)

    quarters, month_rows, basis = breakdown(req, notes)
    if not isinstance(req.seasonality, list):
        questions.append("各月销售的季节性权重（如去年各月销售额占比）")

    # deal size and win rate
    if req.avg_deal_size:
        deal_size = req.avg_deal_size
    elif req.new_customers:
        deal_size = target / req.new_customers
        notes.append(Assumption(field="平均客单价", value=format_amount(deal_size, unit), source="销售额目标÷新客户数目标"))
        questions.append("平均客单价（历史成交金额÷成交单数）")
    else:
        deal_size = target / DEFAULT_DEALS_IF_UNKNOWN
        notes.append(Assumption(field="平均客单价", value=format_amount(deal_size, unit),
                                source=f"未提供，按目标约{DEFAULT_DEALS_IF_UNKNOWN}笔成交估算"))
        questions.append("平均客单价（历史成交金额÷成交单数）")
    win_rate = req.win_rate or DEFAULT_WIN_RATE
    if not req.win_rate:
        notes.append(Assumption(field="赢单率", value=format_rate(win_rate), source=f"{SOURCE_METHOD}：B2B常见20%-30%取中值"))
        questions.append("历史赢单率（成交数÷商机数）")
    stages = [(s.name, s.rate) for s in req.stage_conversion] or DEFAULT_STAGES
    if not req.stage_conversion:
        notes.append(Assumption(field="阶段转化率", value="；".join(f"{n} {format_rate(r)}" for n, r in stages),
                                source=SOURCE_METHOD))
        questions.append("各阶段转化率（线索→合格线索→商机）")
    deals = math.ceil(target / deal_size - 1e-9)
    stage_rows = funnel(deals, win_rate, stages)
    opportunities = stage_rows[-2].count

    # capacity and team
    if req.productivity:  # what the user said one rep closes: capacity, never headcount
        p = req.productivity
        cap = p.per_month * deal_size
        notes.append(Assumption(field="人均月产能", value=format_amount(cap, unit),
                                source=f"您提供：每人每{p.per}{p.value:g}{p.unit}×平均客单价"))
    elif req.baseline_revenue and req.team:
        existing = max(1, sum(r.count - r.new_hires for r in req.team if r.quota_bearing))
        cap = req.baseline_revenue / existing / len(months)
        notes.append(Assumption(field="人均月产能", value=format_amount(cap, unit),
                                source="上期销售额÷现有销售人数÷月数"))
    else:
        cap = deal_size * DEFAULT_DEALS_PER_REP_MONTH
        notes.append(Assumption(field="人均月产能", value=format_amount(cap, unit),
                                source=f"未提供上期人均业绩，按每人每月成交{DEFAULT_DEALS_PER_REP_MONTH:g}单×客单价估算"))
    team = list(req.team)
    if not team or req.headcount == 0:
        needed = max(1, math.ceil(target / (cap * len(months)) - 1e-9))
        team = [TeamRole(role="销售代表", count=needed)]
        notes.append(Assumption(field="销售人数", value=f"{needed}人", source="按产能测算反推（目标÷人均月产能÷月数）"))
        questions.append("现有销售团队人数、岗位与新人到岗计划")
    reps = rep_quotas(req, team)
    headcount = len(reps)
    team_capacity = round(cap * sum(r.effective_months for r in reps), 2)
    gap = round(target - team_capacity, 2)
    extra = max(0, math.ceil(gap / (cap * len(months)) - 1e-9)) if gap > 0 else 0

    # sales cycle / lead time
    cycle = req.sales_cycle_days or DEFAULT_SALES_CYCLE_DAYS
    if not req.sales_cycle_days:
        notes.append(Assumption(field="销售周期", value=f"{cycle}天", source=SOURCE_METHOD))
        questions.append("平均销售周期（从商机到签约的天数）")
    last_opp = end - timedelta(days=cycle)
    if last_opp < start:
        last_opp = start
        lead_note = (f"销售周期{cycle}天长于或接近计划周期，期内成交主要依赖期初已有商机，"
                     "需在期初盘点存量商机")
    else:
        lead_note = f"按{cycle}天销售周期，商机最晚须在{last_opp:%Y年%m月%d日}前进入漏斗才能在期内成交"

    # weekly activity per rep
    top = stage_rows[0]
    per = lambda n: round(n / headcount / weeks, 1)  # noqa: E731
    activities = [
        WeeklyActivity(activity=f"新增{top.name}", per_rep_per_week=per(top.count), team_per_week=round(top.count / weeks, 1)),
        WeeklyActivity(activity="有效触达（电话/拜访/演示）", per_rep_per_week=per(top.count * TOUCHES_PER_LEAD),
                       team_per_week=round(top.count * TOUCHES_PER_LEAD / weeks, 1)),
        WeeklyActivity(activity="新增商机", per_rep_per_week=per(opportunities), team_per_week=round(opportunities / weeks, 1)),
        WeeklyActivity(activity="成交", per_rep_per_week=per(deals), team_per_week=round(deals / weeks, 1)),
    ]
    notes.append(Assumption(field="每条线索触达次数", value=f"{TOUCHES_PER_LEAD}次", source=SOURCE_METHOD))

    # collection, growth, budget
    if req.collection_target is not None:
        collection = req.collection_target
    else:
        collection = round(target * DEFAULT_COLLECTION_RATE, 2)
        notes.append(Assumption(field="回款目标", value=format_amount(collection, unit),
                                source=f"未提供，按销售额的{format_rate(DEFAULT_COLLECTION_RATE)}估算"))
        questions.append("回款目标（或目标回款率）")
    growth = round(target / req.baseline_revenue - 1, 4) if req.baseline_revenue else None
    if not req.baseline_revenue:
        questions.append("上期/去年同期销售额（用于计算增长率和人均产能）")
    if req.budget_total is not None:
        budget_total = req.budget_total
    else:
        budget_total = round(target * DEFAULT_EXPENSE_RATIO, 2)
        notes.append(Assumption(field="预算总额", value=format_amount(budget_total, unit),
                                source=f"未提供，按销售额的{format_rate(DEFAULT_EXPENSE_RATIO)}估算"))
        questions.append("销售费用预算总额")
    split = [(s.item, s.share) for s in req.budget_split] or DEFAULT_BUDGET_SPLIT
    if not req.budget_split:
        notes.append(Assumption(field="预算分配", value="；".join(f"{i} {format_rate(s)}" for i, s in split),
                                source=f"{SOURCE_METHOD}：获客40%/维护20%/激励30%/应急10%"))
    budget_amounts = allocate(budget_total, [s for _, s in split])
    budget_lines = [BudgetLine(item=i, share=s, amount=a) for (i, s), a in zip(split, budget_amounts, strict=False)]

    return Figures(
        unit=unit, period_start=start, period_end=end, period_label=req.period.label, months_count=len(months),
        weeks=weeks, revenue_target=target, baseline_revenue=req.baseline_revenue, growth_rate=growth,
        collection_target=collection, collection_rate=round(collection / target, 4), new_customers=req.new_customers,
        repurchase_rate=req.repurchase_rate, seasonality_basis=basis, quarters=quarters, months=month_rows, reps=reps,
        headcount=headcount, avg_deal_size=round(deal_size, 2), win_rate=win_rate, deals=deals,
        opportunities=opportunities, funnel=stage_rows, weekly_activities=activities, sales_cycle_days=cycle,
        pipeline_coverage=round(1 / win_rate, 2), pipeline_value=round(target / win_rate, 2), lead_time_note=lead_note,
        last_opportunity_date=last_opp, capacity_per_rep_month=round(cap, 2), team_capacity=team_capacity,
        capacity_gap=gap, headcount_needed=headcount + extra, headcount_gap=extra, budget_total=budget_total,
        budget_lines=budget_lines, expense_ratio=round(budget_total / target, 4), assumptions=notes,
        open_questions=questions,
    )
