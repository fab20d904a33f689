"""The pipeline, top to bottom: request -> numbers -> draft -> validate (+ repair) -> plan.

Every entry point (CLI, UI, batch, revision's redrafts, evals) calls `draft_plan` with the drafter it chose once
(`drafting.make_drafter`); rendering is the caller's choice of format. Heavy libraries (LangChain, Chroma) are
imported only by the model drafter.
"""

from __future__ import annotations

import time

from .config import Settings, get_settings
from .drafting.drafter import Drafter, make_drafter
from .planning.engine import compute_figures
from .request import PlanRequest
from .schema import Progress, SalesPlan


def draft_plan(
    request: PlanRequest,
    *,
    settings: Settings | None = None,
    drafter: Drafter | None = None,
    repair: bool = True,
    score: bool = True,
    progress: Progress | None = None,
) -> SalesPlan:
    """Draft a complete plan with `drafter` (default: the one the settings choose), then validate it and repair
    failing sections. Without repair the score is recorded once (`score=False`: not even that)."""
    settings = settings or get_settings()
    drafter = drafter or make_drafter(settings)
    started = time.perf_counter()
    # 1. numbers: computed once, quoted everywhere
    figures = compute_figures(request)
    # 2. every section drafted (by the model chain with offline fallback per section, or offline)
    plan = note_stand_ins(drafter.draft(request, figures, progress=progress))
    # 3. validate, and repair failing sections until the score reaches the threshold or stops improving
    plan = validate_and_repair(plan, drafter, settings=settings, repair=repair, score=score, progress=progress)
    plan.metadata.latency_s = round(time.perf_counter() - started, 3)
    return plan


def note_stand_ins(plan: SalesPlan) -> SalesPlan:
    """A company, region or period the user did not give: an assumption, and the first open questions."""
    from .request import FIELD_LABELS, STAND_IN_NOTES
    from .schema import Assumption

    request = plan.request
    questions, assumptions = [], []
    for name in request.stand_ins:
        value = request.period.label if name == "period" else getattr(request, name)
        questions.append(f"{STAND_IN_NOTES[name]}，请补充{FIELD_LABELS[name]}")
        assumptions.append(Assumption(field=FIELD_LABELS[name], value=str(value), source="未提供，暂用中性称呼"))
    plan.open_questions = list(dict.fromkeys([*questions, *plan.open_questions]))
    plan.assumptions = [*assumptions, *(a for a in plan.assumptions if a not in assumptions)]
    return plan


def validate_and_repair(plan: SalesPlan, drafter: Drafter, *, settings: Settings, repair: bool = True,
                        score: bool = True, progress: Progress | None = None) -> SalesPlan:
    """The validator's score, and (with repair) the repair loop redrafting through the same drafter."""
    from .validation import repair_plan, validate_plan

    if not repair:
        if score:
            plan.metadata.score_history = [validate_plan(plan).score]
        return plan
    return repair_plan(plan, lambda p, feedback: drafter.redraft(p, feedback, progress=progress),
                       rounds=settings.repair_rounds, threshold=settings.repair_threshold, progress=progress)
