"""What every offline section needs to write for *this* business: the request, the figures, the playbook, the team
as it really is (owners resolved to its roles), the request's notes split into facts, and the action calendar.

Owners: a playbook names owners by role key (manager, rep, tender_specialist …); `owner()` maps a key to a role the
team actually has (longest alias wins), else to the team's manager, so a plan never assigns work to a role it lacks.
Timing: playbook actions are dated against the plan's calendar (period start/end, the peak month, the Spring
Festival, the last day an opportunity can still close) and after their prerequisites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from string import Template

from ..planning.playbooks import Playbook, get_playbook
from ..planning.seasonality import spring_festival
from ..quantities import format_amount, format_rate
from ..request import PlanRequest
from ..schema import Figures

PLAN_OWNER = "销售负责人"  # the person the plan belongs to, when the team has no manager role
_MANAGERISH = re.compile(r"经理|主管|总监|负责人|店长|合伙人")
_PROBLEM = re.compile(r"问题|窜货|低|少|没有|只有|只进|不足|下降|流失|老问题|难|慢|压力|占比超过|逾期|投诉|亏")


@dataclass
class PlanContext:
    req: PlanRequest
    fig: Figures
    pb: Playbook = field(init=False)

    def __post_init__(self) -> None:
        self.pb = get_playbook(self.fig.playbook_id)

    # -- words
    def amt(self, value: float) -> str:
        return format_amount(value, self.fig.unit)

    @staticmethod
    def rate(value: float) -> str:
        return format_rate(value)

    @cached_property
    def region_label(self) -> str:
        """The region as prose uses it: 「全国（华北、华东、华南三大区）」 -> 全国."""
        return re.sub(r"[（(].*?[)）]\s*$", "", self.req.region).strip() or self.req.region

    @property
    def offer(self) -> str:
        return self.req.product or self.req.industry or self.pb.name

    def fill(self, text: str) -> str:
        """The playbook's `$offer` / `$region` / `$company` slots."""
        return Template(text).safe_substitute(offer=self.offer, region=self.region_label, company=self.req.company)

    @cached_property
    def note_facts(self) -> list[str]:
        """The notes, one fact per clause."""
        return [s.strip() for s in re.split(r"[。；;\n]", self.req.notes or "") if s.strip()]

    @property
    def note_problems(self) -> list[str]:
        return [n for n in self.note_facts if _PROBLEM.search(n)]

    def notes_about(self, words: list[str]) -> list[str]:
        return [n for n in self.note_facts if any(w in n for w in words)]

    # -- the team and owners
    @cached_property
    def role_keys(self) -> dict[str, str]:
        """Team role name -> playbook role key (longest alias contained in the name)."""
        out = {}
        for line in self.fig.team:
            best, best_len = None, 0
            for r in self.pb.roles:
                for alias in [r.name, *r.aliases]:
                    if alias in line.role and len(alias) > best_len:
                        best, best_len = r.key, len(alias)
            if best:
                out[line.role] = best
        return out

    @cached_property
    def manager(self) -> str:
        want = self.pb.hiring.manager_role
        for line in self.fig.team:
            if self.role_keys.get(line.role) == want:
                return line.role
        quota_keys = {r.key for r in self.pb.roles if r.quota_bearing}
        for line in sorted(self.fig.team, key=lambda t: t.quota_bearing):
            # 「医院客户经理」 is a rep, not a manager: managerish words count only outside the rep roles
            if _MANAGERISH.search(line.role) and self.role_keys.get(line.role) not in quota_keys:
                return line.role
        return PLAN_OWNER

    @property
    def needs_plan_owner(self) -> bool:
        return self.manager == PLAN_OWNER

    def owner(self, keys: list[str]) -> str:
        for key in keys:
            if key == self.pb.hiring.manager_role:
                return self.manager
            for line in self.fig.team:
                if self.role_keys.get(line.role) == key and line.count:
                    return line.role
        return self.manager

    def role_spec(self, team_role: str):  # noqa: ANN201 - playbook Role or None
        key = self.role_keys.get(team_role)
        return next((r for r in self.pb.roles if r.key == key), None)

    @property
    def quota_roles(self) -> list[str]:
        return [t.role for t in self.fig.team if t.quota_bearing]

    # -- calendar
    @cached_property
    def peak_month(self) -> tuple[int, int] | None:
        """(year, month) of the heaviest month when months differ noticeably, else None."""
        rows = self.fig.months
        if len(rows) < 3:
            return None
        amounts = [r.amount for r in rows]
        mean = sum(amounts) / len(amounts)
        top = max(rows, key=lambda r: r.amount)
        if top.amount < 1.08 * mean:
            return None
        return int(top.label[:4]), int(top.label[5:-1])

    def before_peak(self, days: int) -> date | None:
        """`days` before the start of the heaviest stretch (three months) that still leaves that much lead time."""
        rows = self.fig.months
        if len(rows) < 4 or not self.peak_month:
            return None
        windows = sorted(range(len(rows) - 2), key=lambda i: -sum(r.amount for r in rows[i:i + 3]))
        for i in windows:
            y, m = int(rows[i].label[:4]), int(rows[i].label[5:-1])
            d = date(y, m, 1) - timedelta(days=days)
            if d >= self.fig.period_start:
                return d
        return None

    def festival_in_period(self) -> date | None:
        for y in range(self.fig.period_start.year, self.fig.period_end.year + 2):
            sf = spring_festival(y)
            if self.fig.period_start <= sf <= self.fig.period_end + timedelta(days=45):
                return sf
        return None

    def clamp(self, d: date) -> date:
        return min(max(d, self.fig.period_start), self.fig.period_end)

    def schedule(self, actions) -> list[tuple[object, date, bool]]:  # noqa: ANN001
        """(action, date, for_next_period) for the playbook actions that fall inside the period, in date order."""
        fig = self.fig
        dates: dict[str, date] = {}
        out = []
        for a in actions:
            d = self._when(a.when, dates)
            if d is None:
                continue
            for pre in a.after:
                if pre in dates:
                    d = max(d, dates[pre] + timedelta(days=7))
            if d > fig.period_end:
                continue
            d = self.clamp(d)
            dates[a.id] = d
            late = a.kind == "pipeline" and d > fig.last_opportunity_date and a.when.anchor != "before_last_opportunity"
            out.append((a, d, late))
        return sorted(out, key=lambda x: x[1])

    def _when(self, w, dates: dict[str, date]) -> date | None:  # noqa: ANN001
        fig = self.fig
        if w.anchor == "start":
            return fig.period_start + timedelta(days=w.days)
        if w.anchor == "end":
            return fig.period_end - timedelta(days=w.days)
        if w.anchor == "month":
            for y in range(fig.period_start.year, fig.period_end.year + 1):
                try:
                    d = date(y, w.month, max(1, w.days))
                except ValueError:
                    d = date(y, w.month, 28)
                if fig.period_start <= d <= fig.period_end:
                    return d
            return None
        if w.anchor == "before_peak":
            return self.before_peak(w.days)
        if w.anchor == "before_last_opportunity":
            d = fig.last_opportunity_date - timedelta(days=w.days)
            return d if d > fig.period_start + timedelta(days=14) else None
        if w.anchor == "before_spring_festival":
            sf = self.festival_in_period()
            if not sf:
                return None
            d = sf - timedelta(days=w.days)
            # the festival falls in the plan: its preparation starts on day one at the latest
            return max(d, fig.period_start) if d <= fig.period_end else None
        if w.anchor == "after":
            return dates[w.ref] + timedelta(days=w.days) if w.ref in dates else None
        return None

    # -- competitors
    def competitor_type(self, name: str):  # noqa: ANN201 - CompetitorType or None
        for t in self.pb.sections.competitor_types:
            if any(n and (n in name or name in n) for n in t.names):
                return t
        return None
