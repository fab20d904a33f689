"""Offline sections that put the plan to work: breakdown, funnel, channels, team, actions, budget, KPIs, tracking,
risks and evaluation — in the industry's stages, roles, budget lines and calendar, owned by roles the team has."""

from __future__ import annotations

import re
from datetime import date, timedelta

from ..schema import (
    ActionItem,
    ActionPlan,
    Budget,
    CadenceRow,
    ChannelPlan,
    ChannelRow,
    EvalRow,
    Evaluation,
    FunnelCapacity,
    HiringRow,
    KpiIncentives,
    KpiRow,
    RiskRow,
    Risks,
    RoleRow,
    TargetBreakdown,
    Team,
    TrackingReview,
    WarningRow,
)
from .plan_context import PLAN_OWNER, PlanContext
from .sections_analysis import quarter_shape, ranked_risks
from .templates import say

ROLE_WORDS = {"revenue": "收入渠道", "lead_source": "线索来源", "both": "收入渠道兼线索来源"}


def month_span(labels: list[str]) -> str:
    """「2027年1月至6月」 for a run of month labels."""
    if len(labels) == 1:
        return labels[0]
    last = labels[-1] if labels[-1][:5] != labels[0][:5] else labels[-1][5:]
    return f"{labels[0]}至{last}"


def _plain(name: str) -> str:
    return re.sub(r"（(线索|商机|成交)）$", "", name)


def breakdown(c: PlanContext) -> TargetBreakdown:
    f, pb = c.fig, c.pb
    basis = f.seasonality_basis
    sf = c.festival_in_period()
    notes = [say("target_breakdown.rhythm", reasons="；".join(f.seasonality_notes[:6]))] if f.seasonality_notes else []
    if sf and pb.seasonality.spring_festival:
        notes.append(say("target_breakdown.festival", year=sf.year, month=sf.month, day=sf.day,
                         effect=pb.seasonality.spring_festival))
    shape = quarter_shape(c)
    if shape:
        notes.append(say("target_breakdown.shape", shape=shape))
    if f.pipeline_need:
        n = f.pipeline_need
        src = say("target_breakdown.reserve_existing") if pb.deal.per_year else \
            say("target_breakdown.reserve_pipeline", top=_plain(f.funnel[0].name))
        notes.append(say("target_breakdown.reserve", months=month_span(n.months), amount=c.amt(n.amount),
                         date=f"{n.first_new_close:%Y-%m-%d}", source=src))
    rookies = [r for r in f.reps if r.new_hire]
    if rookies:
        notes.append(say("target_breakdown.rookies", count=len(rookies)))
    return TargetBreakdown(seasonality_basis=basis, notes=notes, regions=list(f.regions), products=list(f.products))


def funnel(c: PlanContext) -> FunnelCapacity:
    f, pb = c.fig, c.pb
    parts = [say("funnel_capacity.lead_time", note=f.lead_time_note, win_label=f.win_rate_label,
                 win_rate=c.rate(f.win_rate), coverage=f"{f.pipeline_coverage:g}", value=c.amt(f.pipeline_value))]
    if pb.funnel.note:
        parts.append(pb.funnel.note)
    if pb.deal.per_year:
        parts.append(say("funnel_capacity.per_year"))
    leads = [ch for ch in f.channels if ch.leads]
    if leads:
        parts.append(say("funnel_capacity.leads", leads="、".join(f"{ch.channel}约{ch.leads}条" for ch in leads)))
    parts.append(say("funnel_capacity.productivity", coverage=pb.productivity.coverage))
    return FunnelCapacity(analysis="".join(parts))


def channels(c: PlanContext) -> ChannelPlan:
    f, pb = c.fig, c.pb
    top = _plain(f.funnel[0].name)
    rows = []
    for ch in f.channels:
        role = ROLE_WORDS[ch.role]
        if ch.role != "revenue" and ch.leads is not None:
            role = say("channel_plan.lead_role", role=role, leads=ch.leads, top=top)
        rows.append(ChannelRow(channel=ch.channel, role=role, target_share=ch.share, target_amount=ch.amount,
                               leads=ch.leads, actions=ch.actions or "按渠道设定目标与考核，月度检查"))
    plan = ChannelPlan(channels=rows)
    if any(ch.role == "lead_source" for ch in f.channels):
        plan.notes.append(say("channel_plan.lead_note"))
    if any(ch.share is not None for ch in f.channels):
        plan.assumptions.append(say("channel_plan.share_note", playbook=pb.name))
    return plan


def team(c: PlanContext) -> Team:
    f, pb = c.fig, c.pb
    rows = []
    for line in f.team:
        spec = c.role_spec(line.role)
        resp = spec.responsibilities if spec else next(
            r.responsibilities for r in pb.roles if r.key == (pb.hiring.default_quota_role if line.quota_bearing
                                                               else pb.hiring.manager_role))
        rows.append(RoleRow(role=line.role, count=line.count, responsibilities=resp))
    if c.needs_plan_owner:
        manager = next(r for r in pb.roles if r.key == pb.hiring.manager_role)
        rows.append(RoleRow(role=PLAN_OWNER, count=1, responsibilities=say("team.plan_owner",
                                                                           duties=manager.responsibilities)))
    hiring = []
    for line in c.req.team:
        if line.new_hires:
            hiring.append(HiringRow(role=line.role, count=line.new_hires,
                                    by_month=f"{line.hire_month}月" if line.hire_month else "期初",
                                    reason=say("team.given_hires", ramp=line.ramp_months)))
    quota_role = next(r for r in pb.roles if r.key == pb.hiring.default_quota_role)
    for h in f.hiring:
        hiring.append(HiringRow(role=h.role, count=h.count, by_month=h.start_month, reason=say(
            "team.gap_hires", recruit_by=f"{h.recruit_by:%Y-%m-%d}", lead=round(quota_role.hire_lead_days.mid),
            ramp=h.ramp_months, capacity=c.amt(h.capacity), cap=pb.hiring.max_per_month)))
    t = Team(roles=rows, hiring=hiring, collaboration=list(pb.sections.collaboration))
    if f.capacity_gap_after_hiring > 0:
        t.open_questions.append(say("team.ask_leftover", left=c.amt(f.capacity_gap_after_hiring)))
    if any(line.assumed for line in f.team):
        t.assumptions.append(say("team.assumed"))
    return t


def actions(c: PlanContext) -> ActionPlan:
    f, pb = c.fig, c.pb
    items = []
    for a, when, late in c.schedule(pb.sections.actions):
        task = a.task + (say("action_plan.next_period") if late else "")
        items.append(ActionItem(task=task, owner="、".join(dict.fromkeys(c.owner([k]) for k in a.owner[:2])),
                                deadline=when, deliverable=a.deliverable, resources=a.resources))
    need = f.pipeline_need
    if need and need.share >= 0.05:
        kind = "existing" if pb.deal.per_year else "pipeline"
        src = say(f"action_plan.reserve_{kind}", top=_plain(f.funnel[0].name))
        items.append(ActionItem(task=say("action_plan.reserve", source=src, months=month_span(need.months),
                                         amount=c.amt(need.amount)),
                                owner=c.manager, deadline=c.clamp(f.period_start + timedelta(days=5)),
                                deliverable=say(f"action_plan.reserve_deliverable_{kind}"), resources="CRM或台账"))
    for h in f.hiring:
        items.append(ActionItem(task=say("action_plan.hire", count=h.count, role=h.role, month=h.start_month),
                                owner=f"{c.manager}、人力资源部",
                                deadline=c.clamp(h.recruit_by), deliverable="录用名单", resources="招聘渠道与预算"))
        y, m = int(h.start_month[:4]), int(h.start_month[5:-1])
        items.append(ActionItem(task=say("action_plan.onboarding", role=h.role), owner=c.manager,
                                deadline=c.clamp(date(y, m, 1) + timedelta(days=7)), deliverable="带教计划与首月目标",
                                resources="产品与流程培训材料"))
    for line in c.req.team:
        if line.new_hires:
            month = line.hire_month or f.period_start.month
            year = f.period_start.year if month >= f.period_start.month else f.period_start.year + 1
            items.append(ActionItem(task=say("action_plan.given_hires", count=line.new_hires, role=line.role),
                                    owner=c.manager,
                                    deadline=c.clamp(date(year, month, 1)), deliverable="到岗名单与带教计划",
                                    resources="招聘渠道、带教人"))
    reviewer = next((t.role for t in f.team if re.search(r"总监|总经理|负责人", t.role)), c.manager)
    for q in f.quarters:
        year, n = int(q.label[:4]), int(q.label[-1])
        end = date(year, 12, 31) if n == 4 else date(year, 3 * n + 1, 1) - timedelta(days=1)
        items.append(ActionItem(task=say("action_plan.review", quarter=q.label, amount=c.amt(q.amount)),
                                owner=reviewer,
                                deadline=min(end, f.period_end), deliverable="季度复盘与调整清单",
                                resources="CRM、财务与台账数据"))
    items.sort(key=lambda i: i.deadline)
    return ActionPlan(items=items)


def budget(c: PlanContext) -> Budget:
    note = [c.pb.budget.note] if c.pb.budget.note else []
    return Budget(total=c.fig.budget_total, tools=list(c.pb.sections.tools), assumptions=note)


def kpi_target(c: PlanContext, name: str, typical: str) -> str:
    f = c.fig
    for prev, stage in zip(f.funnel, f.funnel[1:], strict=False):
        if "转化" in name and _plain(stage.name)[:2] in name and prev.conversion_to_next:
            return c.rate(prev.conversion_to_next)
    if re.search(r"线索量|项目信息储备数|留资", name):
        return f"{f.funnel[0].count}条"
    if re.search(r"达成率", name) and re.search(r"销售|进货|任务", name):
        return f"100%（{c.amt(f.revenue_target)}）"
    if re.search(r"回款率|回款达成", name):
        return c.rate(f.collection_rate)
    if re.search(r"中标率|赢单率|成交率|签约率", name):
        return c.rate(f.win_rate)
    if re.search(r"ARR|签约金额|中标金额|新签合同额|收款", name):
        return c.amt(f.revenue_target)
    if re.search(r"台数|交车|报名人数|中标项目|新开发客户数|进院数|新签客户", name):
        return f"{f.new_customers or f.deals}{f.deal_unit}"
    if re.search(r"费用率", name):
        return f"≤{c.rate(f.expense_ratio)}"
    if re.search(r"储备", name):
        return f"≥{c.amt(f.pipeline_value)}"
    return typical or "按月跟踪，首月后定基线"


def kpis(c: PlanContext) -> KpiIncentives:
    rows = [KpiRow(name=k.name, formula=k.formula, target=kpi_target(c, k.name, k.typical), frequency=k.frequency,
                   owner=c.owner([k.owner])) for k in c.pb.kpis]
    return KpiIncentives(kpis=rows, incentives=list(c.pb.sections.incentives))


def tracking(c: PlanContext) -> TrackingReview:
    sec = c.pb.sections
    cadence = [CadenceRow(frequency=r.frequency, form=r.form, content=r.content, owner=c.owner([r.owner]))
               for r in sec.cadence]
    warnings = [WarningRow(**w.model_dump()) for w in sec.warnings]
    if not any("覆盖" in w.indicator or "储备" in w.indicator for w in warnings):
        warnings.append(WarningRow(indicator="管道覆盖倍数", threshold=f"低于{c.fig.pipeline_coverage:g}倍",
                                   action=f"补充{_plain(c.fig.funnel[-2].name)}，检查前两级转化"))
    return TrackingReview(cadence=cadence, warnings=warnings, adjustment=c.fill(sec.adjustment))


def risks(c: PlanContext) -> Risks:
    rows = []
    for r in ranked_risks(c)[:7]:
        risk = r.risk
        if "竞品" in r.tags and c.req.competitors:
            risk += f"（{'、'.join(c.req.competitors[:3])}）"
        rows.append(RiskRow(category=r.category, risk=risk, trigger=r.trigger, response=r.response,
                            owner=c.owner([r.owner])))
    return Risks(risks=rows)


def evaluation(c: PlanContext) -> Evaluation:
    sec = c.pb.sections
    return Evaluation(dimensions=[EvalRow(**e.model_dump()) for e in sec.evaluation], improvements=list(sec.improvements))
