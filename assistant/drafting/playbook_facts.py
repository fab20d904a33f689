"""The industry playbook as a facts block for model prompts (`$playbook`, `$playbook_<section>`), so a model writes
for the business too: the same motion, stage names, ranges, roles (resolved to the team), calendar and risks the
offline drafter uses, plus the request's notes, and the rule that what is unknown stays a question.

    text = playbook_facts(request, figures)                  # the general block
    text = playbook_facts(request, figures, "risks")          # general block + what the risks section needs
"""

from __future__ import annotations

from ..request import PlanRequest
from ..schema import Figures
from .plan_context import PlanContext

_SECTION_FACTS = {
    "market_analysis": ("pest", "five_forces", "competitor_dimensions", "competitor_types"),
    "swot": ("swot",),
    "customer_persona": ("personas",),
    "sales_strategy": ("strategy", "sales_process"),
    "channel_plan": ("channels",),
    "team": ("roles",),
    "action_plan": ("actions",),
    "budget": ("budget",),
    "kpi_incentives": ("kpis", "incentives"),
    "tracking_review": ("warnings",),
    "risks": ("risks",),
    "target_breakdown": ("seasonality",),
    "funnel_capacity": ("funnel",),
}


def playbook_facts(request: PlanRequest, figures: Figures, section: str | None = None, *, limit: int = 6,
                   general: bool = True) -> str:
    """Chinese facts about the business for a prompt; `section` adds what that section needs (at most `limit`
    items per list, so a small model's prompt stays short); `general=False` gives only the section's facts (for a
    prompt whose shared system block already carries the general ones)."""
    c = PlanContext(request, figures)
    pb, f = c.pb, figures
    lines = [] if not general else [f"行业手册：{pb.name}（{f.playbook_reason}）",
             f"销售方式：{pb.motion.summary}",
             f"业绩口径：{pb.motion.revenue_basis}",
             "漏斗阶段：" + "→".join(s.name for s in pb.funnel.stages) + f"；{pb.win_rate_label}常见"
             f"{c.rate(pb.win_rate.low)}–{c.rate(pb.win_rate.high)}，销售周期常见{pb.cycle_days.low:g}–"
             f"{pb.cycle_days.high:g}天",
             f"人效：{pb.productivity.measure}每人每月{pb.productivity.per_rep_month.low:g}–"
             f"{pb.productivity.per_rep_month.high:g}（{pb.productivity.unit}）；{pb.productivity.coverage}",
             "团队岗位（负责人只能从这些岗位中选）：" + "、".join(t.role for t in f.team) +
             (f"、{c.manager}" if c.needs_plan_owner else ""),
             "本行业用语：" + "、".join(pb.vocabulary.use) + (
                 "；不要使用：" + "、".join(pb.vocabulary.avoid) if pb.vocabulary.avoid else "")]
    if general and c.note_facts:
        lines.append("用户备注（必须在相关章节用上）：" + "；".join(c.note_facts))
    if general and f.warnings:
        lines.append("需用户确认的数字：" + "；".join(w.message for w in f.warnings))
    if general:
        lines.append("规则：用户没有提供的事实（团队人数、市场规模、竞品细节等）写成待确认问题，不要写成事实；"
                     "各季度目标相同时不要说哪个季度最重。")
    for part in _SECTION_FACTS.get(section or "", ()):
        lines += _facts(c, part, limit)
    return "\n".join(f"- {x}" for x in lines)


def _facts(c: PlanContext, part: str, limit: int) -> list[str]:
    pb, f, sec = c.pb, c.fig, c.pb.sections
    if part == "pest":
        return ["PEST参考：" + "；".join(f"{p.dimension}：{p.factor}" for p in sec.pest[:limit])]
    if part == "five_forces":
        return ["五力参考：" + "；".join(f"{x.force}：{x.assessment}" for x in sec.five_forces[:limit])]
    if part == "competitor_dimensions":
        return ["竞品对比维度：" + "、".join(sec.competitor_dimensions)]
    if part == "competitor_types":
        known = [(n, c.competitor_type(n)) for n in c.req.competitors]
        return [f"竞品{n}属于{t.type}：优势{t.strengths}；劣势{t.weaknesses}" for n, t in known if t]
    if part == "swot":
        s = sec.swot
        return ["行业机会：" + "；".join(s.opportunities), "行业威胁：" + "；".join(s.threats),
                "需核实的优势：" + "；".join(s.strength_checks), "需核实的劣势：" + "；".join(s.weakness_checks)]
    if part == "personas":
        return [f"客户群{p.segment}：{p.needs}；决策链：{p.decision_makers}" for p in sec.personas[:limit]]
    if part == "strategy":
        return [f"策略{s.dimension}：{s.strategy}（{s.measures}）" for s in sec.strategy[:limit]]
    if part == "sales_process":
        return ["销售流程：" + "→".join(x.split("：")[0] for x in sec.sales_process)]
    if part == "channels":
        return [f"渠道{ch.channel}：{'收入渠道' if ch.role == 'revenue' else '线索来源' if ch.role == 'lead_source' else '收入兼线索'}"
                + (f"，目标{c.amt(ch.amount)}" if ch.amount else "") + (f"，约{ch.leads}条线索" if ch.leads else "")
                for ch in f.channels]
    if part == "roles":
        return [f"{t.role}：{(c.role_spec(t.role) or pb.roles[0]).responsibilities}" for t in f.team]
    if part == "actions":
        return [f"{when:%Y-%m-%d} {a.task}（负责人：{c.owner(a.owner)}）" + ("，成果计入下一期" if late else "")
                for a, when, late in c.schedule(sec.actions)][:limit + 2]
    if part == "budget":
        return [f"预算科目{b.item}：{b.purpose}" for b in pb.budget.lines]
    if part == "kpis":
        return [f"KPI {k.name}＝{k.formula}（{k.frequency}，负责人{c.owner([k.owner])}）" for k in pb.kpis[:limit]]
    if part == "incentives":
        return ["激励参考：" + "；".join(sec.incentives[:limit])]
    if part == "warnings":
        return [f"预警：{w.indicator}{w.threshold}→{w.action}" for w in sec.warnings[:limit]]
    if part == "risks":
        return [f"风险（{r.category}）{r.risk}：信号{r.trigger}；应对{r.response}；负责人{c.owner([r.owner])}"
                for r in pb.risks[:limit]]
    if part == "seasonality":
        return ["季节依据：" + f.seasonality_basis, *(["月份原因：" + "；".join(f.seasonality_notes)] if
                                                     f.seasonality_notes else [])]
    if part == "funnel":
        return [f"漏斗：{pb.funnel.note}" if pb.funnel.note else "漏斗：按行业阶段倒推",
                "周活动参考：" + "；".join(f"{a.name}{a.per_rep_week.low:g}–{a.per_rep_week.high:g}次/周"
                                        for a in pb.productivity.activities)]
    return []
