"""The Chroma side: client (local PersistentClient or a shared `chroma run` server), the collection with its
embedding-kind fingerprint, and all-or-nothing replacement of one source's chunks.

Each chunk's metadata carries: source, kind (builtin|user), title, headings (JSON), sections (JSON), one
boolean flag per served section ("sec_<key>", or "sec__general" when a document serves none), doc_hash
(content hash of the whole source file, the idempotency key), ordinal, and tokens (the BM25 tokens, so the
in-memory BM25 index is rebuilt from the store without re-segmenting).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError

from .embeddings import embedding_kind

log = logging.getLogger(__name__)
GENERAL_FLAG = "sec__general"
_VALID_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")


class StoreError(RuntimeError):
    """A problem with the Chroma store; the message is for the user (Chinese)."""


class EmbeddingMismatchError(StoreError):
    pass


class MissingCollection(StoreError):
    """The collection does not exist (and was not to be created): read as empty."""


def section_flag(key: str) -> str:
    return f"sec_{key}"


@dataclass
class Record:
    id: str
    document: str
    embedding: Any
    metadata: dict[str, Any]


def make_client(settings):
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    logging.getLogger("chromadb.telemetry").setLevel(logging.CRITICAL)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"无法连接 Chroma 服务 {settings.chroma_host}:{settings.chroma_port}：{exc}") from exc
    path = Path(settings.data_dir) / "chroma"
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:  # noqa: BLE001 - unwritable directory, damaged database
        raise StoreError(f"无法打开本地知识库 {path}：{exc}") from exc


class Store:
    """One Chroma collection, opened with the configured embedding function."""

    def __init__(self, settings, embedding_function, create: bool = True) -> None:
        self.settings = settings
        self.ef = embedding_function
        self.kind = embedding_kind(embedding_function)
        self.name = settings.collection
        self.client = make_client(settings)
        try:
            self.collection = self._open(create)
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. the server went away between connect and open
            raise StoreError(f"打开 Chroma 集合「{self.name}」失败（{self.where}）：{exc}") from exc

    @property
    def where(self) -> str:
        s = self.settings
        return f"{s.chroma_host}:{s.chroma_port}" if s.chroma_host else str(Path(s.data_dir) / "chroma")

    def _mismatch(self, stored: str) -> EmbeddingMismatchError:
        return EmbeddingMismatchError(
            f"知识库集合「{self.name}」是用嵌入 {stored} 建立的，当前配置为 {self.kind}，两者的向量不能混用。"
            f"请运行 planassist kb reset 清空后重新导入，或设置 PLAN_COLLECTION 改用另一个集合。"
        )

    def _open(self, create: bool = True):
        if not _VALID_NAME.match(self.name):
            raise StoreError(f"集合名「{self.name}」不合法：需 3–512 个字符，只含字母、数字和 . _ -，且以字母或数字开头结尾"
                             "（请修改 PLAN_COLLECTION）")
        try:
            col = self.client.get_collection(self.name, embedding_function=self.ef)
        except NotFoundError:
            if not create:
                raise MissingCollection(f"知识库集合「{self.name}」还不存在") from None
            col = self.client.get_or_create_collection(
                self.name,
                embedding_function=self.ef,
                configuration={"hnsw": {"space": "cosine", "ef_search": 100}},
                metadata={"embedding": self.kind, "revision": uuid.uuid4().hex, "created_by": "planassist"},
            )
        except ValueError as exc:
            if "conflict" not in str(exc).lower():
                raise StoreError(f"打开 Chroma 集合「{self.name}」失败（{self.where}）：{exc}") from exc
            raise self._mismatch(str(exc).rsplit("persisted:", 1)[-1].strip()) from exc
        stored = (col.metadata or {}).get("embedding")
        if stored and stored != self.kind:
            raise self._mismatch(stored)
        return col

    def _guard(self, what: str, fn, *args, **kwargs):
        """Run a Chroma call; a dropped server connection or a broken store becomes a Chinese StoreError."""
        try:
            return fn(*args, **kwargs)
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - chromadb and httpx raise many types
            raise StoreError(f"Chroma {what}失败（{self.where}）：{exc}") from exc

    # ---------------------------------------------------------------- reading
    def revision(self) -> str:
        col = self._guard("读取", self.client.get_collection, self.name, embedding_function=self.ef)
        return str((col.metadata or {}).get("revision", ""))

    def count(self) -> int:
        return self._guard("读取", self.collection.count)

    def get_all(self, page: int = 2000) -> tuple[list[str], list[str], list[dict]]:
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict] = []
        total = self.collection.count()
        for offset in range(0, total, page):
            got = self._guard("读取", self.collection.get, limit=page, offset=offset,
                              include=["documents", "metadatas"])
            ids += got["ids"]
            docs += got["documents"] or []
            metas += got["metadatas"] or []
        return ids, docs, metas

    def ids_of(self, source: str) -> list[str]:
        return self._guard("读取", self.collection.get, where={"source": source}, include=[])["ids"]

    def query(self, embedding, n: int, where: dict | None = None) -> list[tuple[str, float]]:
        n = max(1, min(n, self.count()))
        res = self._guard("检索", self.collection.query, query_embeddings=[embedding], n_results=n, where=where,
                          include=["distances"])
        ids = res["ids"][0] if res["ids"] else []
        dists = res["distances"][0] if res.get("distances") else [0.0] * len(ids)
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=False)]

    # ---------------------------------------------------------------- writing
    def _bump(self) -> None:
        meta = dict(self.collection.metadata or {})
        meta.update({"embedding": self.kind, "revision": uuid.uuid4().hex, "updated_at": time.time()})
        self.collection.modify(metadata=meta)

    def _batches(self, items: list, size: int | None = None):
        size = size or max(1, min(int(self.settings.kb_write_batch), self.client.get_max_batch_size()))
        for start in range(0, len(items), size):
            yield items[start:start + size]

    def replace_sources(self, batch: dict[str, list[Record]]) -> None:
        """Make each source's records its only chunks, all at once or not at all. Several files are written in
        one call (Chroma's cost is per call), so a failure rolls back every file of the batch: new ids are
        written first and deleted again on error; stale ids go only after every new chunk is in. A process killed
        in between leaves a version with fewer chunks than it declares, which never counts (versions.committed)."""
        if not batch:
            return
        sources = list(batch)
        got = self._guard("读取", self.collection.get, where={"source": {"$in": sources}}, include=["metadatas"])
        old: dict[str, set[str]] = {s: set() for s in sources}
        for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
            old.setdefault((meta or {}).get("source", ""), set()).add(cid)
        before = set().union(*old.values())
        records = [r for s in sources for r in batch[s]]
        attempted: list[str] = []
        try:
            for part in self._batches(records):
                attempted += [r.id for r in part]  # a failing call may still have written some of its part
                self.collection.upsert(
                    ids=[r.id for r in part],
                    documents=[r.document for r in part],
                    embeddings=[r.embedding for r in part],
                    metadatas=[r.metadata for r in part],
                )
                log.info("chroma upsert %d/%d chunks", len(attempted), len(records))
        except Exception as exc:
            fresh = [i for i in attempted if i not in before]
            if fresh:
                try:
                    self.collection.delete(ids=fresh)
                except Exception:  # noqa: BLE001 - best effort; the doc_hash check repairs on the next ingest
                    pass
            raise StoreError(f"写入 Chroma 失败，已回滚：{exc}") from exc
        keep = {r.id for r in records}
        stale = sorted(before - keep)
        for part in self._batches(stale):
            self._guard("删除旧片段", self.collection.delete, ids=part)
        self._guard("写入", self._bump)

    def replace_source(self, source: str, records: list[Record]) -> None:
        self.replace_sources({source: records})

    def delete_source(self, source: str) -> int:
        ids = self.ids_of(source)
        for batch in self._batches(ids):
            self._guard("删除", self.collection.delete, ids=batch)
        if ids:
            self._guard("写入", self._bump)
        return len(ids)

    def reset(self) -> None:
        try:
            self.client.delete_collection(self.name)
        except Exception:  # noqa: BLE001 - already gone
            pass
        self.collection = self._open()
