"""The figures overlay: the numbers engine's figures written into a section, whoever drafted its prose.

`apply_figures` overwrites a section's numeric tables (breakdown, funnel inputs and capacity, budget lines, quotas,
channel amounts) with the engine's figures; the offline drafter and the model chain both call it, so the model never
owns a number. `context` / `phrases` are the same figures as ready phrases: the offline templates' slots and the
prompt templates' `$goal`, `$target`, `$period_end_date`, ... slots.
"""

from __future__ import annotations

import re

from ..planning.engine import allocate
from ..quantities import format_amount, format_rate
from ..request import PlanRequest
from ..schema import (
    SECTION_KEYS,
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


def context(req: PlanRequest, fig: Figures) -> dict[str, str]:
    """The request and figures as `$name` slots of the prompt templates (names kept stable across versions)."""
    from .plan_context import PlanContext
    from .sections_analysis import growth_text, team_text

    c = PlanContext(req, fig)
    amt = c.amt
    reviewer = next((t.role for t in fig.team if re.search(r"总监|总经理|负责人", t.role)), c.manager)
    return {
        "company": req.company, "region": req.region, "period": fig.period_label,
        "period_end": f"{fig.period_end:%Y年%m月%d日}", "target": amt(fig.revenue_target),
        "collection": amt(fig.collection_target), "collection_rate": format_rate(fig.collection_rate),
        "quarters_count": str(len(fig.quarters)), "months_count": str(fig.months_count),
        "headcount": str(fig.headcount), "deal_size": amt(fig.avg_deal_size), "win_rate": format_rate(fig.win_rate),
        "deals": str(fig.deals), "opportunities": str(fig.opportunities), "top_stage": fig.funnel[0].name,
        "top_count": str(fig.funnel[0].count), "budget": amt(fig.budget_total),
        "expense_ratio": format_rate(fig.expense_ratio), "offer": c.offer, "industry_or_product": c.offer,
        "growth_text": growth_text(c), "capacity_text": team_text(c),
        "new_customers_text": f"，新增客户{fig.new_customers}家" if fig.new_customers else "",
        "channel_strategy": "、".join(ch.channel for ch in fig.channels) or "渠道结构待确认",
        "manager": c.manager, "director": reviewer,
        "competitor_text": f"（{'、'.join(req.competitors[:3])}）" if req.competitors else "",
    }


def phrases(req: PlanRequest, fig: Figures) -> dict[str, str]:
    """The engine's figures as ready phrases for prompt templates ($goal, $target, $period_end_date, ...), so a
    prompt can hand a small model the exact wording to copy instead of asking it to compose numbers; `$playbook`
    (and `$playbook_<section>`) carry the industry playbook's facts (drafting.playbook_facts)."""
    from .plan_context import PlanContext
    from .playbook_facts import playbook_facts
    from .sections_analysis import targets

    ctx = context(req, fig)
    extra = ("新客户", f"{fig.new_customers}家") if fig.new_customers is not None else (
        f"{re.split('（', fig.deal_label)[0]}数", f"{fig.deals}{fig.deal_unit}")
    slots = {**ctx, "goal": targets(PlanContext(req, fig)).statement,
             "period_end_date": f"{fig.period_end:%Y-%m-%d}", "period_start_date": f"{fig.period_start:%Y-%m-%d}",
             "third_target_name": extra[0], "third_target_value": extra[1],
             "playbook": playbook_facts(req, fig)}
    for key in SECTION_KEYS:
        slots[f"playbook_{key}"] = playbook_facts(req, fig, key)
        # the section's facts alone, for prompts whose system block already carries $playbook
        slots[f"facts_{key}"] = playbook_facts(req, fig, key, general=False) or "- （本节无行业补充）"
    return slots


def apply_figures(key: str, section: SectionBase, request: PlanRequest, figures: Figures) -> SectionBase:
    """Overwrite a section's numeric tables with the engine's figures, whoever drafted the prose."""
    fig = figures
    if isinstance(section, TargetBreakdown):
        section.quarters, section.months, section.reps = fig.quarters, fig.months, fig.reps
        section.seasonality_basis = fig.seasonality_basis
    elif isinstance(section, FunnelCapacity):
        amt = lambda v: format_amount(v, fig.unit)  # noqa: E731
        deal = re.sub(r"[（(](.*?)[)）]", r"，\1", fig.deal_label)
        section.inputs = [Assumption(field=f"平均客单价（{deal}）", value=amt(fig.avg_deal_size),
                                     source=_src(fig, "平均客单价")),
                          Assumption(field=f"赢单率（{fig.win_rate_label}）", value=format_rate(fig.win_rate),
                                     source=_src(fig, "赢单率")),
                          *[Assumption(field=f"转化率（{_bare(s.name)}→{_bare(n.name)}）", value=format_rate(s.conversion_to_next),
                                       source=_src(fig, "阶段转化率")) for s, n in zip(fig.funnel[:-2], fig.funnel[1:], strict=False)],
                          Assumption(field="销售周期", value=f"{fig.sales_cycle_days}天", source=_src(fig, "销售周期"))]
        section.stages, section.weekly_activities = fig.funnel, fig.weekly_activities
        section.capacity = [
            Assumption(field="人均月产能", value=amt(fig.capacity_per_rep_month), source=_src(fig, "人均月产能")),
            Assumption(field="团队期内产能", value=amt(fig.team_capacity), source="人均月产能×有效产能月合计"),
            Assumption(field="产能缺口", value=amt(max(fig.capacity_gap, 0)), source="目标−团队产能"),
            Assumption(field="现有/所需销售人数", value=f"{fig.headcount}人/{fig.headcount_needed}人", source="产能测算"),
            Assumption(field="管道覆盖倍数", value=f"{fig.pipeline_coverage:g}倍", source="1÷赢单率"),
            Assumption(field="所需管道金额", value=amt(fig.pipeline_value), source="目标×覆盖倍数"),
            Assumption(field=f"新{_bare(fig.funnel[0].name)}最晚进入日期", value=f"{fig.last_opportunity_date:%Y-%m-%d}",
                       source="期末−销售周期"),
        ]
    elif isinstance(section, Budget):
        old = {r.item: r.purpose for r in section.lines}
        section.lines = [BudgetRow(item=b.item, amount=b.amount, share=b.share,
                                   purpose=old.get(b.item) or _purpose(b.item, fig)) for b in fig.budget_lines]
        section.total, section.expense_ratio = fig.budget_total, fig.expense_ratio
    elif isinstance(section, Team):
        quota: dict[str, float] = {}
        for rep in fig.reps:
            if not rep.planned:  # planned hires carry their own quota in the hiring plan, not the team's row
                quota[rep.role] = round(quota.get(rep.role, 0) + rep.quota, 2)
        for row in section.roles:
            if row.role in quota:
                row.quota = quota[row.role]
                row.count = sum(1 for r in fig.reps if r.role == row.role and not r.planned)
    elif isinstance(section, ChannelPlan):
        split = {c.channel: c for c in fig.channels}
        for row in section.channels:
            if row.channel in split:
                row.target_share, row.leads = split[row.channel].share, split[row.channel].leads
        shares = [c.target_share or 0 for c in section.channels]
        if section.channels and abs(sum(shares) - 1) <= 0.01:
            for row, amount in zip(section.channels, allocate(fig.revenue_target, shares), strict=False):
                row.target_amount = amount if row.target_share else None
    return section


def _bare(name: str) -> str:
    return re.sub(r"（(线索|商机|成交)）$", "", name)


def _purpose(item: str, fig: Figures) -> str:
    """What a budget line pays for, in the playbook's words (the user's own lines: matched by alias)."""
    from ..planning.playbooks import get_playbook

    lines = get_playbook(fig.playbook_id).budget.lines
    exact = next((b.purpose for b in lines if b.item == item), None)
    if exact:
        return exact
    best = max(lines, key=lambda b: max((len(a) for a in b.aliases if a in item), default=0))
    return best.purpose if any(a in item for a in best.aliases) else "按科目用途使用，月度核算"


def _src(fig: Figures, field: str) -> str:
    return next((a.source for a in fig.assumptions if a.field == field), "用户提供")
