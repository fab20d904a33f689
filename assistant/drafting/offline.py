"""The offline drafter: every section from the request, the numbers engine and the industry playbook, deterministically.

It is the embedded default (no key, no network) and the LLM chain's per-section fallback. Each section draws on the
playbook the figures were computed with (knowledge/playbooks), the request's facts, notes and competitors, and the
methodology notes it cites. It never invents facts about the company: what the user did not give is asked once
(待确认); the engine's numbers are written into each section by drafting.figures.

    plan = draft_offline(request, figures)            # every section
    plan = redraft_offline(plan, {"swot": [...]})     # repair without a model
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel

from ..config import get_settings
from ..planning.engine import compute_figures
from ..request import PlanRequest
from ..schema import (
    SECTION_KEYS,
    SECTION_SPECS,
    SECTIONS,
    Figures,
    PlanSections,
    Progress,
    ProgressEvent,
    Reference,
    RunMetadata,
    SalesPlan,
    SectionBase,
    SectionRun,
)
from ..validation import validate_plan
from . import sections_analysis as analysis
from . import sections_execution as execution
from .figures import apply_figures
from .plan_context import PlanContext


@lru_cache(maxsize=4)
def _knowledge_notes(folder: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(file name, title, sections) of each methodology note, read from its front matter."""
    notes = []
    for path in sorted(Path(folder).glob("*.md")):
        text = path.read_text(encoding="utf-8")
        m = re.match(r"^---\s*\n(.*?)\n---", text, re.S)
        meta = yaml.safe_load(m.group(1)) if m else {}
        if isinstance(meta, dict):
            notes.append((path.name, str(meta.get("title", path.stem)), tuple(meta.get("sections") or ())))
    return tuple(notes)


def methodology_refs(key: str, limit: int = 2) -> list[Reference]:
    notes = _knowledge_notes(str(get_settings().knowledge_dir))
    return [Reference(id=name, source=f"knowledge/{name}", title=title) for name, title, secs in notes
            if key in secs][:limit]


BUILDERS: dict[str, Callable[[PlanContext], SectionBase]] = {
    "executive_summary": analysis.summary, "market_analysis": analysis.market, "swot": analysis.swot,
    "sales_targets": analysis.targets, "target_breakdown": execution.breakdown, "funnel_capacity": execution.funnel,
    "customer_persona": analysis.persona, "sales_strategy": analysis.strategy, "channel_plan": execution.channels,
    "team": execution.team, "action_plan": execution.actions, "budget": execution.budget,
    "kpi_incentives": execution.kpis, "tracking_review": execution.tracking, "risks": execution.risks,
    "evaluation": execution.evaluation,
}


def draft_section(key: str, request: PlanRequest, figures: Figures) -> SectionBase:
    """The offline version of one section (also the LLM chain's fallback), written for the request's industry."""
    section = BUILDERS[key](PlanContext(request, figures))
    section = apply_figures(key, section, request, figures)
    section.citations = [r.id for r in methodology_refs(key)]
    return section


def plan_title(request: PlanRequest, figures: Figures) -> str:
    return f"{request.company}{request.region}{figures.period_label}销售工作方案"


def draft_offline(request: PlanRequest, figures: Figures | None = None,
                  progress: Progress | None = None) -> SalesPlan:
    figures = figures or compute_figures(request)
    sections: dict[str, SectionBase] = {}
    runs: dict[str, SectionRun] = {}
    refs: dict[str, Reference] = {}
    for spec in SECTION_SPECS:
        sections[spec.key] = draft_section(spec.key, request, figures)
        runs[spec.key] = SectionRun(status="offline")
        for ref in methodology_refs(spec.key):
            refs.setdefault(ref.id, ref)
        if progress:
            progress(ProgressEvent(section=spec.key, status="offline", detail=SECTIONS[spec.key].title))
    meta = RunMetadata(drafter="offline", sections=runs, notes=["本方案由离线起草器生成（未使用大模型）"])
    return SalesPlan(title=plan_title(request, figures), request=request,
                     figures=figures, sections=PlanSections(**sections), assumptions=figures.assumptions,
                     open_questions=figures.open_questions, references=list(refs.values()), metadata=meta)


# ---------------------------------------------------------------- repair without a model


def _is_empty(section: SectionBase | None) -> bool:
    if section is None:
        return True
    own = [n for n in type(section).model_fields if n not in SectionBase.model_fields]
    values = [getattr(section, n) for n in own]
    return not any(v for v in values if isinstance(v, (str, list, BaseModel)))


def redraft_offline(plan: SalesPlan, feedback: dict[str, list[str]]) -> SalesPlan:
    """Repair without a model: recompute figures, re-apply them to the failing sections, regenerate missing ones,
    and, where what is still failing needs the user's facts, ask for them once as a plain question (the checklist
    item's `question`) — never the checklist's instructions."""
    plan = plan.model_copy(deep=True)
    figures = compute_figures(plan.request)
    plan.figures = figures
    # assumptions the engine does not make (the pipeline's stand-ins for a missing company or period) stay first
    own = {a.field for a in figures.assumptions}
    plan.assumptions = [*(a for a in plan.assumptions if a.field not in own), *figures.assumptions]
    plan.open_questions = list(dict.fromkeys([*plan.open_questions, *figures.open_questions]))
    keys = [k for k in SECTION_KEYS if k in feedback]
    for key in keys:
        section = plan.sections.get(key)
        if _is_empty(section):
            section = draft_section(key, plan.request, figures)
        else:
            section = apply_figures(key, section, plan.request, figures)
        setattr(plan.sections, key, section)
    still = validate_plan(plan)
    for finding in still.failed:
        if "已列为待确认" in finding.reason:
            continue  # the plan already asks for it
        for key in finding.sections or [finding.section]:
            section = plan.sections.get(key) if key in keys else None
            if section is None:
                continue
            if finding.question and finding.question not in plan.open_questions + section.open_questions:
                section.open_questions.append(finding.question)
    return plan
