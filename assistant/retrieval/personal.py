"""Knowledge per UI user: the shared company collection (built-in notes + what `planassist kb ingest` added) and,
beside it, one collection per owner (a logged-in user, or a browser) holding only that owner's uploads.

    mine = personal_knowledge_base(settings, owner)      # <collection>-u-<digest>, no built-ins, made on first upload
    kb = CombinedKnowledge(get_knowledge_base(settings), mine)
    kb.search("漏斗测算", k=4, section="funnel_capacity")  # best of both, by score

An owner never reads, replaces or removes another owner's documents: their files live in their own folder
(`uploads/<digest>/`) and their chunks in their own collection.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..config import Settings
from .knowledge_base import KnowledgeBase, get_knowledge_base
from .models import Chunk, SearchMode

OWNER_DIGEST_CHARS = 16


def owner_digest(owner: str) -> str:
    return hashlib.sha256(owner.encode("utf-8")).hexdigest()[:OWNER_DIGEST_CHARS]


def owner_collection(settings: Settings, owner: str) -> str:
    return f"{settings.collection}-u-{owner_digest(owner)}"


def uploads_dir(settings: Settings, owner: str) -> Path:
    return Path(settings.data_dir) / "uploads" / owner_digest(owner)


def personal_knowledge_base(settings: Settings, owner: str) -> KnowledgeBase:
    """The owner's own collection (created by the first upload; reads as empty before)."""
    own = settings.model_copy(update={"collection": owner_collection(settings, owner)})
    return get_knowledge_base(own, builtin=False)


class CombinedKnowledge:
    """Search over the company knowledge base and one owner's uploads; what the drafter and the UI search use."""

    def __init__(self, company: KnowledgeBase, own: KnowledgeBase) -> None:
        self.company, self.own = company, own

    def ensure_builtin(self):
        return self.company.ensure_builtin()

    def search(self, query: str, k: int = 5, section: str | None = None, mode: SearchMode = "hybrid") -> list[Chunk]:
        found = self.company.search(query, k=k, section=section, mode=mode)
        found += self.own.search(query, k=k, section=section, mode=mode)
        return sorted(found, key=lambda c: -c.score)[:k]
