"""Validator: score any plan (this tool's JSON, hand-written Markdown or DOCX) against the completeness checklist
in knowledge/checklist.yaml, and repair drafts until they pass.

    plan/file ─► PlanDoc (sections of lines, items, tables) ─► named checks (rules*.py, numeric.py) ─► Report
                                                                   └─► repair_plan: redraft failing sections
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .checklist import Checklist, ChecklistError
from .checks import load_checklist
from .document import PlanDoc, doc_from_plan
from .reader import PlanParseError, load_document, parse_text
from .repair import repair_plan, validate_plan
from .report import Finding, Report, SectionScore, build_report


def validate_file(path: str | Path, model: Any | None = None) -> Report:
    """Score a plan file: .json exported by this tool, .md/.markdown/.txt or .docx. Raises PlanParseError.

    With `model` (a StructuredLLM-like reader), a model also reads the plan, and what it finds fills in only what
    the rules found nothing of, marked 「模型读取」 (model_reading.py)."""
    doc = load_document(path)
    if model is not None:
        from .model_reading import apply_reading, read_with_model

        reading = read_with_model(doc, model)
        if reading is not None:
            apply_reading(doc, reading)
    return build_report(doc)


def validate_text(text: str, source: str = "粘贴的方案.md") -> Report:
    """Score a Markdown plan given as text (e.g. pasted into the UI). Raises PlanParseError."""
    return build_report(parse_text(text, source))


__all__ = [
    "Checklist", "ChecklistError", "Finding", "PlanDoc", "PlanParseError", "Report", "SectionScore",
    "build_report", "doc_from_plan", "load_checklist", "load_document", "repair_plan",
    "validate_file", "validate_plan", "validate_text",
]
