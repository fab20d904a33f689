"""Pydantic models at the retrieval edge: what search returns and what ingestion reports."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

IngestStatus = Literal["added", "unchanged", "replaced", "skipped"]
SearchMode = Literal["hybrid", "bm25", "vector"]

STATUS_LABELS = {"added": "新增", "unchanged": "未变", "replaced": "已替换", "skipped": "跳过"}


class Chunk(BaseModel):
    id: str
    text: str = Field(description="display text in the original script, prefixed with its heading path")
    source: str
    title: str
    headings: list[str] = Field(default_factory=list)
    sections: list[str] = Field(default_factory=list)
    score: float = 0.0


class IngestRow(BaseModel):
    path: str
    status: IngestStatus
    chunks: int = 0
    reason: str = ""


class IngestReport(BaseModel):
    rows: list[IngestRow] = Field(default_factory=list)

    def count(self, status: IngestStatus) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def chunks_written(self) -> int:
        return sum(r.chunks for r in self.rows if r.status in ("added", "replaced"))

    def summary(self) -> str:
        parts = [f"{STATUS_LABELS[s]} {self.count(s)}" for s in ("added", "replaced", "unchanged", "skipped")]
        return "，".join(parts) + f"（写入 {self.chunks_written} 个片段）"


BUILTIN_PREFIX = "knowledge/"  # built-in notes are keyed knowledge/<name>; users' files by their absolute path
BUILTIN_LABEL = "方案助手内置方法论"


def source_label(source: str) -> str:
    """How a source is named to users: built-in notes as the product's methodology, a user's file by its name (never
    a server path)."""
    if source.startswith(BUILTIN_PREFIX):
        return BUILTIN_LABEL
    return source.replace("\\", "/").rsplit("/", 1)[-1] or source


class SourceInfo(BaseModel):
    source: str
    title: str
    kind: Literal["builtin", "user"]
    chunks: int
    sections: list[str] = Field(default_factory=list)
    doc_hash: str = ""
    complete: bool = Field(True, description="False: the last ingest was interrupted; ingesting the file again heals")
