"""Capacity and people: what a rep can sell per month, the quotas of the given team, the hires that close a gap,
and the part of the target that must already be in the pipeline at the start of the period.

A given team is never replaced: its quota-bearing people keep their roles and counts; a capacity gap becomes a
hiring plan that respects the playbook's lead time to hire, ramp-up and a cap of hires per month, and whatever that
plan still cannot close is reported as a gap, not hidden.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta

from ..request import TeamRole
from ..schema import HirePlan, PipelineNeed, RepQuota
from .splits import allocate


@dataclass
class Seat:
    """One quota-bearing person (existing, given new hire, or planned hire)."""

    name: str
    role: str
    new_hire: bool
    planned: bool
    start_idx: int
    ramp_months: int
    effective_months: float


def ramped_months(months_left: int, ramp_months: int) -> float:
    """Productive months of someone who works `months_left` months and ramps linearly over `ramp_months`."""
    if months_left <= 0:
        return 0.0
    if not ramp_months:
        return float(months_left)
    return sum(min(1.0, (k + 1) / (ramp_months + 1)) for k in range(months_left))


def team_seats(team: list[TeamRole], months: list[tuple[int, int]]) -> list[Seat]:
    seats = []
    for role in team:
        if not role.quota_bearing:
            continue
        for i in range(role.count):
            new = i >= role.count - role.new_hires
            name = role.names[i] if i < len(role.names) else f"{role.role}{i + 1}"
            start = 0
            if new and role.hire_month:
                start = next((k for k, (_, m) in enumerate(months) if m == role.hire_month), 0)
            eff = ramped_months(len(months) - start, role.ramp_months) if new else float(len(months))
            seats.append(Seat(name, role.role, new, False, start, role.ramp_months if new else 0, eff))
    return seats


def hiring_plan(role: str, gap: float, cap_per_month: float, months: list[tuple[int, int]], start: date,
                lead_days: int, ramp_months: int, max_per_month: int) -> tuple[list[HirePlan], list[Seat], float]:
    """The fewest hires that close `gap`, as early as the lead time allows, at most `max_per_month` a month.
    Returns (plan rows, seats, gap left over)."""
    arrival = start + timedelta(days=lead_days)
    if arrival.day > 15:  # arriving late in a month: count from the next one
        arrival = (arrival.replace(day=28) + timedelta(days=4)).replace(day=1)
    first = next((k for k, (y, m) in enumerate(months) if (y, m) >= (arrival.year, arrival.month)), None)
    rows: list[HirePlan] = []
    seats: list[Seat] = []
    left = gap
    if first is None or cap_per_month <= 0:
        return rows, seats, max(0.0, left)
    for k in range(first, len(months)):
        # a hire who cannot finish ramping inside the period is not a plan for this period
        if left <= 1e-9 or len(months) - k < ramp_months + 1:
            break
        eff = ramped_months(len(months) - k, ramp_months)
        each = cap_per_month * eff
        if each <= 0:
            break
        n = min(max_per_month, math.ceil(left / each - 1e-9))
        y, m = months[k]
        arrive = date(y, m, 1)
        rows.append(HirePlan(role=role, count=n, start_month=f"{y}年{m}月", ramp_months=ramp_months,
                             recruit_by=max(start, arrive - timedelta(days=lead_days)),
                             capacity=round(n * each, 2)))
        for j in range(n):
            seats.append(Seat(f"新招{role}（{y}年{m}月到岗）{j + 1}" if n > 1 else f"新招{role}（{y}年{m}月到岗）",
                              role, True, True, k, ramp_months, eff))
        left -= n * each
    return rows, seats, max(0.0, round(left, 2))


def quotas(target: float, seats: list[Seat], months: list[tuple[int, int]]) -> list[RepQuota]:
    """The target split over seats by their productive months (planned hires included); sums exactly."""
    parts = allocate(target, [s.effective_months for s in seats])
    return [RepQuota(name=s.name, role=s.role, new_hire=s.new_hire, planned=s.planned,
                     start_month=f"{months[s.start_idx][0]}年{months[s.start_idx][1]}月",
                     ramp_months=s.ramp_months, effective_months=round(s.effective_months, 2), quota=q)
            for s, q in zip(seats, parts, strict=False)]


def pipeline_need(month_rows, start: date, end: date, cycle_days: int, win_rate: float) -> PipelineNeed | None:
    """The target of the months that close before a newly found opportunity can (start + one sales cycle)."""
    first_close = start + timedelta(days=cycle_days)
    amount, names = 0.0, []
    for row in month_rows:
        y, m = int(row.label[:4]), int(row.label[5:-1])
        first = max(start, date(y, m, 1))
        last = min(end, date(y, m, calendar.monthrange(y, m)[1]))
        if first >= first_close:
            break
        covered = (min(last, first_close - timedelta(days=1)) - first).days + 1
        amount += row.amount * covered / ((last - first).days + 1)
        names.append(row.label)
    if not names:
        return None
    total = sum(r.amount for r in month_rows) or 1.0
    return PipelineNeed(months=names, amount=round(amount, 2), share=round(amount / total, 4),
                        pipeline_value=round(amount / win_rate, 2), first_new_close=first_close,
                        all_of_period=first_close > end)
