"""The pipeline, top to bottom: request -> numbers -> retrieve + draft -> validate (+ repair) -> plan.

Every entry point (CLI, UI, batch, evals) calls `draft_plan`; rendering is the caller's choice of format.
Heavy libraries (LangChain, Chroma) are imported only on the LLM path.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .config import Settings, get_settings
from .drafting.offline import draft_offline
from .planning.engine import compute_figures
from .request import PlanRequest
from .schema import ProgressEvent, SalesPlan

Progress = Callable[[ProgressEvent], None]


def draft_plan(
    request: PlanRequest,
    *,
    settings: Settings | None = None,
    offline: bool | None = None,
    repair: bool = True,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> SalesPlan:
    """Draft a complete plan. Offline when asked, or when no model is configured."""
    settings = settings or get_settings()
    started = time.perf_counter()
    # 1. numbers: computed once, quoted everywhere
    figures = compute_figures(request)
    use_llm = settings.llm_configured and not offline
    if not use_llm:
        # 2a. offline drafter: deterministic, every section from request + figures + methodology guidance
        plan = draft_offline(request, figures, progress=progress)
    else:
        # 2b. retrieval + LLM chain, section by section, with offline fallback per section
        from .drafting.chain import draft_sections
        from .retrieval import get_knowledge_base

        kb = get_knowledge_base(settings)
        kb.ensure_builtin()
        plan = draft_sections(request, figures, settings=settings, kb=kb, progress=progress, use_cache=use_cache)
    redraft = make_redraft(settings, progress=progress, use_cache=use_cache, offline=not use_llm)

    # 3. validate, and repair failing sections until the score reaches the threshold or stops improving
    plan = _validate_and_repair(plan, redraft, settings=settings, repair=repair, progress=progress)
    plan.metadata.latency_s = round(time.perf_counter() - started, 3)
    return plan


def make_redraft(settings: Settings, *, progress: Progress | None = None, use_cache: bool = True,
                 offline: bool | None = None):
    """The function the repair loop calls to redraft failing sections: the LLM chain, or the offline fixer."""
    if offline or not settings.llm_configured:
        from .validation import offline_redraft

        return offline_redraft
    from .drafting.chain import redraft_sections
    from .retrieval import get_knowledge_base

    kb = get_knowledge_base(settings)

    def redraft(plan: SalesPlan, feedback: dict[str, list[str]]) -> SalesPlan:
        return redraft_sections(plan, feedback, settings=settings, kb=kb, progress=progress, use_cache=use_cache)

    return redraft


def _validate_and_repair(plan: SalesPlan, redraft, *, settings: Settings, repair: bool,
                         progress: Progress | None) -> SalesPlan:
    from .validation import repair_plan, validate_plan

    if not repair:
        plan.metadata.score_history = [validate_plan(plan).score]
        return plan
    return repair_plan(plan, redraft, rounds=settings.repair_rounds, threshold=settings.repair_threshold,
                       progress=progress)
