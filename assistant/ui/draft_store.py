"""Drafts on disk: a conversation's fields, chat and every plan version, saved as they are made.

A page reload or a server restart reopens a draft from `data_dir/drafts/`. Each draft is two files written
atomically: `<id>.json` (everything) and `<id>.meta.json` (the few facts the recent-drafts list shows, so listing
never parses whole plans). The version list is the undo history.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ..config import Settings
from ..files import atomic_write
from ..schema import SalesPlan

log = logging.getLogger(__name__)

MAX_VERSIONS = 30
_ID_RE = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")


class DraftError(ValueError):
    """A draft that cannot be opened; the message is Chinese and meant for the user."""


class PlanVersion(BaseModel):
    plan: SalesPlan
    note: str = Field(description="what produced this version, in Chinese: 初稿 / 修订：… / 修复")
    score: float | None = None
    created_at: datetime = Field(default_factory=datetime.now)


class Draft(BaseModel):
    id: str
    title: str = "未命名草稿"
    created_at: datetime = Field(default_factory=datetime.now)
    updated_at: datetime = Field(default_factory=datetime.now)
    fields: dict[str, Any] = Field(default_factory=dict)
    unknown: list[str] = Field(default_factory=list, description="fields the user said they don't know yet")
    chat: list[dict[str, str]] = Field(default_factory=list)
    versions: list[PlanVersion] = Field(default_factory=list)

    @property
    def plan(self) -> SalesPlan | None:
        return self.versions[-1].plan if self.versions else None

    @property
    def is_empty(self) -> bool:
        return not (self.fields or self.versions or any(m.get("role") == "user" for m in self.chat))

    def add_version(self, plan: SalesPlan, note: str, score: float | None = None) -> PlanVersion:
        version = PlanVersion(plan=plan, note=note, score=score)
        self.versions.append(version)
        del self.versions[:-MAX_VERSIONS]
        self.title = plan.title
        return version

    def undo(self) -> PlanVersion | None:
        """Drop the newest version; returns the one that is current now (None when nothing is left to undo to)."""
        if len(self.versions) < 2:
            return None
        self.versions.pop()
        self.title = self.versions[-1].plan.title
        return self.versions[-1]


class DraftSummary(BaseModel):
    id: str
    title: str
    updated_at: datetime
    versions: int = 0
    score: float | None = None

    def label(self) -> str:
        score = f"｜评分 {self.score:.0f}" if self.score is not None else ""
        plans = f"｜{self.versions}个版本" if self.versions else "｜未生成方案"
        return f"{self.updated_at:%m-%d %H:%M}｜{self.title}{plans}{score}"


def new_draft_id(now: datetime | None = None) -> str:
    return f"{(now or datetime.now()):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


class DraftStore:
    """Drafts under one folder. Safe for the UI's worker threads (one lock per store)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> DraftStore:
        return cls(Path(settings.data_dir) / "drafts")

    def _paths(self, draft_id: str) -> tuple[Path, Path]:
        if not isinstance(draft_id, str) or not _ID_RE.match(draft_id):
            raise DraftError(f"草稿编号不正确：{draft_id!r}")
        return self.root / f"{draft_id}.json", self.root / f"{draft_id}.meta.json"

    def new(self) -> Draft:
        return Draft(id=new_draft_id())

    def save(self, draft: Draft) -> Path:
        full, meta = self._paths(draft.id)
        draft.updated_at = datetime.now()
        last = draft.versions[-1] if draft.versions else None
        summary = DraftSummary(id=draft.id, title=draft.title, updated_at=draft.updated_at,
                               versions=len(draft.versions), score=last.score if last else None)
        with self._lock:
            atomic_write(full, draft.model_dump_json())
            atomic_write(meta, summary.model_dump_json())
        return full

    def load(self, draft_id: str) -> Draft:
        full, _ = self._paths(draft_id)
        if not full.is_file():
            raise DraftError(f"找不到草稿 {draft_id}（可能已被删除）")
        try:
            return Draft.model_validate_json(full.read_bytes())
        except (ValidationError, ValueError) as exc:
            log.warning("draft %s unreadable: %s", draft_id, exc)
            raise DraftError(f"草稿 {draft_id} 已损坏或来自不兼容的版本，无法打开") from None

    def list_recent(self, limit: int = 20) -> list[DraftSummary]:
        """Newest first; unreadable entries are skipped (and logged), never fatal."""
        if not self.root.is_dir():
            return []
        out: list[DraftSummary] = []
        for path in self.root.glob("*.meta.json"):
            try:
                out.append(DraftSummary.model_validate_json(path.read_bytes()))
            except (ValidationError, ValueError, OSError) as exc:
                log.warning("skipping unreadable draft index %s: %s", path.name, exc)
        out.sort(key=lambda s: s.updated_at, reverse=True)
        return out[:limit]

    def delete(self, draft_id: str) -> None:
        with self._lock:
            for path in self._paths(draft_id):
                path.unlink(missing_ok=True)
