"""A plan's time budget: the user's per-plan deadline (PLAN_LLM_PLAN_TIMEOUT) split so that the body sections
leave time for the executive summary and the repair round, with expectations from the model's measured speed.

    clock = PlanClock(settings, profile)                # started when drafting starts
    limits = clock.limits("body", max_tokens=700)        # Limits for the next call, or raises OutOfTime
    clock.left()                                         # seconds left for the whole plan (None: no deadline)

Phases and how far into the budget each may run: body sections until the reserve for the summary and repair
begins, the summary until the repair's reserve, the repair until the deadline. The reserves are the measured time
of one call each (first token + budgeted output at the measured tokens/s), never less than a share of the budget.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

from ..config import Settings
from .endpoint import CallFailed, Limits, Profile

Phase = Literal["body", "summary", "repair"]
SUMMARY_SHARE, REPAIR_SHARE = 0.1, 0.15  # of the plan budget, when the model's speed is not yet known
MIN_CALL_S = 20.0  # a call is not started with less than this (at most 5 % of the budget) or its expected time


class OutOfTime(CallFailed):
    """The plan's deadline leaves no time for this call (its section falls back, the reason says so)."""


@dataclass
class PlanClock:
    settings: Settings
    profile: Profile
    started: float = 0.0
    unavailable: str | None = None  # why the endpoint was found not to answer (the rest of the plan skips it)
    calls_s: list[float] = field(default_factory=list)  # how long this plan's calls took

    def __post_init__(self) -> None:
        self.started = self.started or time.monotonic()
        budget = self.settings.llm_plan_timeout
        self.deadline = self.started + budget if budget > 0 else None

    def observe(self, seconds: float) -> None:
        """A call of this plan finished after `seconds`."""
        if seconds > 0:
            self.calls_s.append(seconds)

    def expected_call_s(self, max_tokens: int) -> float | None:
        """One call at this server's pace: first token plus the output budget at its measured tokens/s, or (not
        yet measured) the average call of this plan so far."""
        p = self.profile
        if p.out_tps is not None and p.first_token_s is not None:
            return p.first_token_s + max_tokens / max(p.out_tps, 0.1)
        return sum(self.calls_s) / len(self.calls_s) if self.calls_s else None

    def _reserve(self, phase: Phase, max_tokens: int) -> float:
        if self.deadline is None:
            return 0.0
        budget = self.settings.llm_plan_timeout
        one = self.expected_call_s(max_tokens) or 0.0
        repair = max(REPAIR_SHARE * budget, one * 2) if self.settings.repair_rounds > 0 else 0.0
        summary = max(SUMMARY_SHARE * budget, one)
        return {"body": repair + summary, "summary": repair, "repair": 0.0}[phase]

    def left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def limits(self, phase: Phase, *, max_tokens: int) -> Limits:
        """The next call's limits: its own timeout, cut to where this phase must stop; OutOfTime if that is
        less than MIN_CALL_S away."""
        # a server that has needed long for first tokens before (a cold prompt on a busy CPU) gets that patience
        first = max(self.settings.llm_first_token_timeout, 3 * (self.profile.first_token_max_s or 0))
        if self.deadline is None:
            return Limits.of(self.settings, first_token=first)
        stop = self.deadline - self._reserve(phase, max_tokens)
        needed = max(min(MIN_CALL_S, 0.05 * self.settings.llm_plan_timeout), self.expected_call_s(max_tokens) or 0)
        if stop - time.monotonic() < needed:
            spent = time.monotonic() - self.started
            raise OutOfTime(f"已用{spent:.0f}秒，方案总时限{self.settings.llm_plan_timeout:g}秒剩余的时间要留给" +
                            {"body": "执行摘要和修复", "summary": "修复", "repair": "收尾"}[phase] + "，本节未调用模型")
        return Limits.of(self.settings, deadline=stop, first_token=first)
