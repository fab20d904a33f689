"""What a run stores: its manifest, one record per draft (case × version × repeat), the checklist-item catalogue.

`run.json` in evals/reports/<run-id>/ holds a `RunData`; a blessed baseline is the same file under evals/baselines/.
"""

from __future__ import annotations

import hashlib
import subprocess
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from ..files import atomic_write
from .cases import CaseError

RUN_FILE = "run.json"


class SectionCall(BaseModel):
    """One LLM-drafted section of one draft, as the chain reported it (its latency is the chain's own clock, i.e.
    replay time when replayed; the draft's recorded model time is DraftRecord.latency_s, taken from the recordings)."""

    status: str
    attempts: int = 0
    method: str | None = None
    fallback_reason: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0
    cost: float = 0.0
    errors: list[str] = Field(default_factory=list)

    @property
    def fallback(self) -> bool:
        return self.status == "fallback"

    @property
    def reasked(self) -> bool:
        return self.attempts > 1 or self.status == "retried"

    @property
    def schema_failure(self) -> bool:
        """At least one answer did not fit the section's schema (re-asked, or fell back for that reason)."""
        return self.reasked or (self.fallback and bool(self.errors))


class JudgeScore(BaseModel):
    """Rubric scores 1-5 per criterion, or the judge's failure. Never mixed into the deterministic score."""

    ok: bool
    scores: dict[str, float] = Field(default_factory=dict)
    reasons: dict[str, str] = Field(default_factory=dict)
    attempts: int = 0
    error: str | None = None


class DraftRecord(BaseModel):
    case_id: str
    version: str
    repeat: int
    ok: bool = True
    error: str | None = None
    score: float = 0.0  # deterministic: validator (+ case assertions), 0-100
    validator_score: float | None = None
    checks_rate: float | None = None
    passed: bool = False
    items: dict[str, bool] = Field(default_factory=dict)  # "v:<validator item>" / "a:<case assertion>" -> passed
    details: dict[str, str] = Field(default_factory=dict)  # failing items -> why
    sections: dict[str, SectionCall] = Field(default_factory=dict)  # the LLM-drafted sections only
    texts: dict[str, str] = Field(default_factory=dict)  # prose of the LLM-drafted sections
    section_scores: dict[str, float] = Field(default_factory=dict)
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    latency_s: float = 0.0
    calls: int = 0  # model calls made live in this run (0 when everything came from the cache)
    score_history: list[float] = Field(default_factory=list)  # validator score per repair round (with --repair)
    judge: JudgeScore | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return self.case_id, self.version, self.repeat


class ItemInfo(BaseModel):
    id: str
    label: str
    source: str  # validator | case
    section: str | None = None
    severity: str | None = None
    critical: bool = False
    floor: float | None = None


class PairwiseVerdict(BaseModel):
    case_id: str
    a: str
    b: str
    winner: str | None = None  # a | b | tie | None (judge failure)
    shown_first: str = "a"
    error: str | None = None


class VersionInfo(BaseModel):
    name: str
    hash: str
    files: int


class Manifest(BaseModel):
    run_id: str
    created_at: datetime
    finished_at: datetime | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None
    mode: str  # live | record | replay | offline
    model: str | None = None
    params: dict = Field(default_factory=dict)
    versions: list[VersionInfo] = Field(default_factory=list)
    llm_sections: list[str] = Field(default_factory=list)
    offline_sections: list[str] = Field(default_factory=list)
    repeats: dict[str, int] = Field(default_factory=dict)
    repair: bool = False
    judge_model: str | None = None
    judge_prompt_hash: str | None = None
    cases_hash: str = ""
    case_ids: list[str] = Field(default_factory=list)
    score_formula: str = ""
    recordings: str | None = None
    estimate: dict = Field(default_factory=dict)


class RunData(BaseModel):
    manifest: Manifest
    items: dict[str, ItemInfo] = Field(default_factory=dict)
    drafts: list[DraftRecord] = Field(default_factory=list)
    case_errors: list[CaseError] = Field(default_factory=list)
    pairwise: list[PairwiseVerdict] = Field(default_factory=list)

    def versions(self) -> list[str]:
        return [v.name for v in self.manifest.versions]

    def for_version(self, version: str) -> list[DraftRecord]:
        return [d for d in self.drafts if d.version == version]

    def save(self, folder: Path) -> Path:
        return atomic_write(Path(folder) / RUN_FILE, self.model_dump_json(indent=1))


def load_run(path: str | Path) -> RunData:
    """A run folder (evals/reports/<id>/), its run.json, or a baseline file."""
    p = Path(path)
    if p.is_dir():
        p = p / RUN_FILE
    if not p.is_file():
        raise FileNotFoundError(f"找不到评测运行结果：{path}（应为 evals/reports/<运行编号>/ 或其中的 {RUN_FILE}，或基线文件）")
    try:
        return RunData.model_validate_json(p.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"评测结果文件 {p} 无法读取：{str(exc)[:300]}") from None


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def git_state(cwd: Path) -> tuple[str | None, bool | None]:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None, None
    if commit.returncode != 0:
        return None, None
    return commit.stdout.strip(), bool(dirty.stdout.strip())
