"""Every named check, registered, and the checklist verified against them.

Importing the rule modules fills `registry.CHECKS` (each check is declared with `@check("name")`); the checklist
may only name registered checks. This module sits above the rules: nothing it imports imports it back.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from . import coherence, numeric, rules, rules_market, rules_plan, rules_substance  # noqa: F401  (importing the rule modules registers every named check)
from .checklist import DEFAULT_PATH, Checklist, ChecklistError, read_checklist
from .registry import CHECKS

__all__ = ["CHECKS", "load_checklist"]


@lru_cache(maxsize=4)
def _load(path: str) -> Checklist:
    checklist = read_checklist(path)
    unknown = sorted({i.check for i in checklist.items} - set(CHECKS))
    if unknown:
        raise ChecklistError(f"检查清单引用了未注册的检查函数：{unknown}")
    return checklist


def load_checklist(path: str | Path | None = None) -> Checklist:
    """The checklist, with every check it names registered (ChecklistError, in Chinese, otherwise)."""
    return _load(str(path or DEFAULT_PATH))
