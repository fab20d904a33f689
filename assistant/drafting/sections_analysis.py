"""Offline sections that analyse and decide: summary, market, SWOT, targets, customers, strategy.

Each draws on the playbook (the industry's own content), the request (its facts, notes and competitors) and the
figures; what only the company can know is asked once, not placeholder-filled in every cell.
"""

from __future__ import annotations

import re

from ..schema import (
    Competitor,
    CustomerPersona,
    ExecutiveSummary,
    ForceItem,
    MarketAnalysis,
    Persona,
    PestFactor,
    SalesStrategy,
    SalesTargets,
    StrategyItem,
    Swot,
    TargetItem,
)
from .plan_context import PlanContext
from .templates import say

_POLICY = re.compile(r"政策|规定|法规|合规|集采|带量|招标|补贴|反商业贿赂|监管")
_GOOD = re.compile(r"已进入|已进|标杆|中标|领先|优势|口碑|已有.{0,6}(客户|案例)|稳定")


def _head(label: str) -> str:
    return re.split(r"（|\(", label)[0]


def counted(c: PlanContext, n: int) -> str:
    """「20个」 after 「中标项目」, 「20个项目」 elsewhere: no noun said twice."""
    unit = c.fig.deal_unit
    head = _head(c.fig.deal_label)
    return f"{n}{unit[0]}" if len(unit) > 1 and unit[1:] in head else f"{n}{unit}"


def quarter_shape(c: PlanContext) -> str:
    """How the year is shaped, without calling equal quarters the heaviest."""
    qs = c.fig.quarters if len(c.fig.quarters) >= 2 else c.fig.months
    if len(qs) < 2:
        return ""
    word = "季度" if qs is c.fig.quarters else "月"
    amounts = [q.amount for q in qs]
    if max(amounts) - min(amounts) <= 0.01 * max(amounts):
        return f"各{word}目标相同"
    top = max(qs, key=lambda q: q.amount)
    low = min(qs, key=lambda q: q.amount)
    return f"{top.label}最重（{c.amt(top.amount)}，占{c.rate(top.share)}），{low.label}最轻（{c.amt(low.amount)}）"


def growth_text(c: PlanContext) -> str:
    f = c.fig
    if f.growth_rate is None:
        return "上期销售额未提供，增长率暂不计算"
    word = "增长" if f.growth_rate >= 0 else "下降"
    return f"较上期{c.amt(f.baseline_revenue)}{word}{c.rate(abs(f.growth_rate))}"


def funnel_chain(c: PlanContext) -> str:
    return "→".join(f"{re.sub(r'（(线索|商机|成交)）$', '', s.name)}{s.count}" for s in c.fig.funnel)


def team_text(c: PlanContext) -> str:
    f = c.fig
    given = [t for t in f.team if not t.assumed]
    if not given:
        return say("team_text.assumed", count=f.headcount, role=c.quota_roles[0] if c.quota_roles else "销售")
    text = say("team_text.given", roles="、".join(f"{t.role}{t.count}人" for t in given))
    if f.hiring:
        text += say("team_text.hiring", gap=c.amt(max(f.capacity_gap, 0)),
                    hires="、".join(f"{h.start_month}到岗{h.count}名{h.role}" for h in f.hiring))
    elif f.capacity_gap > 0:
        text += say("team_text.gap", gap=c.amt(f.capacity_gap))
    if f.capacity_gap_after_hiring > 0:
        text += say("team_text.leftover", left=c.amt(f.capacity_gap_after_hiring))
    return text


def summary(c: PlanContext) -> ExecutiveSummary:
    f, req, pb = c.fig, c.req, c.pb
    first = re.split(r"[。；]", pb.motion.summary)[0]
    head = _head(f.deal_label)
    parts = [say("executive_summary.opening", company=req.company, period=f.period_label, region=c.region_label,
                 target=c.amt(f.revenue_target), growth=growth_text(c), collection=c.amt(f.collection_target)),
             say("executive_summary.motion", playbook=pb.name, motion=first),
             say("executive_summary.funnel_per_year" if pb.deal.per_year else "executive_summary.funnel",
                 deal_head=head, deal_size=c.amt(f.avg_deal_size), win_label=f.win_rate_label,
                 win_rate=c.rate(f.win_rate), chain=funnel_chain(c), deals=counted(c, f.deals))]
    if re.search(r"续费|续约", " ".join(pb.vocabulary.use)) and f.baseline_revenue and f.repurchase_rate is not None:
        kept = f.baseline_revenue * f.repurchase_rate
        parts.append(say("executive_summary.renewals", kept=c.amt(kept), rate=c.rate(f.repurchase_rate),
                         rest=c.amt(max(0.0, f.revenue_target - kept))))
    shape = quarter_shape(c)
    if shape:
        parts.append(say("executive_summary.shape", shape=shape))
    parts.append(team_text(c) + "。")
    if f.pipeline_need and f.pipeline_need.share >= 0.05:
        n = f.pipeline_need
        parts.append(say("executive_summary.pipeline", months=len(n.months), amount=c.amt(n.amount),
                         share=c.rate(n.share)))
    if f.warnings:
        parts.append(say("executive_summary.warnings", count=len(f.warnings)))
    points = [say("executive_summary.point_money", target=c.amt(f.revenue_target),
                  collection=c.amt(f.collection_target), budget=c.amt(f.budget_total), ratio=c.rate(f.expense_ratio)),
              say("executive_summary.point_funnel", chain=funnel_chain(c), coverage=f"{f.pipeline_coverage:g}"),
              team_text(c)]
    if shape:
        points.append(shape)
    points.append(say("executive_summary.point_risks", risks="；".join(r.risk for r in ranked_risks(c)[:2])))
    s = ExecutiveSummary(summary="".join(parts), key_points=points)
    s.assumptions.append(f"行业手册：{f.playbook_name}（{f.playbook_reason}）")
    return s


def ranked_risks(c: PlanContext) -> list:
    """The playbook's risks, those the request's notes and competitors touch first."""
    words = " ".join([c.req.notes or "", " ".join(c.req.competitors)])
    def score(r) -> int:  # noqa: ANN001
        hits = sum(1 for t in r.tags if t in words)
        return -(hits * 2 + (1 if "竞品" in r.tags and c.req.competitors else 0))
    return sorted(c.pb.risks, key=score)


def market(c: PlanContext) -> MarketAnalysis:
    req, pb = c.req, c.pb
    sec = pb.sections
    overview = c.fill(sec.market_overview)
    pest = [PestFactor(**p.model_dump()) for p in sec.pest]
    for fact in [n for n in c.note_facts if _POLICY.search(n)][:2]:
        pest.insert(1, PestFactor(dimension="政策", factor=say("market_analysis.policy_note", fact=fact),
                                  impact=say("market_analysis.policy_impact")))
    comps, unknown, seen = [], [], {}
    dims = sec.competitor_dimensions
    for name in req.competitors:
        kind = c.competitor_type(name)
        if not kind:
            unknown.append(name)
            continue
        n = seen[kind.type] = seen.get(kind.type, -1) + 1
        # brands of one type share their traits; each row gets its own dimension to compare first
        comps.append(Competitor(
            name=name, strengths=say("market_analysis.type_strengths", strengths=kind.strengths, type=kind.type),
            weaknesses=kind.weaknesses,
            our_response=say("market_analysis.type_response", response=kind.response, dimension=dims[n % len(dims)])))
    for name in unknown:
        cell = say("market_analysis.unknown_cell")
        comps.append(Competitor(name=name, strengths=cell, weaknesses=cell, our_response=say(
            "market_analysis.unknown_response", dimensions="、".join(sec.competitor_dimensions[:3]))))
    m = MarketAnalysis(market_overview=overview, pest=pest, five_forces=[ForceItem(**f.model_dump()) for f in
                                                                       sec.five_forces],
                       competitors=comps, positioning=c.fill(sec.positioning))
    all_dims = "、".join(sec.competitor_dimensions)
    if unknown:
        m.open_questions.append(say("market_analysis.ask_unknown", names="、".join(unknown), region=c.region_label,
                                    dimensions=all_dims))
    if comps and len(comps) > len(unknown):
        m.assumptions.append(say("market_analysis.typed_note"))
    if not req.competitors:
        m.open_questions.append(say("market_analysis.ask_competitors", dimensions=all_dims))
    m.open_questions.append(say("market_analysis.ask_market", region=c.region_label))
    return m


def swot(c: PlanContext) -> Swot:
    f, req, sec = c.fig, c.req, c.pb.sections.swot
    s = Swot(opportunities=list(sec.opportunities), threats=list(sec.threats), strategies=list(sec.strategies))
    if req.baseline_revenue:
        s.strengths.append(say("swot.baseline", baseline=c.amt(req.baseline_revenue)))
    given = [t for t in f.team if not t.assumed and t.quota_bearing]
    if given:
        s.strengths.append(say("swot.team", roles="、".join(f"{t.role}{t.count}人" for t in given)))
    s.strengths += [say("swot.note", fact=n) for n in c.note_facts if _GOOD.search(n) and n not in c.note_problems]
    s.strengths += [say("swot.check", question=q) for q in sec.strength_checks[: max(0, 3 - len(s.strengths))]]
    s.weaknesses += [say("swot.note", fact=n) for n in c.note_problems]
    if any(r.new_hire for r in f.reps):
        s.weaknesses.append(say("swot.rookies", count=sum(1 for r in f.reps if r.new_hire)))
    said = {"平均客单价": f"{_head(f.deal_label)}平均金额", "赢单率": f.win_rate_label, "销售周期": "开发周期",
            "阶段转化率": "各阶段转化率"}
    defaults = [said[a.field] for a in f.assumptions if a.field in said]
    if len(defaults) >= 3:
        s.weaknesses.append(say("swot.no_data", params="、".join(defaults)))
    if f.pipeline_need and f.pipeline_need.share >= 0.15:
        s.weaknesses.append(say("swot.reserve", months=len(f.pipeline_need.months)))
    s.weaknesses += [say("swot.check", question=q) for q in sec.weakness_checks[: max(0, 3 - len(s.weaknesses))]]
    if req.competitors:
        kinds = {c.competitor_type(n).type for n in req.competitors if c.competitor_type(n)}
        s.threats.insert(0, say("swot.rivals", names="、".join(req.competitors), region=c.region_label,
                                kinds=f"（{'、'.join(sorted(kinds))}）" if kinds else ""))
    return s


def targets(c: PlanContext) -> SalesTargets:
    f, _req, pb = c.fig, c.req, c.pb
    end = f"{f.period_end:%Y年%m月%d日}"
    head = _head(f.deal_label)
    rows = [TargetItem(name="销售额", value=c.amt(f.revenue_target), deadline=end, measure=pb.motion.revenue_basis),
            TargetItem(name="回款", value=c.amt(f.collection_target), deadline=end,
                       measure=f"财务到账金额（{pb.collection_note}）"),
            TargetItem(name=f"{head}数" + ("（含现有）" if pb.deal.per_year else ""), value=counted(c, f.deals),
                       deadline=end,
                       measure=f"按平均{c.amt(f.avg_deal_size)}测算" + ("，含现有客户" if pb.deal.per_year else ""))]
    if f.new_customers is not None:
        rows.append(TargetItem(name="新客户数", value=f"{f.new_customers}家", deadline=end, measure="期内首次成交的客户数"))
    renewing = bool(re.search(r"续费|续约", " ".join(pb.vocabulary.use)))
    if f.repurchase_rate is not None:
        name = "续费率" if renewing else "老客户复购率"
        rows.append(TargetItem(name=name, value=c.rate(f.repurchase_rate), deadline=end,
                               measure="期内续费（复购）客户数÷到期（存量）客户数"))
    if renewing and f.baseline_revenue and f.repurchase_rate is not None:
        kept = round(f.baseline_revenue * f.repurchase_rate, 2)
        rows.append(TargetItem(name="其中：存量续费（估算）", value=c.amt(kept), deadline=end, measure=say(
            "sales_targets.renewal_measure", baseline=c.amt(f.baseline_revenue), rate=c.rate(f.repurchase_rate),
            rest=c.amt(max(0.0, f.revenue_target - kept)))))
    statement = say("sales_targets.statement", end=end, region=c.region_label, target=c.amt(f.revenue_target),
                    growth=growth_text(c), collection=c.amt(f.collection_target),
                    collection_rate=c.rate(f.collection_rate), deal_head=head, deals=counted(c, f.deals),
                    existing="（含现有）" if pb.deal.per_year else "",
                    new_customers=f"，其中新客户{f.new_customers}家" if f.new_customers else "")
    splits = "、".join(x.name for x in (f.regions or f.products)) or "、".join(dict.fromkeys(c.quota_roles)) or "岗位"
    smart = [say("sales_targets.smart_specific", deal_head=head, region=c.region_label),
             say("sales_targets.smart_measurable", basis=pb.motion.revenue_basis),
             say("sales_targets.smart_achievable", team=team_text(c)),
             say("sales_targets.smart_relevant", splits=splits),
             say("sales_targets.smart_timed", period=f.period_label)]
    t = SalesTargets(statement=statement, targets=rows, smart_check=smart)
    if f.new_customers is None:
        t.open_questions.append(say("sales_targets.ask_new_customers"))
    extra = [x for x in pb.sections.targets_extra if x not in ("新签客户数", "新开发客户数") or f.new_customers is None]
    if extra:
        t.open_questions.append(say("sales_targets.ask_extra", items="、".join(extra)))
    return t


def persona(c: PlanContext) -> CustomerPersona:
    words = " ".join([c.req.notes or "", c.req.product or "", c.req.industry or "", " ".join(c.req.channels)])
    ranked = sorted(c.pb.sections.personas, key=lambda p: -sum(1 for k in p.keywords if k in words))
    personas, used = [], set()
    for p in ranked:
        row = Persona(**p.model_dump(exclude={"keywords"}))
        related = [n for n in c.note_facts if any(k in n for k in p.keywords) and n not in used]
        if related:
            row.characteristics += say("customer_persona.note", fact=related[0])
            used.add(related[0])
        personas.append(row)
    cp = CustomerPersona(personas=personas, needs_analysis=c.fill(c.pb.sections.needs_analysis))
    if not c.req.notes:
        cp.open_questions.append(say("customer_persona.ask"))
    return cp


def strategy(c: PlanContext) -> SalesStrategy:
    f, pb = c.fig, c.pb
    items = [StrategyItem(**i.model_dump()) for i in pb.sections.strategy]
    if f.products:
        items.insert(0, StrategyItem(
            dimension="产品组合", strategy=say("sales_strategy.products_strategy", names="、".join(p.name for p in f.products)),
            measures="；".join(say("sales_strategy.product_measure", name=p.name, amount=c.amt(p.amount),
                                  share=c.rate(p.share)) for p in f.products)))
    keys = c.notes_about(["重点", "主要客户", "目标客户", "园区", "标杆"])
    if keys:
        items.insert(0, StrategyItem(dimension="重点客户与区域", strategy=keys[0], measures=say(
            "sales_strategy.key_measures", owner=c.owner([pb.hiring.default_quota_role]), manager=c.manager)))
    return SalesStrategy(items=items, sales_process=list(pb.sections.sales_process))
