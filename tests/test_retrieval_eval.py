"""The retrieval eval: its arithmetic, its data, and the quality bar on the real knowledge/."""

from __future__ import annotations

import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.retrieval.evaluate import EvalQuery, evaluate, first_relevant_rank, load_queries, run_eval
from assistant.retrieval.models import Chunk
from assistant.schema import SECTION_KEYS

QUERIES = PROJECT_ROOT / "evals" / "retrieval" / "queries.yaml"
KNOWLEDGE = PROJECT_ROOT / "knowledge"


class ScriptedKB:
    """Returns fixed rankings so the metrics can be checked by hand."""

    def __init__(self, rankings: dict[str, list[str]]) -> None:
        self.rankings = rankings

    def search(self, query, k=5, section=None, mode="hybrid"):
        return [Chunk(id=f"{query}{i}", text="", source=f"knowledge/{s}", title="") for i, s in
                enumerate(self.rankings[query][:k])]


def test_hit_rates_and_mrr_are_computed_from_the_first_relevant_rank():
    kb = ScriptedKB({"a": ["x.md", "good.md"], "b": ["good.md"], "c": ["x.md"] * 5 + ["good.md"], "d": ["x.md"]})
    queries = [EvalQuery(id=q, query=q, relevant=["good.md"]) for q in "abcd"]
    result = evaluate(kb, queries, modes=["hybrid"]).by_mode("hybrid")
    assert result.hit_at_1 == pytest.approx(1 / 4)
    assert result.hit_at_5 == pytest.approx(2 / 4)
    assert result.mrr == pytest.approx((1 / 2 + 1 + 1 / 6) / 4)
    assert result.misses == ["c", "d"]
    assert first_relevant_rank(["knowledge/a.md", "/abs/path/b.md"], ["b.md"]) == 2


@pytest.mark.skipif(not QUERIES.exists(), reason="evals/retrieval/queries.yaml not written yet")
def test_the_labelled_queries_are_well_formed_and_point_at_existing_notes():
    queries = load_queries(QUERIES)
    assert len(queries) >= 40
    assert len({q.id for q in queries}) == len(queries)
    for q in queries:
        assert q.query.strip() and q.relevant, q.id
        for name in q.relevant:
            assert (KNOWLEDGE / name).is_file(), (q.id, name)
        assert q.section is None or q.section in SECTION_KEYS, (q.id, q.section)


@pytest.mark.skipif(not QUERIES.exists(), reason="evals/retrieval/queries.yaml not written yet")
@pytest.mark.slow
def test_hybrid_retrieval_meets_the_bar_on_the_built_in_knowledge(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path, knowledge_dir=KNOWLEDGE, chroma_host=None, embedding="hashing")
    result = run_eval(QUERIES, settings=settings)
    hybrid = result.by_mode("hybrid")
    assert hybrid.hit_at_5 >= 0.9, result
    assert hybrid.hit_at_5 >= max(r.hit_at_5 for r in result.results), result
