"""The labelled intake corpus: what sales managers type, from many industries, read by the rule reader alone.

The floor (evals/intake/floor.json) only ever goes up: `evals/intake/bench.py --raise-floor` writes better figures,
and this test fails when a change reads the corpus worse than the floor or the floor drops below the targets.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from assistant.intake.benchmark import CORPUS_DIR, load_corpus, run_corpus

TARGETS = {"precision": 0.98, "recall": 0.95}  # the targets for the rule reader alone


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS_DIR)


@pytest.fixture(scope="module")
def score():
    return run_corpus()


def test_the_corpus_has_hundreds_of_utterances_from_many_industries_in_many_styles(corpus):
    assert len(corpus) >= 200
    assert len({i.id for i in corpus}) == len(corpus)
    industries = Counter(i.industry for i in corpus)
    assert len([n for n in industries if n not in ("generic", "heldout")]) >= 10
    kinds = Counter(i.kind for i in corpus)
    assert kinds["first"] >= 100 and kinds["revision"] >= 50 and kinds["followup"] >= 10
    styles = Counter(s for i in corpus for s in i.style)
    assert {"口语", "错别字", "全角", "汉字数字", "中英混合", "更正", "列表", "连写"} <= set(styles)
    for item in corpus:
        assert item.text.strip()
        assert item.kind != "revision" or item.base, item.id
        assert item.kind != "followup" or item.previous, item.id


def test_the_rule_reader_stays_above_the_floor_and_the_floor_above_the_targets(score):
    floor = json.loads((CORPUS_DIR / "floor.json").read_text(encoding="utf-8"))
    assert floor["precision"] >= TARGETS["precision"] and floor["recall"] >= TARGETS["recall"]
    misses = "\n".join(f"{u.item} {u.field} {u.kind}: expected {u.expected!r}, read {u.read!r}"
                       for u in score.misses())
    assert score.precision() >= floor["precision"], misses
    assert score.recall() >= floor["recall"], misses


def test_every_message_check_passes(score):
    failed = [f"{c.item} {c.what}: {c.detail}" for c in score.checks if not c.ok]
    assert not failed, "\n".join(failed)


def test_a_miss_is_counted_and_listed():
    """The scorer is not blind: a reader that reads nothing scores zero recall, one that invents scores low precision."""
    from assistant.intake.benchmark import Reading, score_corpus

    items = load_corpus(CORPUS_DIR)[:40]
    nothing = score_corpus(items, lambda it: Reading(fields={}))
    assert nothing.recall() == 0 and nothing.misses()
    invented = score_corpus(items, lambda it: Reading(fields={"company": "随便公司", "revenue_target": 1}))
    assert invented.precision() < 0.5
