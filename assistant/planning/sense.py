"""Implausibility warnings: numbers the user gave (or the engine derived) that lie far outside what the playbook
considers normal for the business. Each becomes a PlanWarning shown at the top of the plan and a 请确认 question;
nothing is changed silently.
"""

from __future__ import annotations

from ..quantities import UNIT_YUAN, format_amount, format_rate
from ..request import PlanRequest
from ..schema import PlanWarning
from .playbooks import Playbook


def wan_to_unit(value: float, unit: str) -> float:
    """A playbook amount (万元) in the plan's unit."""
    return value * 1e4 / UNIT_YUAN[unit]


def warnings_for(req: PlanRequest, pb: Playbook, *, months: int, reps: int, growth: float | None,
                 leftover_gap: float, all_in_pipeline: bool, season_problems: list[str],
                 own_per_rep: float | None = None) -> list[PlanWarning]:
    """`own_per_rep`: last period's yearly output per existing rep; a target in line with it is no surprise."""
    unit = req.currency_unit
    amt = lambda v: format_amount(v, unit)  # noqa: E731
    out: list[PlanWarning] = []
    band = pb.productivity.revenue_per_rep_year
    if reps and months:
        per_rep = req.revenue_target / reps * 12 / months
        if own_per_rep and per_rep <= 1.3 * own_per_rep:
            per_rep = None
        low, high = wan_to_unit(band.low, unit), wan_to_unit(band.high, unit)
        if per_rep is None:
            pass
        elif per_rep > 1.5 * high:
            out.append(PlanWarning(field="人均目标", message=(
                f"人均年化目标约{amt(per_rep)}，远高于{pb.name}常见的人均{amt(low)}–{amt(high)}："
                "请确认团队人数是否漏填（如渠道、代理商承担的部分），或目标是否过高")))
        elif per_rep < 0.4 * low:
            out.append(PlanWarning(field="人均目标", message=(
                f"人均年化目标约{amt(per_rep)}，远低于{pb.name}常见的人均{amt(low)}–{amt(high)}："
                "请确认团队人数或目标金额（单位是否写错）")))
    if req.win_rate is not None:
        w = pb.win_rate
        if req.win_rate > min(0.95, w.high * 1.8) or req.win_rate < w.low * 0.4:
            out.append(PlanWarning(field="赢单率", message=(
                f"赢单率{format_rate(req.win_rate)}与{pb.name}常见的{format_rate(w.low)}–{format_rate(w.high)}"
                f"（{pb.win_rate_label}）相差很大：请确认口径是否一致")))
    if growth is not None:
        g = pb.growth
        if growth > max(g.high + 0.3, 2 * g.high) or growth < g.low - 0.25:
            out.append(PlanWarning(field="增长率", message=(
                f"目标较上期变化{format_rate(growth)}，远超{pb.name}常见的{format_rate(g.low)}至{format_rate(g.high)}："
                "请确认上期基数与目标，或说明增长来自哪里（新产品、新区域、新渠道）")))
    if req.avg_deal_size and pb.deal.size:
        low, high = wan_to_unit(pb.deal.size.low, unit), wan_to_unit(pb.deal.size.high, unit)
        if req.avg_deal_size > 4 * high or req.avg_deal_size < low / 4:
            out.append(PlanWarning(field="客单价", message=(
                f"客单价{amt(req.avg_deal_size)}与{pb.name}常见的{amt(low)}–{amt(high)}（{pb.deal.label}）相差很大："
                "请确认金额单位和口径")))
    if req.sales_cycle_days:
        c = pb.cycle_days
        if req.sales_cycle_days > 3 * c.high or req.sales_cycle_days < c.low / 3:
            out.append(PlanWarning(field="销售周期", message=(
                f"销售周期{req.sales_cycle_days}天与{pb.name}常见的{c.low:g}–{c.high:g}天相差很大：请确认")))
    if leftover_gap > 0:
        out.append(PlanWarning(field="产能缺口", message=(
            f"按现有团队和每月招聘上限测算，期内仍有约{amt(leftover_gap)}的产能缺口：请确认目标，"
            "或说明由渠道、代理商或更高人效补足")))
    if all_in_pipeline:
        out.append(PlanWarning(field="存量商机", message=(
            "销售周期长于计划期，期内成交几乎全部依赖期初已有的商机：请先盘点在跟商机再确认目标")))
    for p in season_problems:
        out.append(PlanWarning(field="季节性", message=f"季节性描述有矛盾：{p}，已按比例换算，请确认"))
    return out
