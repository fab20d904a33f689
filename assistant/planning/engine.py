"""The numbers engine: PlanRequest -> Figures. Pure functions, no I/O beyond the cached playbooks.

Every figure the plan quotes is computed here once; drafting and rendering only quote it, the validator checks it.
Defaults come from the industry playbook the request is matched to (knowledge/playbooks): the midpoint of the
playbook's range, recorded as an Assumption with the range and its source and listed as 待确认. What the user said
is never replaced: a given team keeps its people, stated seasonality is met exactly, listed sub-regions and
products get their own lines.
"""

from __future__ import annotations

import calendar
import math
import re
from datetime import date, timedelta

from ..quantities import format_amount, format_rate, months_between
from ..request import PlanRequest, TeamRole
from ..schema import Assumption, BudgetLine, Figures, FunnelStage, PeriodAmount, SplitLine, TeamLine, WeeklyActivity
from .choice import choose_playbook
from .playbooks import Playbook
from .seasonality import festival_curve, parse_seasonality, season_weights, spring_festival
from .sense import wan_to_unit, warnings_for
from .splits import allocate, channel_split, product_lines, resolve_shares, sub_regions
from .staffing import hiring_plan, pipeline_need, quotas, team_seats

__all__ = ["allocate", "compute_figures", "funnel"]

DEAL_WORDS = re.compile(r"成交|签约|中标|交车|报名|下单|首单|打款|赢单")
LEAD_WORDS = re.compile(r"线索|潜在客户|意向")


def _month_fraction(y: int, m: int, start: date, end: date) -> float:
    days = calendar.monthrange(y, m)[1]
    first = max(start, date(y, m, 1))
    last = min(end, date(y, m, days))
    return ((last - first).days + 1) / days


def _curve(pb: Playbook, req: PlanRequest):
    """The playbook's seasonality curve for this product (a variant chosen by product words), festival-aware."""
    words = " ".join(filter(None, [req.product, req.industry, req.notes]))
    chosen = next((v for v in pb.seasonality.variants if any(k in words for k in v.keywords)), pb.seasonality.default)
    return chosen, (lambda y, m: festival_curve(chosen.weights, y, m))


NEW_MARKET = re.compile(r"没有(本地|当地|现成|存量)?(的)?客户|第一次进入|首次进入|新进入|从零开始|零基础|空白市场")


def breakdown(req: PlanRequest, pb: Playbook, notes: list[Assumption], questions: list[str],
              first_close: date | None = None):
    """Target -> months -> quarters, exact to the cent; (quarters, months, basis text, per-month reasons, problems).
    `first_close`: in a new market without customers nothing can close before it, so those days get no target."""
    start, end = req.period.start, req.period.end
    months = months_between(start, end)
    fractions = [_month_fraction(y, m, start, end) for y, m in months]
    if first_close and first_close <= end:
        for i, (y, m) in enumerate(months):
            days = calendar.monthrange(y, m)[1]
            first, last = max(start, date(y, m, 1)), min(end, date(y, m, days))
            open_days = max(0, (last - max(first, first_close)).days + 1)
            fractions[i] = open_days / days
    chosen, curve = _curve(pb, req)
    reasons = [f"{m}月：{chosen.reasons[m]}" for m in sorted({m for _, m in months}) if m in chosen.reasons]
    problems: list[str] = []
    if isinstance(req.seasonality, list):
        weights = [req.seasonality[m - 1] * f for (_, m), f in zip(months, fractions, strict=False)]
        basis = "按用户提供的12个月季节权重分配：" + "、".join(f"{i + 1}月{w:g}" for i, w in enumerate(req.seasonality))
        reasons = []
    elif isinstance(req.seasonality, str) and req.seasonality.strip():
        said = parse_seasonality(req.seasonality, start.year)
        weights = season_weights(months, fractions, curve, said)
        problems = said.problems
        told = "；".join(s.describe() for s in said.statements) or ("各月相同" if said.flat else "")
        rest = "其余月份平均分配" if said.rest == "equal" else f"其余按「{chosen.label}」季节曲线分配"
        basis = f"按用户描述「{req.seasonality.strip()}」分配：{told}" + ("" if said.flat else f"；{rest}")
        if said.unread:
            questions.append(f"季节性描述中「{'、'.join(said.unread)}」没能换算成月度比例，请用“X-Y月约占全年N%”的方式补充")
        if not said.statements and not said.flat:
            notes.append(Assumption(field="季节性权重", value=f"「{chosen.label}」曲线",
                                    source=f"行业手册「{pb.name}」，用户描述未能换算"))
    else:
        weights = season_weights(months, fractions, curve, None)
        basis = (f"未提供季节性数据，按行业手册「{pb.name}」的「{chosen.label}」季节曲线分配"
                 "（请用去年各月销售占比校准）")
        notes.append(Assumption(field="季节性权重", value=f"「{chosen.label}」曲线", source=f"行业手册「{pb.name}」"))
        questions.append("去年各月销售额占比（用于替换行业季节曲线）")
    amounts = allocate(req.revenue_target, weights)
    total = req.revenue_target or 1.0
    wsum = sum(weights) or 1.0
    month_rows = [
        PeriodAmount(label=f"{y}年{m}月", amount=a, share=round(a / total, 4),
                     weight=round(w / wsum * len(weights), 3), quarter=f"{y}年Q{(m - 1) // 3 + 1}")
        for (y, m), a, w in zip(months, amounts, weights, strict=False)
    ]
    quarter_cents: dict[str, int] = {}
    for row in month_rows:
        quarter_cents[row.quarter] = quarter_cents.get(row.quarter, 0) + round(row.amount * 100)
    quarter_rows = [PeriodAmount(label=q, amount=c / 100, share=round(c / 100 / total, 4))
                    for q, c in quarter_cents.items()]
    return quarter_rows, month_rows, basis, reasons, problems


def _labelled(name: str, role: str) -> str:
    """Industry stage names keep the funnel role readable: 挂网招标（商机）."""
    if role == "lead" and not LEAD_WORDS.search(name):
        return f"{name}（线索）"
    if role == "opp" and "商机" not in name:
        return f"{name}（商机）"
    if role == "deal" and not re.search(r"成交|签约", name):
        return f"{name}（成交）"
    return name


def funnel(deals: int, win_rate: float, stages: list[tuple[str, float]], opp_name: str = "商机",
           deal_name: str = "成交") -> list[FunnelStage]:
    """Work backwards from deals: opportunities = deals / win rate, earlier stages by their conversion rates.
    `stages` are (name of the stage, its conversion to the next one), from the top down to the opportunity stage."""
    opportunities = math.ceil(deals / win_rate - 1e-9)
    rows = [FunnelStage(name=deal_name, count=deals),
            FunnelStage(name=opp_name, count=opportunities, conversion_to_next=win_rate)]
    count = opportunities
    for name, rate in reversed(stages):
        count = math.ceil(count / rate - 1e-9)
        rows.append(FunnelStage(name=name, count=count, conversion_to_next=rate))
    return list(reversed(rows))


def _user_stages(req: PlanRequest) -> tuple[list[tuple[str, float]], str | None, float | None]:
    """The user's stage conversions in chain order: ([(stage, rate to next)], opportunity stage, win rate if the
    last given step already ends in a deal)."""
    pairs = []
    for s in req.stage_conversion:
        sep = next((p for p in ("→", "->", "—>", "至", "到", "-") if p in s.name.strip("到至")), None)
        a, _, b = s.name.partition(sep) if sep else (s.name, "", "")
        pairs.append((a.strip() or s.name, b.strip(), s.rate))
    targets = {b for _, b, _ in pairs if b}
    ordered, start = [], next((p for p in pairs if p[0] not in targets), None)
    while start and start not in ordered:
        ordered.append(start)
        start = next((p for p in pairs if p[0] == start[1] and p not in ordered), None)
    if len(ordered) != len(pairs):  # not one chain: keep the order given
        ordered = pairs
    win = None
    if ordered and ordered[-1][1] and DEAL_WORDS.search(ordered[-1][1]):
        win = ordered[-1][2]
        ordered = ordered[:-1] or ordered
    opp = ordered[-1][1] if ordered and ordered[-1][1] else None
    return [(a, r) for a, _, r in ordered], opp, win


def compute_figures(req: PlanRequest) -> Figures:
    notes: list[Assumption] = []
    questions: list[str] = []
    choice = choose_playbook(req)
    pb = choice.playbook
    unit = req.currency_unit
    amt = lambda v: format_amount(v, unit)  # noqa: E731
    rng = lambda r: f"{amt(wan_to_unit(r.low, unit))}–{amt(wan_to_unit(r.high, unit))}"  # noqa: E731
    src = f"行业手册「{pb.name}」常见区间取中值（估算）"
    if choice.question:
        questions.append(choice.question)
    target = req.revenue_target
    start, end = req.period.start, req.period.end
    months = months_between(start, end)
    weeks = round(((end - start).days + 1) / 7, 1)

    cycle = req.sales_cycle_days or round(pb.cycle_days.mid)
    new_market = bool(req.notes and NEW_MARKET.search(req.notes))
    first_close = start + timedelta(days=cycle) if new_market else None
    quarters, month_rows, basis, season_reasons, season_problems = breakdown(req, pb, notes, questions, first_close)
    if new_market and first_close <= end:
        basis += (f"；新市场没有存量客户，首批客户最早约{first_close:%Y年%m月%d日}成交（一个销售周期{cycle}天），"
                  "此前各月不分配目标")

    # deal size and win rate, in the industry's words
    if req.avg_deal_size:
        deal_size = req.avg_deal_size
    elif req.new_customers:
        deal_size = target / req.new_customers
        notes.append(Assumption(field="平均客单价", value=amt(deal_size), source="销售额目标÷新客户数目标"))
        questions.append(f"平均客单价（{pb.deal.label}，历史成交金额÷成交数）")
    elif pb.deal.size:
        per = len(months) / 12 if pb.deal.per_year else 1.0
        deal_size = wan_to_unit(pb.deal.size.mid, unit) * per
        shown = f"{amt(deal_size)}（{pb.deal.label}，常见{rng(pb.deal.size)}" + (
            f"，按{len(months)}个月折算）" if pb.deal.per_year and per != 1 else "）")
        notes.append(Assumption(field="平均客单价", value=shown, source=src))
        questions.append(f"平均客单价（{pb.deal.label}）：暂按{amt(deal_size)}，请用历史成交数据确认")
    else:
        per_month = pb.productivity.per_rep_month.mid
        deal_size = wan_to_unit(pb.productivity.revenue_per_rep_year.mid, unit) / 12 / per_month
        notes.append(Assumption(field="平均客单价", value=amt(deal_size),
                                source=f"行业未识别：按人均月产出÷每人每月{per_month:g}单估算，可信度低"))
        questions.append("平均客单价（历史成交金额÷成交单数）：行业未识别时无法给出可信区间，请务必提供")
    deal_size = min(deal_size, target)
    win_rate = req.win_rate or pb.win_rate.mid
    if not req.win_rate:
        notes.append(Assumption(field="赢单率", value=f"{format_rate(win_rate)}（{pb.win_rate_label}，常见"
                                f"{format_rate(pb.win_rate.low)}–{format_rate(pb.win_rate.high)}）", source=src))
        questions.append(f"历史赢单率（{pb.win_rate_label}）")

    # funnel stages: the user's, in chain order, else the playbook's
    book_stages = pb.funnel.stages
    deal_name = book_stages[-1].name
    if req.stage_conversion:
        stages, opp_name, win_from_stages = _user_stages(req)
        if win_from_stages and not req.win_rate:
            win_rate = win_from_stages
            notes = [a for a in notes if a.field != "赢单率"]
        opp_name = opp_name or book_stages[-2].name
    else:
        stages = [(s.name, s.to_next.mid) for s in book_stages[:-2]]
        opp_name = book_stages[-2].name
        notes.append(Assumption(field="阶段转化率", value="；".join(
            f"{s.name}→下一阶段 {format_rate(s.to_next.mid)}（常见{format_rate(s.to_next.low)}–"
            f"{format_rate(s.to_next.high)}）" for s in book_stages[:-2]), source=src))
        questions.append("各阶段转化率（" + "→".join(s.name for s in book_stages[:-1]) + "）")
    deals = math.ceil(target / deal_size - 1e-9)
    named = [(_labelled(n, "lead") if i == 0 else n, r) for i, (n, r) in enumerate(stages)]
    stage_rows = funnel(deals, win_rate, named, _labelled(opp_name, "opp"), _labelled(deal_name, "deal"))
    opportunities = stage_rows[-2].count

    # capacity per rep-month: last period's output per rep, else the playbook's productivity
    team = list(req.team)
    existing = sum(r.count - r.new_hires for r in team if r.quota_bearing)
    prod = pb.productivity
    if req.productivity:  # what the user said one rep closes: capacity, never headcount
        p = req.productivity
        cap = p.per_month * deal_size
        notes.append(Assumption(field="人均月产能", value=amt(cap),
                                source=f"您提供：每人每{p.per}{p.value:g}{p.unit}×平均客单价"))
    elif req.baseline_revenue and existing:
        cap = req.baseline_revenue / existing / len(months)
        notes.append(Assumption(field="人均月产能", value=amt(cap), source="上期销售额÷现有销售人数÷月数"))
    elif prod.basis == "deals":
        cap = prod.per_rep_month.mid * deal_size
        notes.append(Assumption(field="人均月产能", value=amt(cap), source=(
            f"每人每月{prod.per_rep_month.mid:g}（{prod.measure}，常见{prod.per_rep_month.low:g}–"
            f"{prod.per_rep_month.high:g}{prod.unit}）×客单价（估算）")))
    else:
        cap = wan_to_unit(prod.revenue_per_rep_year.mid, unit) / 12
        notes.append(Assumption(field="人均月产能", value=amt(cap), source=(
            f"行业手册「{pb.name}」人均年产出常见{rng(prod.revenue_per_rep_year)}取中值÷12（估算）")))
    manager = next(r for r in pb.roles if r.key == pb.hiring.manager_role)
    quota_role = next(r for r in pb.roles if r.key == pb.hiring.default_quota_role)
    if not team or req.headcount == 0:
        needed = max(1, math.ceil(target / (cap * len(months)) - 1e-9))
        team = [TeamRole(role=quota_role.name, count=needed)]
        if needed >= pb.hiring.span_of_control.low:
            team.append(TeamRole(role=manager.name, count=1, quota_bearing=False))
        notes.append(Assumption(field="销售人数", value=f"{needed}名{quota_role.name}",
                                source="按产能测算反推（目标÷人均月产能÷月数），非现有团队"))
        questions.append("现有销售团队人数、岗位与新人到岗计划")
    seats = team_seats(team, months)
    team_capacity = round(cap * sum(s.effective_months for s in seats), 2)
    gap = round(target - team_capacity, 2)
    hiring, planned, leftover = [], [], 0.0
    if gap > 0 and req.team:
        hire_role = _hire_role(req.team, quota_role)
        lead_days = round(quota_role.hire_lead_days.mid)
        ramp = round(quota_role.ramp_months.mid)
        hiring, planned, leftover = hiring_plan(hire_role, gap, cap, months, start, lead_days, ramp,
                                                pb.hiring.max_per_month)
        notes.append(Assumption(field="招聘节奏", value=(
            f"招聘到岗约{lead_days}天、爬坡{ramp}个月、每月最多{pb.hiring.max_per_month}人"), source=src))
    reps = quotas(target, seats + planned, months)
    headcount = len(seats)
    extra = sum(h.count for h in hiring)

    # sales cycle, lead time and what must already be in the pipeline
    if not req.sales_cycle_days:
        notes.append(Assumption(field="销售周期", value=f"{cycle}天（常见{pb.cycle_days.low:g}–{pb.cycle_days.high:g}天）",
                                source=src))
        questions.append(f"平均销售周期（{pb.name}常见{pb.cycle_days.low:g}–{pb.cycle_days.high:g}天，从首次接触到成交）")
    # the cycle runs from the top of the funnel to the deal: new leads after this date close next period
    top_name = _plain(stage_rows[0].name)
    last_opp = end - timedelta(days=cycle)
    if last_opp < start:
        last_opp = start
        lead_note = (f"销售周期{cycle}天长于或接近计划周期，期内成交主要依赖期初已在跟进的客户和项目，"
                     "需在期初盘点")
    else:
        lead_note = (f"按{cycle}天销售周期（从{top_name}到{_plain(stage_rows[-1].name)}），新的{top_name}"
                     f"最晚须在{last_opp:%Y年%m月%d日}前获得才能在期内成交")
    need = None if new_market else pipeline_need(month_rows, start, end, cycle, win_rate)
    if need:
        span = need.months[0] if len(need.months) == 1 else f"{need.months[0]}至{need.months[-1]}"
        if pb.deal.per_year:
            questions.append(f"现有{_customers(pb)}在{span}预计的进货/采购额是多少？这段时间的{amt(need.amount)}"
                             "主要靠它们完成，新开发的客户来不及贡献")
        else:
            stages_said = "、".join(_plain(s.name) for s in stage_rows[:-1])
            questions.append(f"期初已在跟进的客户和项目有多少（{stages_said}各阶段的金额与预计成交月份）？"
                             f"{span}的{amt(need.amount)}要靠它们完成")

    # weekly activity per rep, named by the funnel stages, with the playbook's benchmark beside
    def per(n: float) -> float:
        v = n / max(1, headcount) / weeks
        return round(v, 2) if v < 0.1 else round(v, 1)

    top = stage_rows[0]
    activities = [
        WeeklyActivity(activity=f"新增{_plain(top.name)}", per_rep_per_week=per(top.count),
                       team_per_week=round(top.count / weeks, 1)),
        WeeklyActivity(activity=f"新增{_plain(opp_name)}", per_rep_per_week=per(opportunities),
                       team_per_week=round(opportunities / weeks, 1)),
        WeeklyActivity(activity=f"{_plain(deal_name)}", per_rep_per_week=per(deals), team_per_week=round(deals / weeks, 1)),
    ]
    for a in prod.activities[:2]:
        activities.append(WeeklyActivity(activity=f"{a.name}（行业参考{a.per_rep_week.low:g}–{a.per_rep_week.high:g}次）",
                                         per_rep_per_week=round(a.per_rep_week.mid, 1),
                                         team_per_week=round(a.per_rep_week.mid * max(1, headcount), 1)))

    # collection, growth, budget
    if req.collection_target is not None:
        collection = req.collection_target
    else:
        collection = round(target * pb.collection_rate.mid, 2)
        notes.append(Assumption(field="回款目标", value=f"{amt(collection)}（回款率{format_rate(pb.collection_rate.mid)}）",
                                source=f"{src}：{pb.collection_note}"))
        questions.append("回款目标（或目标回款率）")
    growth = round(target / req.baseline_revenue - 1, 4) if req.baseline_revenue else None
    if not req.baseline_revenue:
        questions.append("上期/去年同期销售额（用于计算增长率和人均产能）")
    if req.budget_total is not None:
        budget_total = req.budget_total
    else:
        budget_total = round(target * pb.budget.expense_ratio.mid, 2)
        notes.append(Assumption(field="预算总额", value=amt(budget_total), source=(
            f"按{pb.name}常见费用率{format_rate(pb.budget.expense_ratio.low)}–{format_rate(pb.budget.expense_ratio.high)}"
            f"取中值{format_rate(pb.budget.expense_ratio.mid)}（估算）")))
        questions.append("销售费用预算总额")
    split = [(s.item, s.share) for s in req.budget_split] or [(b.item, b.share) for b in pb.budget.lines]
    if not req.budget_split:
        notes.append(Assumption(field="预算分配", value="；".join(f"{i} {format_rate(s)}" for i, s in split),
                                source=f"行业手册「{pb.name}」的预算科目（估算）"))
    budget_amounts = allocate(budget_total, [s for _, s in split])
    budget_lines = [BudgetLine(item=i, share=s, amount=a) for (i, s), a in zip(split, budget_amounts, strict=False)]

    # sub-regions, products, channels
    regions, products, split_questions = _lines(req, target)
    questions += split_questions
    channels, ch_notes, ch_questions = channel_split(req.channels, pb.channels, target, stage_rows[0].count,
                                                     [r.role for r in team])
    questions += ch_questions
    for n in ch_notes:
        notes.append(Assumption(field="渠道", value=n, source=f"行业手册「{pb.name}」"))

    warnings = warnings_for(req, pb, months=len(months), reps=sum(1 for s in seats if not s.planned),
                            growth=growth, leftover_gap=leftover, all_in_pipeline=bool(need and need.all_of_period),
                            season_problems=season_problems,
                            own_per_rep=(req.baseline_revenue / existing * 12 / len(months)
                                         if req.baseline_revenue and existing else None))
    questions = [f"【数字需确认】{w.message}" for w in warnings] + questions
    sf = spring_festival(start.year if start.month <= 6 else start.year + 1)
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
        budget_lines=budget_lines, expense_ratio=round(budget_total / target, 4),
        assumptions=[Assumption(field="行业手册", value=pb.name, source=choice.reason), *notes],
        open_questions=list(dict.fromkeys(questions)),
        playbook_id=pb.id, playbook_name=pb.name, playbook_reason=choice.reason, playbook_confident=choice.confident,
        deal_unit=pb.deal.unit, deal_label=pb.deal.label, win_rate_label=pb.win_rate_label,
        seasonality_notes=season_reasons, spring_festival=sf, warnings=warnings, regions=regions, products=products,
        channels=channels, hiring=hiring, pipeline_need=need, capacity_gap_after_hiring=leftover,
        team=[TeamLine(role=r.role, count=r.count, quota_bearing=r.quota_bearing, assumed=not req.team) for r in team],
    )


def _customers(pb: Playbook) -> str:
    return re.sub(r"（.*?）", "", pb.deal.label).replace("新开发", "").replace("新进院", "").replace("新", "") or "客户"


def _plain(name: str) -> str:
    return re.sub(r"（(线索|商机|成交)）$", "", name)


def _hire_role(team: list[TeamRole], quota_role) -> str:  # noqa: ANN001 - playbook Role
    """Hire into the team's own quota-bearing role: the one the playbook's default role matches, else the largest."""
    bearing = [r for r in team if r.quota_bearing and r.count]
    for r in bearing:
        if any(a in r.role for a in quota_role.aliases):
            return r.role
    return max(bearing, key=lambda r: r.count).role if bearing else quota_role.name


def _lines(req: PlanRequest, target: float) -> tuple[list[SplitLine], list[SplitLine], list[str]]:
    questions = []
    out = []
    for label, parts in (("区域", sub_regions(req.region)[1]), ("产品", product_lines(req.product))):
        if not parts:
            out.append([])
            continue
        resolve_shares(parts, req.notes)
        amounts = allocate(target, [p.share for p in parts])
        out.append([SplitLine(name=p.name, share=round(p.share, 4), amount=a,
                              basis="用户给出" if p.stated else "未给出占比，暂按平均分配")
                    for p, a in zip(parts, amounts, strict=False)])
        if not all(p.stated for p in parts):
            questions.append(f"各{label}（{'、'.join(p.name for p in parts)}）的目标占比（可用去年销售占比）")
    return out[0], out[1], questions
