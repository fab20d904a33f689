"""The offline drafter: every section from the request, the numbers engine and methodology templates, deterministically.

It is the embedded default (no key, no network) and the LLM chain's per-section fallback. It never invents facts
about the company: what the user did not give becomes an open question (待确认). Its texts are prompts/offline.yaml
(drafting.templates); the engine's numbers are written into each section by drafting.figures.

    plan = draft_offline(request, figures)            # every section
    plan = redraft_offline(plan, {"swot": [...]})     # repair without a model
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel

from ..config import get_settings
from ..planning.engine import compute_figures
from ..quantities import format_amount, format_rate
from ..request import PlanRequest
from ..schema import (
    SECTION_KEYS,
    SECTION_SPECS,
    SECTIONS,
    ActionItem,
    ActionPlan,
    Budget,
    ChannelPlan,
    ChannelRow,
    Competitor,
    CustomerPersona,
    Evaluation,
    ExecutiveSummary,
    Figures,
    FunnelCapacity,
    HiringRow,
    KpiIncentives,
    KpiRow,
    MarketAnalysis,
    Persona,
    PlanSections,
    Progress,
    ProgressEvent,
    Reference,
    Risks,
    RoleRow,
    RunMetadata,
    SalesPlan,
    SalesStrategy,
    SalesTargets,
    SectionBase,
    SectionRun,
    Swot,
    TargetBreakdown,
    TargetItem,
    Team,
    TrackingReview,
)
from ..validation import validate_plan
from .figures import apply_figures, context
from .templates import fill, templates


@lru_cache(maxsize=4)
def _knowledge_notes(folder: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(file name, title, sections) of each methodology note, read from its front matter."""
    notes = []
    for path in sorted(Path(folder).glob("*.md")):
        text = path.read_text(encoding="utf-8")
        m = re.match(r"^---\s*\n(.*?)\n---", text, re.S)
        meta = yaml.safe_load(m.group(1)) if m else {}
        if isinstance(meta, dict):
            notes.append((path.name, str(meta.get("title", path.stem)), tuple(meta.get("sections") or ())))
    return tuple(notes)


def methodology_refs(key: str, limit: int = 2) -> list[Reference]:
    notes = _knowledge_notes(str(get_settings().knowledge_dir))
    return [Reference(id=name, source=f"knowledge/{name}", title=title) for name, title, secs in notes
            if key in secs][:limit]


def _deadline(fig: Figures, offset: int) -> date:
    day = fig.period_end + timedelta(days=offset) if offset < 0 else fig.period_start + timedelta(days=offset)
    return min(max(day, fig.period_start), fig.period_end)


# ---------------------------------------------------------------- sections


def _summary(req, fig, t, ctx) -> ExecutiveSummary:
    amt = lambda v: format_amount(v, fig.unit)  # noqa: E731
    peak = max(fig.quarters, key=lambda q: q.amount)
    points = [f"销售额目标{ctx['target']}，回款目标{ctx['collection']}",
              f"业绩最重的季度为{peak.label}（{amt(peak.amount)}）",
              f"需成交{fig.deals}单、商机{fig.opportunities}个，管道覆盖{fig.pipeline_coverage:g}倍",
              f"团队{fig.headcount}人" + (f"，产能缺口需增加{fig.headcount_gap}人" if fig.headcount_gap else "，产能可覆盖目标"),
              f"预算{ctx['budget']}，费用率{ctx['expense_ratio']}"]
    return ExecutiveSummary(summary=t["summary"], key_points=points)


def _market(req, fig, t, ctx) -> MarketAnalysis:
    comps = [Competitor(name=name, **t["competitor_row"]) for name in req.competitors]
    questions = [] if req.competitors else ["请提供主要竞争对手（至少3家）及其价格、渠道与优劣势"]
    if not req.industry and not req.product:
        questions.append("所在行业与主推产品/服务")
    questions.append(f"{req.region}市场规模与增速数据（行业报告或内部统计）")
    return MarketAnalysis(market_overview=t["market_overview"], pest=t["pest"], five_forces=t["five_forces"],
                          competitors=comps, positioning=t["positioning"], open_questions=questions)


def _swot(req, fig, t, ctx) -> Swot:
    s = Swot(**{k: t[k] for k in ("strengths", "weaknesses", "opportunities", "threats", "strategies")})
    if req.baseline_revenue:
        s.strengths.insert(0, f"上期销售额{format_amount(req.baseline_revenue, fig.unit)}，已有客户基础")
    if req.channels:
        s.strengths.append(f"已有渠道：{'、'.join(req.channels)}")
    if req.competitors:
        s.threats.insert(0, f"主要对手{'、'.join(req.competitors)}在{req.region}的竞争")
    if any(r.new_hire for r in fig.reps):
        s.weaknesses.append(f"新人{sum(r.new_hire for r in fig.reps)}名处于爬坡期，前期产能不足")
    return s


def _targets(req, fig, t, ctx) -> SalesTargets:
    end = ctx["period_end"]
    rows = [TargetItem(name="销售额", value=ctx["target"], deadline=end, measure="CRM已签约金额"),
            TargetItem(name="回款", value=ctx["collection"], deadline=end, measure="财务到账金额"),
            TargetItem(name="成交单数", value=f"{fig.deals}单", deadline=end, measure="CRM赢单数")]
    questions = []
    if fig.new_customers is not None:
        rows.append(TargetItem(name="新客户数", value=f"{fig.new_customers}家", deadline=end, measure="首次签约客户数"))
    else:
        questions.append("新客户开发数量目标（非销售额目标）")
    if fig.repurchase_rate is not None:
        rows.append(TargetItem(name="老客户复购率", value=format_rate(fig.repurchase_rate), deadline=end,
                               measure="期内复购客户数÷期初存量客户数"))
    return SalesTargets(statement=t["statement"], targets=rows, smart_check=t["smart_check"], open_questions=questions)


def _breakdown(req, fig, t, ctx) -> TargetBreakdown:
    notes = ["月度合计等于季度合计，季度合计等于总目标（四舍五入到0.01后按最大余数法调整）",
             "个人指标按有效产能月分配：新人按爬坡期线性折算产能"]
    return TargetBreakdown(seasonality_basis=fig.seasonality_basis, notes=notes)


def _funnel(req, fig, t, ctx) -> FunnelCapacity:
    return FunnelCapacity(analysis=(f"{fig.lead_time_note}。目标需要管道金额{format_amount(fig.pipeline_value, fig.unit)}"
                                    f"（覆盖倍数{fig.pipeline_coverage:g}=1÷赢单率）。"))


def _persona(req, fig, t, ctx) -> CustomerPersona:
    offer = ctx["offer"]
    persona = Persona(segment=f"{req.region}采购{offer}的目标客户",
                      characteristics="行业、规模、采购方式需依据CRM已成交客户数据补充",
                      needs="需通过客户访谈确认：质量稳定、价格合理、交付及时、售后响应等方面的优先级",
                      pain_points="需访谈确认：现有供应商在哪些方面未能满足",
                      decision_makers="需确认：使用部门、采购部门与审批人的角色分工")
    return CustomerPersona(personas=[persona], needs_analysis=(
        "从已成交客户中提取共性（行业、规模、采购频次），再访谈3-5家典型客户，区分核心需求与潜在需求。"),
        open_questions=["目标客户画像：行业、规模、决策人与核心需求（请提供已成交客户数据）"])


def _strategy(req, fig, t, ctx) -> SalesStrategy:
    return SalesStrategy(items=t["items"], sales_process=t["sales_process"])


def _channels(req, fig, t, ctx) -> ChannelPlan:
    names = req.channels or ["直销（默认）"]
    rows = [ChannelRow(channel=n, role="覆盖对应客户群并承接目标", target_share=round(1 / len(names), 4),
                       actions="制定渠道目标与考核，月度检查达成") for n in names]
    section = ChannelPlan(channels=rows, notes=["各渠道目标暂按平均分配，请按历史渠道占比调整"])
    section.assumptions.append("渠道目标占比未提供，按渠道数平均分配")
    if not req.channels:
        section.open_questions.append("现有销售渠道及各渠道销售占比")
    return section


def _team(req, fig, t, ctx) -> Team:
    resp = t["responsibilities"]
    roles: dict[str, list] = {}
    for rep in fig.reps:
        roles.setdefault(rep.role, []).append(rep)
    rows = [RoleRow(role=role, count=len(reps), responsibilities=next(
        (v for k, v in resp.items() if k in role), resp["default"])) for role, reps in roles.items()]
    rows += [RoleRow(role=r.role, count=r.count, responsibilities=next(
        (v for k, v in resp.items() if k in r.role), resp["default"])) for r in req.team if not r.quota_bearing]
    hiring = [HiringRow(role=r.role, count=r.new_hires, by_month=f"{r.hire_month}月" if r.hire_month else "期初",
                        reason=f"扩编，爬坡{r.ramp_months}个月") for r in req.team if r.new_hires]
    if fig.headcount_gap:
        hiring.append(HiringRow(role="销售代表", count=fig.headcount_gap, by_month=f"{fig.period_start.month}月",
                                reason="产能测算缺口"))
    return Team(roles=rows, hiring=hiring, collaboration=t["collaboration"])


def _actions(req, fig, t, ctx) -> ActionPlan:
    items = [ActionItem(task=a["task"], owner=a["owner"], deadline=_deadline(fig, a["offset"]),
                        deliverable=a["deliverable"], resources=a["resources"]) for a in t]
    for r in req.team:
        if r.new_hires:
            month = r.hire_month or fig.period_start.month
            year = fig.period_start.year if month >= fig.period_start.month else fig.period_start.year + 1
            hire_day = min(max(date(year, month, 1), fig.period_start), fig.period_end)
            items.append(ActionItem(task=f"完成{r.new_hires}名{r.role}招聘并入职", owner="销售经理与HR",
                                    deadline=hire_day, deliverable="到岗名单与带教计划", resources="招聘渠道、带教主管"))
    for q in fig.quarters:
        items.append(ActionItem(task=f"{q.label}复盘，检查{format_amount(q.amount, fig.unit)}目标达成", owner=ctx["director"],
                                deadline=_quarter_end(q.label, fig), deliverable="季度复盘报告",
                                resources="CRM与财务数据"))
    items.sort(key=lambda i: i.deadline)
    return ActionPlan(items=items)


def _quarter_end(label: str, fig: Figures) -> date:
    year, q = int(label[:4]), int(label[-1])
    end = date(year, 12, 31) if q == 4 else date(year, 3 * q + 1, 1) - timedelta(days=1)
    return min(end, fig.period_end)


def _budget(req, fig, t, ctx) -> Budget:
    return Budget(total=fig.budget_total, tools=t["tools"])


def _kpis(req, fig, t, ctx) -> KpiIncentives:
    m, d = ctx["manager"], ctx["director"]
    rows = [
        KpiRow(name="销售额达成率", formula="实际签约金额÷目标金额", target=f"100%（{ctx['target']}）", frequency="月度", owner=d),
        KpiRow(name="回款率", formula="实际回款÷应回款", target=ctx["collection_rate"], frequency="月度", owner=m),
        KpiRow(name="新增商机数", formula="期内进入商机阶段的客户数", target=f"{fig.opportunities}个", frequency="周", owner=m),
        KpiRow(name="赢单率", formula="成交数÷关闭商机数", target=ctx["win_rate"], frequency="月度", owner=m),
        KpiRow(name="人均活动量", formula="有效触达次数÷销售人数", target=f"{fig.weekly_activities[1].per_rep_per_week:g}次/周",
               frequency="周", owner=m),
        KpiRow(name="费用率", formula="销售费用÷销售额", target=f"≤{ctx['expense_ratio']}", frequency="月度", owner=d),
    ]
    if fig.new_customers:
        rows.append(KpiRow(name="新客户数", formula="首次签约客户数", target=f"{fig.new_customers}家", frequency="季度", owner=m))
    return KpiIncentives(kpis=rows, incentives=t["incentives"])


def _tracking(req, fig, t, ctx) -> TrackingReview:
    warnings = [
        {"indicator": "月度目标达成率", "threshold": "低于80%", "action": "周会专题分析，制定追赶计划"},
        {"indicator": "管道覆盖倍数", "threshold": f"低于{fig.pipeline_coverage:g}倍", "action": "加大获客投入，补充商机"},
        {"indicator": "个人周活动量", "threshold": "连续2周低于目标的70%", "action": "经理一对一辅导"},
        {"indicator": "应收逾期", "threshold": "超过30天", "action": "升级催收，暂停新增账期"},
    ]
    return TrackingReview(cadence=t["cadence"], warnings=warnings, adjustment=t["adjustment"])


def _risks(req, fig, t, ctx) -> Risks:
    return Risks(risks=t)


def _evaluation(req, fig, t, ctx) -> Evaluation:
    return Evaluation(dimensions=t["dimensions"], improvements=t["improvements"])


BUILDERS: dict[str, Callable[..., SectionBase]] = {
    "executive_summary": _summary, "market_analysis": _market, "swot": _swot, "sales_targets": _targets,
    "target_breakdown": _breakdown, "funnel_capacity": _funnel, "customer_persona": _persona,
    "sales_strategy": _strategy, "channel_plan": _channels, "team": _team, "action_plan": _actions,
    "budget": _budget, "kpi_incentives": _kpis, "tracking_review": _tracking, "risks": _risks,
    "evaluation": _evaluation,
}


def draft_section(key: str, request: PlanRequest, figures: Figures) -> SectionBase:
    """The offline version of one section (also the LLM chain's fallback)."""
    t = templates()
    ctx = context(request, figures)
    section = BUILDERS[key](request, figures, fill(t.get(key, {}), ctx), ctx)
    section = apply_figures(key, section, request, figures)
    section.citations = [r.id for r in methodology_refs(key)]
    return section


def plan_title(request: PlanRequest, figures: Figures) -> str:
    return f"{request.company}{request.region}{figures.period_label}销售工作方案"


def draft_offline(request: PlanRequest, figures: Figures | None = None,
                  progress: Progress | None = None) -> SalesPlan:
    figures = figures or compute_figures(request)
    sections: dict[str, SectionBase] = {}
    runs: dict[str, SectionRun] = {}
    refs: dict[str, Reference] = {}
    for spec in SECTION_SPECS:
        sections[spec.key] = draft_section(spec.key, request, figures)
        runs[spec.key] = SectionRun(status="offline")
        for ref in methodology_refs(spec.key):
            refs.setdefault(ref.id, ref)
        if progress:
            progress(ProgressEvent(section=spec.key, status="offline", detail=SECTIONS[spec.key].title))
    meta = RunMetadata(drafter="offline", sections=runs, notes=["本方案由离线起草器生成（未使用大模型）"])
    return SalesPlan(title=plan_title(request, figures), request=request,
                     figures=figures, sections=PlanSections(**sections), assumptions=figures.assumptions,
                     open_questions=figures.open_questions, references=list(refs.values()), metadata=meta)


# ---------------------------------------------------------------- repair without a model


def _is_empty(section: SectionBase | None) -> bool:
    if section is None:
        return True
    own = [n for n in type(section).model_fields if n not in SectionBase.model_fields]
    values = [getattr(section, n) for n in own]
    return not any(v for v in values if isinstance(v, (str, list, BaseModel)))


def redraft_offline(plan: SalesPlan, feedback: dict[str, list[str]]) -> SalesPlan:
    """Repair without a model: recompute figures, re-apply them to the failing sections, regenerate missing ones,
    and turn what is still failing into open questions of those sections."""
    plan = plan.model_copy(deep=True)
    figures = compute_figures(plan.request)
    plan.figures = figures
    plan.assumptions = figures.assumptions
    plan.open_questions = list(dict.fromkeys([*plan.open_questions, *figures.open_questions]))
    keys = [k for k in SECTION_KEYS if k in feedback]
    for key in keys:
        section = plan.sections.get(key)
        if _is_empty(section):
            section = draft_section(key, plan.request, figures)
        else:
            section = apply_figures(key, section, plan.request, figures)
        setattr(plan.sections, key, section)
    still = validate_plan(plan)
    for finding in still.failed:
        if "已列为待确认" in finding.reason:
            continue  # the plan already asks for it
        for key in finding.sections or [finding.section]:
            section = plan.sections.get(key) if key in keys else None
            if section is None:
                continue
            question = f"{finding.fix_hint}（未满足：{finding.description}）"
            if question not in section.open_questions:
                section.open_questions.append(question)
    return plan
