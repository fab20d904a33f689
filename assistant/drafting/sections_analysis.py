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
        return f"团队未提供，按产能测算约需{f.headcount}名{c.quota_roles[0] if c.quota_roles else '销售'}（假设）"
    text = "现有" + "、".join(f"{t.role}{t.count}人" for t in given)
    if f.hiring:
        text += "；产能缺口" + c.amt(max(f.capacity_gap, 0)) + "，计划" + "、".join(
            f"{h.start_month}到岗{h.count}名{h.role}" for h in f.hiring)
    elif f.capacity_gap > 0:
        text += f"；产能缺口{c.amt(f.capacity_gap)}"
    if f.capacity_gap_after_hiring > 0:
        text += f"，招聘后仍缺约{c.amt(f.capacity_gap_after_hiring)}，需确认补足方式"
    return text


def summary(c: PlanContext) -> ExecutiveSummary:
    f, req, pb = c.fig, c.req, c.pb
    first = re.split(r"[。；]", pb.motion.summary)[0]
    parts = [f"{req.company}在{f.period_label}的{c.region_label}销售额目标为{c.amt(f.revenue_target)}（{growth_text(c)}），"
             f"回款目标{c.amt(f.collection_target)}。",
             f"本方案按{pb.name}的做法起草，销售方式是{first}。",
             (f"按{_head(f.deal_label)}平均{c.amt(f.avg_deal_size)}测算，目标相当于约{counted(c, f.deals)}"
              f"{_head(f.deal_label)}全年的量（含现有客户）；扣除现有客户后才是需新开发的部分，按"
              f"{f.win_rate_label}{c.rate(f.win_rate)}倒推，漏斗上限为{funnel_chain(c)}。"
              if pb.deal.per_year else
              f"按{_head(f.deal_label)}平均{c.amt(f.avg_deal_size)}、{f.win_rate_label}{c.rate(f.win_rate)}倒推，"
              f"漏斗需要{funnel_chain(c)}。")]
    if re.search(r"续费|续约", " ".join(pb.vocabulary.use)) and f.baseline_revenue and f.repurchase_rate is not None:
        kept = f.baseline_revenue * f.repurchase_rate
        parts.append(f"其中约{c.amt(kept)}来自存量客户续费（上期×续费率{c.rate(f.repurchase_rate)}），"
                     f"新签与增购需约{c.amt(max(0.0, f.revenue_target - kept))}。")
    shape = quarter_shape(c)
    if shape:
        parts.append(f"目标按季节分配，{shape}。")
    parts.append(team_text(c) + "。")
    if f.pipeline_need and f.pipeline_need.share >= 0.05:
        n = f.pipeline_need
        parts.append(f"前{len(n.months)}个月的{c.amt(n.amount)}（占{c.rate(n.share)}）来不及由新开发的客户贡献，"
                     "必须来自期初已有的储备，方案把盘点储备列为第一批行动。")
    if f.warnings:
        parts.append(f"有{len(f.warnings)}项数字明显偏离行业常见范围，已列在文末问题清单的最前面，请先核实。")
    points = [f"销售额{c.amt(f.revenue_target)}，回款{c.amt(f.collection_target)}，预算{c.amt(f.budget_total)}"
              f"（费用率{c.rate(f.expense_ratio)}）",
              f"漏斗：{funnel_chain(c)}，管道覆盖{f.pipeline_coverage:g}倍",
              team_text(c)]
    if shape:
        points.append(shape)
    top_risks = [r.risk for r in ranked_risks(c)[:2]]
    points.append("首要风险：" + "；".join(top_risks))
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
        pest.insert(1, PestFactor(dimension="政策", factor=f"贵司备注：{fact}",
                                  impact="已作为约束写入本方案的风险、行动与考核"))
    comps, unknown, seen = [], [], {}
    dims = sec.competitor_dimensions
    for name in req.competitors:
        kind = c.competitor_type(name)
        if not kind:
            unknown.append(name)
            continue
        n = seen[kind.type] = seen.get(kind.type, -1) + 1
        # brands of one type share their traits; each row gets its own dimension to compare first
        comps.append(Competitor(name=name, strengths=f"{kind.strengths}（{kind.type}的普遍情况）",
                                weaknesses=kind.weaknesses, our_response=f"{kind.response}；先对比其{dims[n % len(dims)]}"))
    dims = "、".join(sec.competitor_dimensions[:3])
    for name in unknown:
        comps.append(Competitor(name=name, strengths="资料未提供", weaknesses="资料未提供",
                                our_response=f"先按{dims}收集对比资料，再定应对"))
    m = MarketAnalysis(market_overview=overview, pest=pest, five_forces=[ForceItem(**f.model_dump()) for f in
                                                                       sec.five_forces],
                       competitors=comps, positioning=c.fill(sec.positioning))
    if unknown:
        m.open_questions.append(f"{'、'.join(unknown)}在{c.region_label}的{'、'.join(sec.competitor_dimensions)}")
    if comps and len(comps) > len(unknown):
        m.assumptions.append("已知品牌的优劣势按其类型的行业普遍情况写出，需结合本区域实际核实")
    if not req.competitors:
        m.open_questions.append(f"主要竞争对手是谁（至少3家）？建议按{'、'.join(sec.competitor_dimensions)}对比")
    m.open_questions.append(f"{c.region_label}的市场规模、增速与我方份额（行业报告、统计数据或内部台账）")
    return m


def swot(c: PlanContext) -> Swot:
    f, req, sec = c.fig, c.req, c.pb.sections.swot
    s = Swot(opportunities=list(sec.opportunities), threats=list(sec.threats), strategies=list(sec.strategies))
    if req.baseline_revenue:
        s.strengths.append(f"上期实现{c.amt(req.baseline_revenue)}，已有可以深耕的客户和渠道基础")
    given = [t for t in f.team if not t.assumed and t.quota_bearing]
    if given:
        s.strengths.append("现有" + "、".join(f"{t.role}{t.count}人" for t in given) + "，可直接承接指标")
    s.strengths += [f"贵司备注：{n}" for n in c.note_facts if _GOOD.search(n) and n not in c.note_problems]
    s.strengths += [f"待核实：{q}" for q in sec.strength_checks[: max(0, 3 - len(s.strengths))]]
    s.weaknesses += [f"贵司备注：{n}" for n in c.note_problems]
    if any(r.new_hire for r in f.reps):
        rookies = sum(1 for r in f.reps if r.new_hire)
        s.weaknesses.append(f"{rookies}名新人（含计划招聘）处于爬坡期，期初产能不足")
    said = {"平均客单价": f"{_head(f.deal_label)}平均金额", "赢单率": f.win_rate_label, "销售周期": "开发周期",
            "阶段转化率": "各阶段转化率"}
    defaults = [said[a.field] for a in f.assumptions if a.field in said]
    if len(defaults) >= 3:
        s.weaknesses.append(f"{'、'.join(defaults)}还没有历史数据支撑，目标是否可行目前只能按行业常见水平判断")
    if f.pipeline_need and f.pipeline_need.share >= 0.15:
        s.weaknesses.append(f"前{len(f.pipeline_need.months)}个月业绩依赖期初储备，储备情况尚未盘点")
    s.weaknesses += [f"待核实：{q}" for q in sec.weakness_checks[: max(0, 3 - len(s.weaknesses))]]
    if req.competitors:
        kinds = {c.competitor_type(n).type for n in req.competitors if c.competitor_type(n)}
        s.threats.insert(0, f"{'、'.join(req.competitors)}在{c.region_label}同台竞争" +
                         (f"（{'、'.join(sorted(kinds))}）" if kinds else ""))
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
        rows.append(TargetItem(name="其中：存量续费（估算）", value=c.amt(kept), deadline=end,
                               measure=f"上期{c.amt(f.baseline_revenue)}×续费率{c.rate(f.repurchase_rate)}；"
                                       f"其余{c.amt(max(0.0, f.revenue_target - kept))}需新签和增购"))
    statement = (f"在{end}前，于{c.region_label}实现销售额{c.amt(f.revenue_target)}（{growth_text(c)}），"
                 f"回款{c.amt(f.collection_target)}（回款率{c.rate(f.collection_rate)}），"
                 f"{head}{counted(c, f.deals)}" + ("（含现有）" if pb.deal.per_year else "")
                 + (f"，其中新客户{f.new_customers}家" if f.new_customers else "") + "。")
    splits = "、".join(x.name for x in (f.regions or f.products)) or "、".join(dict.fromkeys(c.quota_roles))
    smart = [f"具体：销售额、回款和{head}数三项，覆盖{c.region_label}",
             f"可衡量：{pb.motion.revenue_basis}",
             f"可实现：{team_text(c)}",
             f"相关：按{splits}逐级分解到人" if splits else "相关：逐级分解到人",
             f"有时限：{f.period_label}，按季度和月度设里程碑"]
    t = SalesTargets(statement=statement, targets=rows, smart_check=smart)
    if f.new_customers is None:
        t.open_questions.append("新客户开发数量目标（非销售额目标）")
    extra = [x for x in pb.sections.targets_extra if x not in ("新签客户数", "新开发客户数") or f.new_customers is None]
    if extra:
        t.open_questions.append(f"{'、'.join(extra)}的当前水平（用于设定非销售额目标）")
    return t


def persona(c: PlanContext) -> CustomerPersona:
    words = " ".join([c.req.notes or "", c.req.product or "", c.req.industry or "", " ".join(c.req.channels)])
    ranked = sorted(c.pb.sections.personas, key=lambda p: -sum(1 for k in p.keywords if k in words))
    personas, used = [], set()
    for p in ranked:
        row = Persona(**p.model_dump(exclude={"keywords"}))
        related = [n for n in c.note_facts if any(k in n for k in p.keywords) and n not in used]
        if related:
            row.characteristics += f"（贵司备注：{related[0]}）"
            used.add(related[0])
        personas.append(row)
    cp = CustomerPersona(personas=personas, needs_analysis=c.fill(c.pb.sections.needs_analysis))
    if not c.req.notes:
        cp.open_questions.append("已成交客户中哪一类占比最高（用于确定客户画像的优先级）")
    return cp


def strategy(c: PlanContext) -> SalesStrategy:
    f, pb = c.fig, c.pb
    items = [StrategyItem(**i.model_dump()) for i in pb.sections.strategy]
    if f.products:
        items.insert(0, StrategyItem(dimension="产品组合", strategy="、".join(p.name for p in f.products) + "分线经营",
                                     measures="；".join(f"{p.name}目标{c.amt(p.amount)}（占{c.rate(p.share)}）"
                                                       for p in f.products)))
    keys = c.notes_about(["重点", "主要客户", "目标客户", "园区", "标杆"])
    if keys:
        items.insert(0, StrategyItem(dimension="重点客户与区域", strategy=keys[0],
                                     measures=f"逐一建立客户档案和推进计划，由{c.owner([pb.hiring.default_quota_role])}"
                                              f"负责、{c.manager}每月检查"))
    return SalesStrategy(items=items, sales_process=list(pb.sections.sales_process))
