"""Retrieval evaluation: labelled queries over knowledge/ -> hit@1, hit@5 and MRR per mode.

Queries file (evals/retrieval/queries.yaml): a list of {id, query, relevant: [file names under knowledge/],
section?}. A query is a hit at k when a chunk from one of its relevant notes is among the top k; MRR uses the
rank of the first relevant chunk within the top `depth`. The index is built in a throw-away data directory from
knowledge/ alone, so users' own documents never colour the figures.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

MODES = ("bm25", "vector", "hybrid")


class EvalQuery(BaseModel):
    id: str
    query: str
    relevant: list[str]
    section: str | None = None


class ModeResult(BaseModel):
    mode: str
    hit_at_1: float
    hit_at_5: float
    mrr: float
    misses: list[str] = Field(default_factory=list)  # query ids with no relevant chunk in the top 5


class EvalResult(BaseModel):
    queries: int
    results: list[ModeResult]

    def by_mode(self, mode: str) -> ModeResult:
        return next(r for r in self.results if r.mode == mode)


def load_queries(path: Path) -> list[EvalQuery]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("queries", [])
    queries = []
    for i, item in enumerate(data or []):
        item = dict(item)
        item.setdefault("id", f"q{i + 1}")
        item["id"] = str(item["id"])
        rel = item.get("relevant") or []
        item["relevant"] = [rel] if isinstance(rel, str) else list(rel)
        queries.append(EvalQuery(**item))
    return queries


def first_relevant_rank(sources: Iterable[str], relevant: list[str]) -> int | None:
    wanted = {Path(r).name for r in relevant}
    for rank, source in enumerate(sources, start=1):
        if Path(source).name in wanted:
            return rank
    return None


def evaluate(kb, queries: list[EvalQuery], modes: Iterable[str] = MODES, depth: int = 10,
             use_sections: bool = True) -> EvalResult:
    results = []
    for mode in modes:
        h1 = h5 = rr = 0.0
        misses: list[str] = []
        for q in queries:
            chunks = kb.search(q.query, k=depth, section=q.section if use_sections else None, mode=mode)
            rank = first_relevant_rank((c.source for c in chunks), q.relevant)
            if rank is not None:
                h1 += rank == 1
                h5 += rank <= 5
                rr += 1.0 / rank
            if rank is None or rank > 5:
                misses.append(q.id)
        n = max(1, len(queries))
        results.append(ModeResult(mode=mode, hit_at_1=h1 / n, hit_at_5=h5 / n, mrr=rr / n, misses=misses))
    return EvalResult(queries=len(queries), results=results)


def run_eval(queries_path: Path, settings=None, modes: Iterable[str] = MODES, use_sections: bool = True,
             data_dir: Path | None = None) -> EvalResult:
    """Index knowledge/ into a fresh local store (or `data_dir`) and evaluate every mode on it."""
    from ..config import get_settings
    from .knowledge_base import KnowledgeBase

    base = settings or get_settings()
    queries = load_queries(queries_path)
    with tempfile.TemporaryDirectory(prefix="planassist-eval-") as tmp:
        target = Path(data_dir) if data_dir else Path(tmp)
        settings = base.model_copy(update={"data_dir": target, "chroma_host": None, "collection": "eval"})
        kb = KnowledgeBase(settings)
        kb.ensure_builtin()
        return evaluate(kb, queries, modes=modes, use_sections=use_sections)


def render_table(result: EvalResult, title: str = "检索评测"):
    from rich.table import Table

    table = Table(title=f"{title}（{result.queries} 条查询）")
    table.add_column("指标")
    for r in result.results:
        table.add_column(r.mode, justify="right")
    for label, attr in (("hit@1", "hit_at_1"), ("hit@5", "hit_at_5"), ("MRR", "mrr")):
        table.add_row(label, *[f"{getattr(r, attr):.3f}" for r in result.results])
    return table
