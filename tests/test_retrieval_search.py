"""Fusion and filtering mechanics of hybrid search, on a hand-made snapshot."""

from __future__ import annotations

from assistant.retrieval.search import Snapshot, hybrid_search, rrf, section_where, vector_rank
from assistant.retrieval.store import GENERAL_FLAG, section_flag


def snapshot(n: int, budget: set[int], general: set[int] = frozenset()) -> Snapshot:
    """n chunks; those in `budget` serve the budget section, `general` ones serve none, the rest serve swot."""
    metas = []
    for i in range(n):
        if i in general:
            metas.append({"source": f"user{i}.md", "title": "", "tokens": f"词{i} 预算", GENERAL_FLAG: True})
            continue
        key = "budget" if i in budget else "swot"
        metas.append({"source": f"s{i}", "title": f"t{i}", "tokens": f"词{i} 预算" if i in budget else f"词{i}",
                      section_flag(key): True, "sections": f'["{key}"]'})
    return Snapshot("r1", [f"id{i}" for i in range(n)], [f"text {i}" for i in range(n)], metas)


class FakeChroma:
    """Ranks ids by index; records each call's (n, where)."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.calls: list[tuple[int, dict | None]] = []

    def __call__(self, n: int, where: dict | None):
        self.calls.append((n, where))
        ids = self.snap.ids
        if where is not None:
            flag = section_flag("budget")
            ids = [cid for cid, m in zip(self.snap.ids, self.snap.metas, strict=False) if m.get(flag)]
        return [(cid, 1.0 - r / 1000) for r, cid in enumerate(ids[:n])]


def test_reciprocal_rank_fusion_rewards_agreement_between_the_two_rankings():
    fused = rrf([[1, 2, 3], [3, 1, 4]], k=60)
    assert [i for i, _ in fused] == [1, 3, 2, 4]
    assert fused[0][1] == 1 / 61 + 1 / 62


def test_a_dense_section_filter_is_applied_to_an_over_fetched_unfiltered_result():
    snap = snapshot(100, budget=set(range(0, 100, 2)))  # half pass
    chroma = FakeChroma(snap)
    hits = vector_rank(snap, chroma, n=10, section="budget")
    assert len(hits) == 10 and all(i % 2 == 0 for i, _ in hits)
    assert chroma.calls == [(24, None)]  # 10 x 1.2 x (100 / 50): no filtered search needed


def test_a_sparse_section_filter_falls_back_to_chromas_filtered_search():
    snap = snapshot(1000, budget={990, 995})
    chroma = FakeChroma(snap)
    hits = vector_rank(snap, chroma, n=10, section="budget")
    assert [i for i, _ in hits] == [990, 995]
    assert chroma.calls[-1] == (10, section_where("budget"))


def test_general_material_passes_every_section_filter():
    snap = snapshot(4, budget={0}, general={3})
    assert snap.mask("budget").tolist() == [True, False, False, True]
    assert snap.mask("swot").tolist() == [False, True, True, True]
    chunks = hybrid_search(snap, ["预算"], FakeChroma(snap), k=5, section="budget", mode="bm25")
    assert {c.source for c in chunks} == {"s0", "user3.md"}


def test_hybrid_returns_at_most_k_chunks_with_fused_scores_in_descending_order():
    snap = snapshot(30, budget=set(range(30)))
    chunks = hybrid_search(snap, ["词3"], FakeChroma(snap), k=5, section=None, mode="hybrid")
    # id3 is BM25's only hit and 4th by vector: found by both, it beats the vector-only leader id0
    assert [c.id for c in chunks] == ["id3", "id0", "id1", "id2", "id4"]
    assert abs(chunks[0].score - (1 / 61 + 1 / 64)) < 1e-6
    assert [c.score for c in chunks] == sorted((c.score for c in chunks), reverse=True)
