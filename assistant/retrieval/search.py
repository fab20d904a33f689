"""Hybrid retrieval: an in-memory BM25 index (bm25s over jieba tokens) beside Chroma's vector search, fused by
reciprocal rank fusion, with an optional plan-section filter.

The Snapshot mirrors the collection (ids, display texts, metadata, tokens); it is rebuilt only when the store's
revision changes, so a search costs one BM25 scoring pass, one Chroma query and a merge.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable

import numpy as np

from .models import Chunk, SourceInfo
from .store import GENERAL_FLAG, section_flag
from .versions import Unsettled

RRF_K = 60
CANDIDATES = 50
OVERFETCH = 1.2  # fetch this much more than the filter's pass rate predicts
MAX_FETCH = 400


class Snapshot:
    """The store's chunks in memory, with their BM25 index and per-section masks."""

    def __init__(self, revision: str, ids: list[str], docs: list[str], metas: list[dict],
                 unsettled: dict[str, Unsettled] | None = None) -> None:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)

        self.revision = revision
        self.unsettled = unsettled or {}  # sources with chunks that do not count (versions.committed)
        self.ids = ids
        self.docs = docs
        self.metas = [m or {} for m in metas]
        self.index_of = {cid: i for i, cid in enumerate(ids)}
        self.bm25 = None
        if ids:
            self.bm25 = bm25s.BM25(k1=1.2, b=0.75)
            self.bm25.index([(m.get("tokens") or "").split() for m in self.metas], show_progress=False)
        self._general = np.array([bool(m.get(GENERAL_FLAG)) for m in self.metas], dtype=bool)
        self._masks: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def mask(self, section: str | None) -> np.ndarray | None:
        """Chunks serving `section`, plus chunks of documents that declare no sections (general material)."""
        if section is None:
            return None
        if section not in self._masks:
            flag = section_flag(section)
            own = np.array([bool(m.get(flag)) for m in self.metas], dtype=bool)
            self._masks[section] = own | self._general
        return self._masks[section]

    def bm25_rank(self, tokens: list[str], n: int, section: str | None = None) -> list[tuple[int, float]]:
        if self.bm25 is None:
            return []
        known = [t for t in tokens if t in self.bm25.vocab_dict]
        if not known:
            return []
        scores = self.bm25.get_scores(known)
        mask = self.mask(section)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def chunk(self, i: int, score: float) -> Chunk:
        m = self.metas[i]
        return Chunk(id=self.ids[i], text=self.docs[i], source=m.get("source", ""), title=m.get("title", ""),
                     headings=json.loads(m.get("headings") or "[]"), sections=json.loads(m.get("sections") or "[]"),
                     score=score)

    def sources(self) -> list[SourceInfo]:
        by_source: dict[str, SourceInfo] = {}
        for m in self.metas:
            src = m.get("source", "")
            info = by_source.get(src)
            if info is None:
                by_source[src] = SourceInfo(source=src, title=m.get("title", ""), kind=m.get("kind", "user"), chunks=1,
                                            sections=json.loads(m.get("sections") or "[]"),
                                            doc_hash=m.get("doc_hash", ""))
            else:
                info.chunks += 1
        return sorted(by_source.values(), key=lambda s: (s.kind != "builtin", s.source))

    def doc_state(self) -> dict[str, tuple[set[str], int]]:
        """source -> (the doc_hash values its chunks carry, chunk count): the idempotency check's input."""
        out: dict[str, tuple[set[str], int]] = {}
        for m in self.metas:
            hashes, n = out.get(m.get("source", ""), (set(), 0))
            hashes.add(m.get("doc_hash", ""))
            out[m.get("source", "")] = (hashes, n + 1)
        return out


def section_where(section: str | None) -> dict | None:
    if section is None:
        return None
    return {"$or": [{section_flag(section): True}, {GENERAL_FLAG: True}]}


def rrf(rankings: list[list[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: score(d) = sum over lists of 1 / (k + rank), ranks from 1."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, idx in enumerate(ranking, start=1):
            scores[idx] = scores.get(idx, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def vector_rank(snapshot: Snapshot, vector_query: Callable[[int, dict | None], list[tuple[str, float]]], n: int,
                section: str | None, enough: int | None = None) -> list[tuple[int, float]]:
    """Up to n nearest chunks from Chroma. A section filter is applied to an over-fetched unfiltered result
    (sized by the share of chunks that pass the filter), because Chroma's own filtered search costs several
    times more; Chroma filters itself only when that leaves fewer than `enough` chunks."""

    def mapped(hits: list[tuple[str, float]]) -> list[tuple[int, float]]:
        return [(snapshot.index_of[cid], sim) for cid, sim in hits if cid in snapshot.index_of]

    mask = snapshot.mask(section)
    total = len(snapshot)
    allowed = total if mask is None else int(mask.sum())
    if allowed == total:
        return mapped(vector_query(n, None))
    if allowed == 0:
        return []
    fetch = min(total, MAX_FETCH, max(n, math.ceil(n * OVERFETCH * total / allowed)))
    hits = [(i, sim) for i, sim in mapped(vector_query(fetch, None)) if mask[i]]
    if len(hits) < min(enough or n, allowed):
        hits = mapped(vector_query(n, section_where(section)))
    return hits[:n]


def hybrid_search(snapshot: Snapshot, tokens: list[str], vector_query: Callable[[int, dict | None], list[tuple[str, float]]],
                  k: int, section: str | None, mode: str, candidates: int = CANDIDATES,
                  rrf_k: int = RRF_K) -> list[Chunk]:
    """Top-k chunks for one query. `vector_query(n, where)` returns (id, similarity) pairs best first."""
    if len(snapshot) == 0:
        return []
    depth = max(candidates, k)
    lexical: list[tuple[int, float]] = []
    semantic: list[tuple[int, float]] = []
    if mode in ("bm25", "hybrid"):
        lexical = snapshot.bm25_rank(tokens, depth if mode == "hybrid" else k, section)
    if mode in ("vector", "hybrid"):
        # for fusion a dozen filtered neighbours are plenty; the filtered fallback is for sparse filters
        semantic = vector_rank(snapshot, vector_query, depth if mode == "hybrid" else k, section,
                               enough=max(2 * k, 10) if mode == "hybrid" else k)
    if mode == "bm25":
        ranked = lexical
    elif mode == "vector":
        ranked = semantic
    else:
        ranked = rrf([[i for i, _ in lexical], [i for i, _ in semantic]], k=rrf_k)
    return [snapshot.chunk(i, round(score, 6)) for i, score in ranked[:k]]
