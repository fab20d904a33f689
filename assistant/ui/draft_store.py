"""Drafts on disk: a conversation's fields, chat and every plan version, saved as they are made.

A page reload or a server restart reopens a draft from `data_dir/drafts/`. Each draft is two files written
atomically: `<id>.json` (everything) and `<id>.meta.json` (the few facts the recent-drafts list shows, so listing
never parses whole plans). The version list is the undo history.

Every draft has an owner (a logged-in user or one browser, see ui.access) and a revision. Lists and loads are by
owner; a save is a compare-and-swap on the revision, so a second tab that saves over a newer save gets a
DraftConflict instead of silently overwriting it.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from contextlib import contextmanager
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


class DraftConflict(DraftError):
    """The draft was saved by someone else (another tab) since this copy was loaded; `current` is what is on disk."""

    def __init__(self, current: DraftSummary):
        self.current = current
        super().__init__(f"草稿「{current.title}」已在别处（另一个标签页或浏览器）保存过新的内容"
                         f"（{current.updated_at:%H:%M:%S}，{current.versions} 个版本）")


class PlanVersion(BaseModel):
    plan: SalesPlan
    note: str = Field(description="what produced this version, in Chinese: 初稿 / 修订：… / 修复")
    score: float | None = None
    created_at: datetime = Field(default_factory=datetime.now)


class Draft(BaseModel):
    id: str
    owner: str | None = Field(None, description="who may list and open it (ui.access); None: made before owners")
    revision: int = Field(0, description="bumped by every save; a save must start from the revision on disk")
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
    owner: str | None = None
    revision: int = 0

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

    @contextmanager
    def _exclusive(self):
        """This process's threads and other processes on the same folder (two UIs on one data directory)."""
        with self._lock:
            try:
                import fcntl
            except ImportError:  # Windows: the thread lock only
                yield
                return
            self.root.mkdir(parents=True, exist_ok=True)
            with open(self.root / ".lock", "w") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                yield

    @classmethod
    def for_settings(cls, settings: Settings) -> DraftStore:
        return cls(Path(settings.data_dir) / "drafts")

    def _paths(self, draft_id: str) -> tuple[Path, Path]:
        if not isinstance(draft_id, str) or not _ID_RE.match(draft_id):
            raise DraftError(f"草稿编号不正确：{draft_id!r}")
        return self.root / f"{draft_id}.json", self.root / f"{draft_id}.meta.json"

    def new(self, owner: str | None = None) -> Draft:
        return Draft(id=new_draft_id(), owner=owner)

    def _summary(self, path: Path) -> DraftSummary | None:
        try:
            return DraftSummary.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except (ValidationError, ValueError, OSError) as exc:
            log.warning("unreadable draft index %s: %s", path.name, exc)
            return None

    def save(self, draft: Draft) -> Path:
        """Write the draft if the revision on disk is still the one it was loaded at (else DraftConflict, and
        nothing is written); the draft's revision is bumped."""
        full, meta = self._paths(draft.id)
        with self._exclusive():
            on_disk = self._summary(meta)
            if on_disk is not None and on_disk.revision != draft.revision:
                raise DraftConflict(on_disk)
            updated_at, revision = datetime.now(), draft.revision + 1
            saved = draft.model_copy(update={"updated_at": updated_at, "revision": revision})
            last = draft.versions[-1] if draft.versions else None
            summary = DraftSummary(id=draft.id, title=draft.title, updated_at=updated_at, owner=draft.owner,
                                   versions=len(draft.versions), score=last.score if last else None, revision=revision)
            atomic_write(full, saved.model_dump_json())
            atomic_write(meta, summary.model_dump_json())
            draft.updated_at, draft.revision = updated_at, revision
        return full

    def load(self, draft_id: str, owner: str | None = None) -> Draft:
        """The draft; with `owner`, only if it belongs to that owner."""
        full, _ = self._paths(draft_id)
        if not full.is_file():
            raise DraftError(f"找不到草稿 {draft_id}（可能已被删除）")
        try:
            draft = Draft.model_validate_json(full.read_bytes())
        except (ValidationError, ValueError) as exc:
            log.warning("draft %s unreadable: %s", draft_id, exc)
            raise DraftError(f"草稿 {draft_id} 已损坏或来自不兼容的版本，无法打开") from None
        if owner is not None and draft.owner != owner:
            log.warning("draft %s refused to another owner", draft_id)
            raise DraftError(f"找不到草稿 {draft_id}（草稿只对创建它的浏览器或用户可见）")
        return draft

    def list_recent(self, limit: int = 20, owner: str | None = None) -> list[DraftSummary]:
        """Newest first (with `owner`, only that owner's); unreadable entries are skipped (and logged)."""
        if not self.root.is_dir():
            return []
        out: list[DraftSummary] = []
        for path in self.root.glob("*.meta.json"):
            summary = self._summary(path)
            if summary is not None and (owner is None or summary.owner == owner):
                out.append(summary)
        out.sort(key=lambda s: s.updated_at, reverse=True)
        return out[:limit]

    def delete(self, draft_id: str) -> None:
        with self._exclusive():
            for path in self._paths(draft_id):
                path.unlink(missing_ok=True)
