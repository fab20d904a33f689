"""The repair loop: redraft only the sections that fail, with the findings as feedback, until the score reaches
the threshold or stops improving; keep the best version and record the score history.

The redraft is the caller's (pipeline: the chosen drafter's `redraft`); the validator never imports a drafter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..schema import Progress, ProgressEvent, SalesPlan, SectionRun
from .document import doc_from_plan
from .report import Report, build_report

log = logging.getLogger(__name__)
Redraft = Callable[[SalesPlan, dict[str, list[str]]], SalesPlan]  # (plan, findings by section) -> new plan


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
