"""The checklist as data: knowledge/checklist.yaml, loaded once into typed models.

The YAML is the source of truth for what is checked (items, weights, severities, fix hints) and for how headings
written by people map to canonical sections (synonyms).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from ..config import PROJECT_ROOT
from ..schema import SECTION_KEYS

Severity = Literal["critical", "major", "minor"]
DEFAULT_PATH = PROJECT_ROOT / "knowledge" / "checklist.yaml"
OVERALL = "overall"


class SectionInfo(BaseModel):
    title: str
    synonyms: list[str] = Field(default_factory=list)  # headings that mean this section (validator's reader)
    mentions: list[str] = Field(default_factory=list)  # words in a chat instruction that name it (revision)


class ItemSpec(BaseModel):
    id: str
    section: str
    description: str
    weight: float = Field(gt=0)
    severity: Severity
    check: str
    params: dict[str, Any] = Field(default_factory=dict)
    fix_hint: str
    asks: list[str] = Field(default_factory=list)
    scoring: Literal["completeness", "substance"] = "completeness"  # substance items scale the score (report.py)
    question: str | None = None  # what to ask the user when the item fails for want of their facts (repair)
    consistency: bool = False  # the plan's numbers contradict each other when it fails (scales the score)

    @property
    def scope(self) -> list[str]:
        """Sections a check reads: its own, then the `also` fallbacks named in params."""
        return [self.section, *self.params.get("also", [])]


class SubstanceScale(BaseModel):
    """score = completeness × (floor + (1 − floor) × min(1, substance ÷ full))."""

    floor: float = Field(ge=0, le=1)
    full: float = Field(gt=0, le=1)


class ConsistencyScale(BaseModel):
    """Each failed consistency item multiplies the score by per_failure, down to floor."""

    per_failure: float = Field(gt=0, le=1)
    floor: float = Field(ge=0, le=1)


class Checklist(BaseModel):
    version: int | str
    substance: SubstanceScale = SubstanceScale(floor=1.0, full=1.0)
    consistency: ConsistencyScale = ConsistencyScale(per_failure=1.0, floor=1.0)
    sections: dict[str, SectionInfo]
    special: dict[Literal["assumptions", "open_questions", "references"], list[str]]
    severity_labels: dict[Severity, str]
    items: list[ItemSpec]

    @model_validator(mode="after")
    def _consistent(self) -> Checklist:
        missing = [k for k in SECTION_KEYS if k not in self.sections]
        if missing:
            raise ValueError(f"sections 缺少标准章节：{missing}")
        ids = [i.id for i in self.items]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"检查项 id 重复：{dupes}")
        for item in self.items:
            unknown = [s for s in item.scope if s not in self.sections]
            if unknown:
                raise ValueError(f"检查项 {item.id} 引用了未知章节：{unknown}")
        return self

    def title(self, section: str) -> str:
        info = self.sections.get(section)
        return info.title if info else section


class ChecklistError(ValueError):
    pass


@lru_cache(maxsize=4)
def _read(path: str) -> Checklist:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return Checklist.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ChecklistError(f"检查清单 {path} 无法读取：{exc}") from exc


def read_checklist(path: str | Path | None = None) -> Checklist:
    """The checklist's data (sections, synonyms, items), typed. `checks.load_checklist` also makes sure every
    check it names is registered; the readers that only need section titles and synonyms use this."""
    return _read(str(path or DEFAULT_PATH))
