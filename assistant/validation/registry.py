"""The registry of named checks that knowledge/checklist.yaml refers to (`check: competitors_named`).

A check reads a PlanDoc and returns a Verdict: pass / fail / na, a Chinese reason quoting what it found, and
(for failures) the sections where the problem sits, so the repair loop knows what to redraft.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from .checklist import ItemSpec
from .document import Line, PlanDoc

Status = Literal["pass", "fail", "na"]


@dataclass(slots=True)
class Verdict:
    status: Status
    reason: str
    sections: list[str] = field(default_factory=list)
    value: float | None = None  # for substance items: the measure (0–1) the score is scaled by


def ok(reason: str) -> Verdict:
    return Verdict("pass", reason)


def fail(reason: str, *sections: str) -> Verdict:
    return Verdict("fail", reason, [s for s in sections if s])


def na(reason: str) -> Verdict:
    return Verdict("na", reason)


Check = Callable[[PlanDoc, ItemSpec], Verdict]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        if name in CHECKS:
            raise ValueError(f"check {name} registered twice")
        CHECKS[name] = fn
        return fn

    return register


# ---------------------------------------------------------------- helpers shared by the checks


def scoped(doc: PlanDoc, item: ItemSpec) -> list[tuple[str, Line]]:
    return doc.lines(item.scope)


def subject(ln: Line) -> str:
    """What a line is about: a table row's first cell, or the text before '：'."""
    if ln.cells:
        return next(iter(ln.cells.values()), "")
    head, sep, _ = ln.text.partition("：")
    return head if sep and len(head) <= 20 else ln.text


def first(lines: list[tuple[str, Line]], pattern: re.Pattern[str], extra: Callable[[Line], bool] | None = None,
          on_subject: bool = False) -> tuple[str, Line] | None:
    for key, ln in lines:
        text = subject(ln) if on_subject else ln.text
        if pattern.search(text) and (extra is None or extra(ln)):
            return key, ln
    return None


def where(doc: PlanDoc, key: str, item: ItemSpec) -> str:
    """'（见「执行摘要」）' when a fact was found outside the item's own section."""
    if key == item.section or key not in doc.sections:
        return ""
    return f"（见「{doc.sections[key].title}」）"


def cells_matching(ln: Line, header: re.Pattern[str]) -> list[str]:
    return [v for h, v in (ln.cells or {}).items() if header.search(h)]


OWNER_RE = re.compile(r"负责人\s*[：:]\s*\S|负责人\s*[是为]?\s*[\u4e00-\u9fa5]{2}|"
                      r"责任人\s*[：:]\s*\S|[（(][^（）()]{1,12}负责[)）]|由\S{1,10}负责|"
                      r"牵头\s*[：:]?\s*\S|[：:]\s*\S{1,10}负责")
OWNER_HEADER = re.compile(r"负责人|责任人|牵头|执行人|责任部门|负责部门|负责")
