"""The figures overlay: the numbers engine's figures written into a section, whoever drafted its prose.

`apply_figures` overwrites a section's numeric tables (breakdown, funnel inputs and capacity, budget lines, quotas,
channel amounts) with the engine's figures; the offline drafter and the model chain both call it, so the model never
owns a number. `context` / `phrases` are the same figures as ready phrases: the offline templates' slots and the
prompt templates' `$goal`, `$target`, `$period_end_date`, ... slots.
"""

from __future__ import annotations

from ..planning.engine import allocate
from ..quantities import format_amount, format_rate
from ..request import PlanRequest
from ..schema import (
    Assumption,
    Budget,
    BudgetRow,
    ChannelPlan,
    Figures,
    FunnelCapacity,
    SectionBase,
    TargetBreakdown,
    Team,
)
from .templates import fill, templates


def context(req: PlanRequest, fig: Figures) -> dict[str, str]:
    """The request and figures as the `$name` slots of the offline templates."""
    unit = fig.unit
    amt = lambda v: format_amount(v, unit)  # noqa: E731
    offer = req.product or req.industry or "主营产品与服务"
    growth = f"较上期{amt(fig.baseline_revenue)}增长{format_rate(fig.growth_rate)}" if fig.growth_rate is not None \
        else "上期销售额未提供，增长率暂不计算"
    cap = (f"现有团队产能约{amt(fig.team_capacity)}，缺口{amt(fig.capacity_gap)}，需增加{fig.headcount_gap}人"
           if fig.capacity_gap > 0 else f"现有团队产能约{amt(fig.team_capacity)}，可覆盖目标")
    return {
        "company": req.company, "region": req.region, "period": fig.period_label,
        "period_end": f"{fig.period_end:%Y年%m月%d日}", "target": amt(fig.revenue_target),
        "collection": amt(fig.collection_target), "collection_rate": format_rate(fig.collection_rate),
        "quarters_count": str(len(fig.quarters)), "months_count": str(fig.months_count),
        "headcount": str(fig.headcount), "deal_size": amt(fig.avg_deal_size), "win_rate": format_rate(fig.win_rate),
        "deals": str(fig.deals), "opportunities": str(fig.opportunities), "top_stage": fig.funnel[0].name,
        "top_count": str(fig.funnel[0].count), "budget": amt(fig.budget_total),
        "expense_ratio": format_rate(fig.expense_ratio), "offer": offer, "industry_or_product": offer,
        "growth_text": growth, "capacity_text": cap,
        "new_customers_text": f"，新增客户{fig.new_customers}家" if fig.new_customers else "",
        "channel_strategy": ("、".join(req.channels) + "协同覆盖") if req.channels else "以直销为主，渠道结构按实际情况补充",
        "manager": f"{req.region}销售经理", "director": "销售总监",
        "competitor_text": f"（{'、'.join(req.competitors[:3])}）" if req.competitors else "",
    }


def phrases(req: PlanRequest, fig: Figures) -> dict[str, str]:
    """The engine's figures as ready phrases for prompt templates ($goal, $target, $period_end_date, ...), so a
    prompt can hand a small model the exact wording to copy instead of asking it to compose numbers."""
    ctx = context(req, fig)
    extra = ("新客户", f"{fig.new_customers}家") if fig.new_customers is not None else ("成交单数", f"{fig.deals}单")
    return {**ctx, "goal": fill(templates()["sales_targets"]["statement"], ctx),
            "period_end_date": f"{fig.period_end:%Y-%m-%d}", "period_start_date": f"{fig.period_start:%Y-%m-%d}",
            "third_target_name": extra[0], "third_target_value": extra[1]}


def apply_figures(key: str, section: SectionBase, request: PlanRequest, figures: Figures) -> SectionBase:
    """Overwrite a section's numeric tables with the engine's figures, whoever drafted the prose."""
    fig = figures
    if isinstance(section, TargetBreakdown):
        section.quarters, section.months, section.reps = fig.quarters, fig.months, fig.reps
        section.seasonality_basis = fig.seasonality_basis
    elif isinstance(section, FunnelCapacity):
        amt = lambda v: format_amount(v, fig.unit)  # noqa: E731
        section.inputs = [Assumption(field="平均客单价", value=amt(fig.avg_deal_size), source=_src(fig, "平均客单价")),
                          Assumption(field="赢单率", value=format_rate(fig.win_rate), source=_src(fig, "赢单率")),
                          *[Assumption(field=f"转化率（{s.name}→下一阶段）", value=format_rate(s.conversion_to_next),
                                       source=_src(fig, "阶段转化率")) for s in fig.funnel[:-2]],
                          Assumption(field="销售周期", value=f"{fig.sales_cycle_days}天", source=_src(fig, "销售周期"))]
        section.stages, section.weekly_activities = fig.funnel, fig.weekly_activities
        section.capacity = [
            Assumption(field="人均月产能", value=amt(fig.capacity_per_rep_month), source=_src(fig, "人均月产能")),
            Assumption(field="团队期内产能", value=amt(fig.team_capacity), source="人均月产能×有效产能月合计"),
            Assumption(field="产能缺口", value=amt(max(fig.capacity_gap, 0)), source="目标−团队产能"),
            Assumption(field="现有/所需销售人数", value=f"{fig.headcount}人/{fig.headcount_needed}人", source="产能测算"),
            Assumption(field="管道覆盖倍数", value=f"{fig.pipeline_coverage:g}倍", source="1÷赢单率"),
            Assumption(field="所需管道金额", value=amt(fig.pipeline_value), source="目标×覆盖倍数"),
            Assumption(field="商机最晚进入日期", value=f"{fig.last_opportunity_date:%Y-%m-%d}", source="期末−销售周期"),
        ]
    elif isinstance(section, Budget):
        purposes = templates()["budget"]["purposes"]
        old = {r.item: r.purpose for r in section.lines}
        section.lines = [BudgetRow(item=b.item, amount=b.amount, share=b.share, purpose=old.get(b.item) or next(
            (v for k, v in purposes.items() if k in b.item), purposes["default"])) for b in fig.budget_lines]
        section.total, section.expense_ratio = fig.budget_total, fig.expense_ratio
    elif isinstance(section, Team):
        quota: dict[str, float] = {}
        for rep in fig.reps:
            quota[rep.role] = round(quota.get(rep.role, 0) + rep.quota, 2)
        for row in section.roles:
            if row.role in quota:
                row.quota = quota[row.role]
                row.count = sum(1 for r in fig.reps if r.role == row.role)
    elif isinstance(section, ChannelPlan):
        shares = [c.target_share or 0 for c in section.channels]
        if section.channels and abs(sum(shares) - 1) <= 0.01:
            for row, amount in zip(section.channels, allocate(fig.revenue_target, shares), strict=False):
                row.target_amount = amount
    return section


def _src(fig: Figures, field: str) -> str:
    return next((a.source for a in fig.assumptions if a.field == field), "用户提供")
