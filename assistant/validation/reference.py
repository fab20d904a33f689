"""The reference set: plans for other businesses that the boilerplate measure compares a plan against.

knowledge/reference_plans/<industry>__<case>.txt are the offline drafter's plans for the eval cases (rebuilt by
evals/build_reference_plans.py; <industry> is the playbook the drafter chose). A stretch of text (a character 4-gram,
numbers masked) that appears in plans for at least `COMMON_IN` different industries is wording any plan would
contain; a sentence made mostly of such stretches is boilerplate. (Wording shared by plans of one industry is that
industry's, however many plans of it the cases hold.)
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from ..config import PROJECT_ROOT

REFERENCE_DIR = PROJECT_ROOT / "knowledge" / "reference_plans"
COMMON_IN = 3  # industries whose plans a 4-gram must appear in to count as common wording
GROUP_SEP = "__"
GRAM = 4
MIN_CJK = 8  # shorter pieces ('按月考核', '负责人') say too little to judge
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NUMBER = re.compile(r"\d[\d,.]*")
_SPLIT = re.compile(r"[。；;！？!?\n]")
_MARKUP = re.compile(r"\*\*|\*|`|^#+\s*|^[-*+]\s+|^>\s*")


def cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


def pieces(text: str) -> list[str]:
    """The sentences of a text (or a table cell), without Markdown marks, long enough to judge."""
    out = []
    for part in _SPLIT.split(text):
        part = _MARKUP.sub("", part.strip()).strip()
        if cjk_count(part) >= MIN_CJK:
            out.append(part)
    return out


def text_units(markdown: str) -> list[str]:
    """Sentences and table cells of a Markdown text."""
    out = []
    for line in markdown.splitlines():
        line = line.strip()
        cells = line.strip("|").split("|") if line.startswith("|") else [line]
        for cell in cells:
            out.extend(pieces(cell))
    return out


def grams(text: str) -> set[str]:
    masked = _NUMBER.sub("#", re.sub(r"\s+", "", text))
    return {masked[i:i + GRAM] for i in range(len(masked) - GRAM + 1)}


@lru_cache(maxsize=2)
def common_grams(folder: str = str(REFERENCE_DIR)) -> frozenset[str]:
    """4-grams found in reference plans of at least COMMON_IN industries. Empty when the reference set is missing."""
    seen: dict[str, set[str]] = defaultdict(set)
    for path in sorted(Path(folder).glob("*.txt")):
        industry = path.stem.split(GROUP_SEP)[0]
        for unit in text_units(path.read_text(encoding="utf-8")):
            for g in grams(unit):
                seen[g].add(industry)
    return frozenset(g for g, plans in seen.items() if len(plans) >= COMMON_IN)


@lru_cache(maxsize=2)
def reference_texts(folder: str = str(REFERENCE_DIR)) -> tuple[str, ...]:
    """One text per industry: its reference plans joined (so counting texts counts industries)."""
    by_industry: dict[str, list[str]] = defaultdict(list)
    for path in sorted(Path(folder).glob("*.txt")):
        by_industry[path.stem.split(GROUP_SEP)[0]].append(path.read_text(encoding="utf-8"))
    return tuple("\n".join(texts) for texts in by_industry.values())


def boilerplate_share(unit: str, common: frozenset[str]) -> float:
    """The share of a sentence's 4-grams that are common wording across the reference plans."""
    g = grams(unit)
    return len(g & common) / len(g) if g else 0.0
