"""The knowledge base: one place where the retrieval pipeline reads top to bottom.

    ingest:  path -> loaders.load -> cleaning.clean_text -> splitter.split_document -> text.normalize
             -> BM25 tokens + embedding -> store.replace_source (all chunks of a file at once, or none)
    search:  query -> normalize -> tokens + embedding -> BM25 (memory) + vector (Chroma) -> RRF -> Chunks

The built-in methodology notes (settings.knowledge_dir) are indexed on first use and re-indexed when a note
changes; users' documents are added with `ingest`. A file counts as ingested only once all its chunks are in
(versions.committed); a run that was killed is healed by the next ingest. A knowledge base made with
`builtin=False` holds only what was ingested into it (a UI user's own uploads, see personal.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings, get_settings
from .cleaning import clean_text
from .embeddings import HashingEmbeddingFunction, make_embedding_function
from .loaders import LoadedDocument, LoadError, check_file, load
from .models import Chunk, IngestReport, IngestRow, SearchMode, SourceInfo
from .search import Snapshot, hybrid_search
from .splitter import SplitConfig, assign_ids, split_document
from .store import GENERAL_FLAG, MissingCollection, Record, Store, StoreError, section_flag
from .text import expand_for_search, normalize, words
from .versions import Unsettled, committed

# bump when loading, cleaning or splitting changes, so unchanged files are re-indexed once
PIPELINE_VERSION = "1"
REVISION_TTL = 1.0  # seconds between checks for changes made by another process or user
WRITE_BATCH = 2000  # chunks per Chroma write: its cost is mostly per call, so files are written in groups
IngestProgress = Callable[[int, int, str], None]


@dataclass
class _Pending:
    row: IngestRow
    source: str
    records: list[Record]


def section_keys() -> list[str]:
    from ..schema import SECTION_KEYS

    return list(SECTION_KEYS)


def _first_short_line(text: str) -> str | None:
    for line in text.splitlines()[:1]:
        line = line.strip().lstrip("#").strip()
        if line and len(line) <= 40 and not re.search(r"[。；，,;：:]$", line):
            return line
    return None


class KnowledgeBase:
    def __init__(self, settings: Settings | None = None, split_config: SplitConfig | None = None,
                 builtin: bool = True) -> None:
        self.settings = settings or get_settings()
        self.builtin = builtin
        self.split_config = split_config or SplitConfig()
        self._store: Store | None = None
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._builtin_fingerprint: tuple | None = None
        self._lock = threading.RLock()

    # ---------------------------------------------------------------- plumbing
    @property
    def store(self) -> Store:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = Store(self.settings, make_embedding_function(self.settings))
        return self._store

    def exists(self) -> bool:
        """Whether the collection exists (a knowledge base without built-ins is created by its first ingest)."""
        if self._store is not None or self.builtin:
            return True
        with self._lock:
            try:
                self._store = Store(self.settings, make_embedding_function(self.settings), create=False)
            except MissingCollection:
                return False
        return True

    def _snap(self, force: bool = False) -> Snapshot:
        now = time.monotonic()
        snap = self._snapshot
        if snap is not None and not force and now - self._checked_at < REVISION_TTL:
            return snap
        with self._lock:
            revision = self.store.revision()
            if self._snapshot is None or self._snapshot.revision != revision:
                ids, docs, metas, unsettled = committed(*self.store.get_all())
                self._snapshot = Snapshot(revision, ids, docs, metas, unsettled)
            self._checked_at = time.monotonic()
            return self._snapshot

    @property
    def knowledge_dir(self) -> Path:
        return Path(self.settings.knowledge_dir)

    def _source_of(self, path: Path) -> tuple[str, str]:
        """(source key, kind): built-in notes are keyed 'knowledge/<name>', users' files by absolute path."""
        resolved = path.resolve()
        try:
            rel = resolved.relative_to(self.knowledge_dir.resolve())
            return f"knowledge/{rel.as_posix()}", "builtin"
        except ValueError:
            return str(resolved), "user"

    # ---------------------------------------------------------------- ingestion
    def _collect(self, paths: Iterable[str | Path]) -> list[tuple[Path, str | None]]:
        files: list[tuple[Path, str | None]] = []
        for raw in paths:
            path = Path(raw).expanduser()
            if path.is_dir():
                for f in sorted(p for p in path.rglob("*") if p.is_file()):
                    rel_parts = f.relative_to(path).parts
                    if any(part.startswith(".") for part in rel_parts):
                        continue
                    files.append((f, None))
            elif path.exists():
                files.append((path, None))
            else:
                files.append((path, "路径不存在"))
        return files

    def _prepare(self, path: Path, doc: LoadedDocument, source: str, kind: str, doc_hash: str) -> list[Record]:
        """The file's chunks as store records; each declares its version and how many chunks that version has."""
        cleaned = clean_text(doc.text)
        title = (doc.title or cleaned.title_hint or _first_short_line(cleaned.text) or path.stem).strip()
        drafts = split_document(cleaned.text, title, outline=doc.fmt != "markdown", config=self.split_config)
        drafts = assign_ids(source, [d for d in drafts if d.body.strip()])
        valid = set(section_keys())
        sections = [s for s in dict.fromkeys(doc.sections) if s in valid]
        ef = self.store.ef
        index_texts = [normalize(d.text) for d in drafts]
        precise = [words(t) for t in index_texts]
        if isinstance(ef, HashingEmbeddingFunction):
            embeddings = [ef.embed_words(t, w) for t, w in zip(index_texts, precise, strict=False)]
        else:
            embeddings = list(ef(index_texts)) if index_texts else []
        records: list[Record] = []
        stamp = time.time()
        for draft, tokens_src, emb in zip(drafts, precise, embeddings, strict=False):
            meta = {
                "source": source, "kind": kind, "title": title, "ordinal": draft.ordinal, "doc_hash": doc_hash,
                "doc_chunks": len(drafts), "ingested_at": stamp,
                "headings": json.dumps(draft.headings, ensure_ascii=False),
                "sections": json.dumps(sections, ensure_ascii=False),
                "tokens": " ".join(expand_for_search(tokens_src)),
            }
            for s in sections:
                meta[section_flag(s)] = True
            if not sections:
                meta[GENERAL_FLAG] = True
            records.append(Record(id=draft.id, document=draft.text, embedding=emb, metadata=meta))
        return records

    def _prepare_file(self, path: Path, known: dict[str, tuple[set[str], int]],
                      unsettled: dict[str, Unsettled]) -> IngestRow | _Pending:
        """Everything short of writing: a finished row (unchanged / skipped) or the records to write. A file is
        unchanged only when its complete version is stored and nothing else is (no interrupted write)."""
        shown = str(path)
        max_bytes = int(self.settings.max_file_mb * 1048576)
        try:
            check_file(path, max_bytes)
            source, kind = self._source_of(path)
            data = path.read_bytes()
            doc_hash = hashlib.sha256(PIPELINE_VERSION.encode() + b"\0" + data).hexdigest()[:32]
            hashes, count = known.get(source, (set(), 0))
            if hashes == {doc_hash} and source not in unsettled:
                return IngestRow(path=shown, status="unchanged", chunks=count)
            doc = load(path, max_bytes=max_bytes)
            records = self._prepare(path, doc, source, kind, doc_hash)
            if not records:
                raise LoadError("清洗后没有可索引的正文")
            existed = source in known
            known[source] = ({doc_hash}, len(records))
            return _Pending(IngestRow(path=shown, status="replaced" if existed else "added", chunks=len(records)),
                            source, records)
        except LoadError as exc:
            return IngestRow(path=shown, status="skipped", reason=str(exc))
        except PermissionError:
            return IngestRow(path=shown, status="skipped", reason="没有读取权限")
        except OSError as exc:
            return IngestRow(path=shown, status="skipped", reason=f"读取失败：{exc.strerror or exc}")

    def _commit(self, pending: list[_Pending]) -> None:
        """Write a group of prepared files in one go; on failure every file of the group is reported skipped
        (none of them was changed)."""
        if not pending:
            return
        try:
            self.store.replace_sources({p.source: p.records for p in pending})
        except StoreError as exc:
            for p in pending:
                p.row.status, p.row.chunks, p.row.reason = "skipped", 0, str(exc)
        pending.clear()

    def ingest(self, paths: Iterable[str | Path], progress: IngestProgress | None = None,
               heal: bool = True) -> IngestReport:
        """Ingest files and folders; every file gets a row (added / unchanged / replaced / skipped + reason).
        With `heal`, users' files whose last ingest was interrupted are completed too (they get rows of their own)."""
        files = self._collect(paths)
        report = IngestReport()
        with self._lock:
            snapshot = self._snap(force=True)
            known, unsettled = snapshot.doc_state(), snapshot.unsettled
            if heal:
                files += self._interrupted(unsettled, {p.resolve() for p, _ in files})
            pending: list[_Pending] = []
            for n, (path, reason) in enumerate(files, start=1):
                if reason:
                    report.rows.append(IngestRow(path=str(path), status="skipped", reason=reason))
                else:
                    result = self._prepare_file(path, known, unsettled)
                    if isinstance(result, _Pending):
                        report.rows.append(result.row)
                        pending.append(result)
                        if sum(len(p.records) for p in pending) >= WRITE_BATCH:
                            self._commit(pending)
                    else:
                        report.rows.append(result)
                if progress:
                    progress(n, len(files), str(path))
            self._commit(pending)
            if any(r.status in ("added", "replaced") for r in report.rows):
                self._snap(force=True)
        return report

    def _interrupted(self, unsettled: dict[str, Unsettled], asked: set[Path]) -> list[tuple[Path, str | None]]:
        """Users' files whose last ingest did not finish and that still exist: any ingest run completes them."""
        extra = []
        for info in unsettled.values():
            path = Path(info.source)
            if info.kind == "user" and path.is_absolute() and path.is_file() and path.resolve() not in asked:
                extra.append((path, None))
        return extra

    def builtin_files(self) -> list[Path]:
        if not self.builtin or not self.knowledge_dir.is_dir():
            return []
        return sorted(p for p in self.knowledge_dir.rglob("*.md")
                      if p.is_file() and not p.name.startswith((".", "_")) and p.name.lower() != "readme.md")

    def ensure_builtin(self, progress: IngestProgress | None = None) -> IngestReport:
        """Index knowledge/ if it is new or changed since this process last looked; drop notes that were deleted.
        Cheap when nothing changed (a stat of each note)."""
        files = self.builtin_files()
        fingerprint = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
        if fingerprint == self._builtin_fingerprint:
            return IngestReport()
        with self._lock:
            report = self.ingest(files, progress=progress, heal=False) if files else IngestReport()
            present = {self._source_of(p)[0] for p in files}
            snapshot = self._snap(force=True)
            stored = [(s.source, s.kind) for s in snapshot.sources()] + [(u.source, u.kind) for u in
                                                                          snapshot.unsettled.values()]
            for source, kind in stored:
                if kind == "builtin" and source not in present:
                    self.store.delete_source(source)
            self._snap(force=True)
            self._builtin_fingerprint = fingerprint
        return report

    # ---------------------------------------------------------------- queries
    def search(self, query: str, k: int = 5, section: str | None = None, mode: SearchMode = "hybrid") -> list[Chunk]:
        """Top-k chunks for `query`. `section` keeps chunks serving that plan section (plus general material
        that declares no section); mode is "hybrid" (default), "bm25" or "vector"."""
        if mode not in ("hybrid", "bm25", "vector"):
            raise ValueError(f"未知的检索模式：{mode}（可选 hybrid、bm25、vector）")
        if section is not None and section not in section_keys():
            raise ValueError(f"未知的方案章节：{section}（可选：{', '.join(section_keys())}）")
        if not query or not query.strip() or k <= 0:
            return []
        if not self.exists():
            return []
        self.ensure_builtin()
        snapshot = self._snap()
        norm = normalize(query)
        precise = words(norm)
        tokens = expand_for_search(precise)
        ef = self.store.ef

        def vector_query(n: int, where: dict | None) -> list[tuple[str, float]]:
            if isinstance(ef, HashingEmbeddingFunction):
                emb = ef.embed_words(norm, precise)
            else:
                emb = ef([norm])[0]
            return self.store.query(emb, n, where)

        return hybrid_search(snapshot, tokens, vector_query, k=k, section=section, mode=mode)

    def list_sources(self) -> list[SourceInfo]:
        """Every source with its chunks that count; one whose last ingest was interrupted is marked incomplete."""
        if not self.exists():
            return []
        self.ensure_builtin()
        snapshot = self._snap(force=True)
        listed = snapshot.sources()
        for info in listed:
            info.complete = info.source not in snapshot.unsettled
        shown = {s.source for s in listed}
        listed += [SourceInfo(source=u.source, title=u.title, kind=u.kind, chunks=0, complete=False)
                   for u in snapshot.unsettled.values() if u.source not in shown]
        return sorted(listed, key=lambda s: (s.kind != "builtin", s.source))

    def resolve_source(self, source: str) -> str | None:
        """The stored source a user means: exact key, a path to it, or a unique file name."""
        snapshot = self._snap(force=True)
        sources = [s.source for s in snapshot.sources()] + list(snapshot.unsettled)
        if source in sources:
            return source
        candidate = self._source_of(Path(source).expanduser())[0]
        if candidate in sources:
            return candidate
        by_name = [s for s in sources if Path(s).name == source or s.endswith("/" + source)]
        return by_name[0] if len(by_name) == 1 else None

    def remove(self, source: str) -> int:
        """Remove every chunk of one source; returns how many. Built-in notes come back on next use, so
        removing them is refused."""
        key = self.resolve_source(source)
        if key is None:
            raise KeyError(f"知识库中没有这个来源：{source}（用 planassist kb list 查看）")
        if key.startswith("knowledge/"):
            raise PermissionError(f"{key} 是内置方法论文档，会在下次使用时自动重新导入，不能单独删除")
        with self._lock:
            removed = self.store.delete_source(key)
            self._snap(force=True)
        return removed

    def reset(self) -> None:
        """Delete the whole collection (built-in notes are re-indexed on next use)."""
        with self._lock:
            self.store.reset()
            self._snapshot = None
            self._builtin_fingerprint = None


_cache: dict[tuple, KnowledgeBase] = {}
_cache_lock = threading.Lock()


def get_knowledge_base(settings: Settings | None = None, *, builtin: bool = True) -> KnowledgeBase:
    """One KnowledgeBase per data directory / server / collection / embedding, shared by every caller."""
    settings = settings or get_settings()
    key = (str(Path(settings.data_dir).resolve()), settings.chroma_host, settings.chroma_port, settings.collection,
           settings.embedding, settings.embedding_model, str(settings.embedding_path or ""),
           str(Path(settings.knowledge_dir).resolve()), builtin)
    with _cache_lock:
        kb = _cache.get(key)
        if kb is None:
            kb = _cache[key] = KnowledgeBase(settings, builtin=builtin)
        return kb
