"""The repair loop: redraft only the sections that fail, with the findings as feedback, until the score reaches
the threshold or stops improving; keep the best version and record the score history.

Offline, `offline_redraft` fixes what the numbers engine can fix (recomputed figures re-applied to the numeric
tables, missing sections regenerated) and turns the remaining findings into open questions (待确认).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pydantic import BaseModel

from ..planning.engine import compute_figures
from ..schema import SECTION_KEYS, ProgressEvent, SalesPlan, SectionBase, SectionRun
from .document import doc_from_plan
from .report import Report, build_report

log = logging.getLogger(__name__)
Redraft = Callable[[SalesPlan, dict[str, list[str]]], SalesPlan]
Progress = Callable[[ProgressEvent], None]


def validate_plan(plan: SalesPlan) -> Report:
    """Score a SalesPlan against the checklist."""
    return build_report(doc_from_plan(plan, source=plan.title))


def repair_plan(plan: SalesPlan, redraft: Redraft, *, rounds: int, threshold: float,
                progress: Progress | None = None) -> SalesPlan:
    """Redraft failing sections up to `rounds` times (until `Report.passes(threshold)`); return the best-scoring
    version with its score history in metadata.score_history."""
    best, report = plan, validate_plan(plan)
    history = list(plan.metadata.score_history)
    if not history or history[-1] != report.score:
        history.append(report.score)
    notes: list[str] = []
    for n in range(1, rounds + 1):
        if report.passes(threshold):
            break
        feedback = report.failing_by_section()
        if not feedback:
            break
        candidate = redraft(best.model_copy(deep=True), feedback)
        new = validate_plan(candidate)
        if new.score < report.score:
            notes.append(f"第{n}轮修复后评分{new.score:.1f}低于{report.score:.1f}，保留上一版")
            break
        improved = new.score > report.score
        if not improved and candidate.sections == best.sections:
            notes.append(f"第{n}轮修复没有带来变化，停止修复")
            break
        for key, lines in feedback.items():
            run = candidate.metadata.sections.setdefault(key, SectionRun())
            run.errors = lines[:5]
            if not improved or candidate.sections.get(key) == best.sections.get(key):
                continue  # only a section that changed and raised the score counts as repaired
            run.status = "repaired"
            if progress:
                progress(ProgressEvent(section=key, status="repaired",
                                       detail=f"第{n}轮修复：{len(lines)}项问题，评分{report.score:.1f}→{new.score:.1f}"))
        notes.append(f"第{n}轮修复{len(feedback)}个章节：评分{report.score:.1f}→{new.score:.1f}")
        best, report = candidate, new
        history.append(new.score)
        if not improved:
            break
    best.metadata.score_history = history
    best.metadata.notes.extend(notes)
    return best


def _is_empty(section: SectionBase | None) -> bool:
    if section is None:
        return True
    own = [n for n in type(section).model_fields if n not in SectionBase.model_fields]
    values = [getattr(section, n) for n in own]
    return not any(v for v in values if isinstance(v, (str, list, BaseModel)))


def offline_redraft(plan: SalesPlan, feedback: dict[str, list[str]]) -> SalesPlan:
    """Repair without a model: recompute figures, re-apply them to the failing sections, regenerate missing ones,
    and turn what is still failing into open questions of those sections."""
    from ..drafting.offline import apply_figures, draft_section

    plan = plan.model_copy(deep=True)
    figures = compute_figures(plan.request)
    plan.figures = figures
    plan.assumptions = figures.assumptions
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
            question = f"{finding.fix_hint}（未满足：{finding.description}）"
            if question not in section.open_questions:
                section.open_questions.append(question)
    return plan
