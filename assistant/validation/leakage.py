"""Leakage: text that belongs to the tool or to someone's computer, not to a sales plan — file paths, request field
names, environment-variable names, checklist instructions and other internal notes pasted into the plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .document import PlanDoc

PATTERNS: dict[str, re.Pattern[str]] = {
    "文件路径": re.compile(r"(?:[A-Za-z]:\\[^\s，。；、）)]+|(?<![\w.])/(?:home|Users|root|tmp|var|opt|mnt|data|srv|etc|work)/"
                         r"[^\s，。；、）)]+|(?<![\w/])(?:knowledge|prompts|evals|assistant|tests)/[\w./\-]+)"),
    "字段名": re.compile(r"(?<![A-Za-z0-9_])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_])"),
    "环境变量名": re.compile(r"(?<![A-Za-z0-9_])[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9](?![A-Za-z0-9_])"),
    "检查清单原文": re.compile(r"[（(]未满足[：:]"),
    "内部说明": re.compile(r"修改要求待落实|方法论默认值|相关度\s*\d|knowledge/"),
}


@dataclass(slots=True)
class Leak:
    kind: str
    found: str
    text: str


def leaks_in(text: str, instructions: list[str]) -> list[Leak]:
    """Every leak in one line of a plan; `instructions` are the checklist's fix hints (pasted verbatim = a leak).
    A field name inside a file path is part of that path."""
    paths = [m.span() for m in PATTERNS["文件路径"].finditer(text)]
    out = [Leak(kind, m.group(0), text) for kind, pattern in PATTERNS.items() for m in pattern.finditer(text)
           if kind == "文件路径" or not any(a <= m.start() < b for a, b in paths)]
    for hint in instructions:
        head = hint[:14]
        if len(head) >= 10 and head in text:
            out.append(Leak("检查清单原文", head, text))
    return out


def leaks(doc: PlanDoc, instructions: list[str]) -> list[Leak]:
    """Every leak in a plan: its title, opening lines, content, open questions, assumptions and references."""
    texts = [doc.title, *doc.preamble, *(ln.text for ln in doc.all_lines()), *doc.all_open_questions,
             *doc.assumptions, *doc.references.values()]
    return [leak for text in texts for leak in leaks_in(text, instructions)]
