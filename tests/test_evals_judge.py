"""The optional judge: rubric scores parsed strictly, garbage retried then reported as a judge failure (never a
score), and the pairwise judge hides which version is A by randomising the order — and maps the answer back."""

from __future__ import annotations

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.config import PROJECT_ROOT
from assistant.evals.cases import load_cases
from assistant.evals.judge import Judge
from assistant.evals.results import DraftRecord

CASE = load_cases(PROJECT_ROOT / "evals" / "cases", ["b2b-lubricant-jiangsu-year"])[0][0]
GOOD = ('{"specificity": {"score": 4, "reason": "点名了苏南园区"}, "actionability": {"score": 3, "reason": "缺少负责人"},'
        ' "fidelity": {"score": 5, "reason": "与请求一致"}, "grounding": {"score": 2, "reason": "没有引用"}}')


def _record(version: str) -> DraftRecord:
    return DraftRecord(case_id=CASE.id, version=version, repeat=0, texts={"sales_targets": f"{version} 的销售目标"})


def test_a_well_formed_rubric_answer_becomes_four_scores():
    judge = Judge(FakeListChatModel(responses=[GOOD]), "fake-judge")
    score = judge.rubric(CASE, _record("v1"))
    assert score.ok and score.attempts == 1
    assert score.scores == {"specificity": 4, "actionability": 3, "fidelity": 5, "grounding": 2}
    # the judge's prompts are versioned by content: the hash is of the two template files
    from assistant.evals.judge import JUDGE_DIR
    from assistant.evals.results import text_hash
    assert judge.prompt_hash == text_hash((JUDGE_DIR / "rubric.md").read_text(encoding="utf-8") + "\0"
                                          + (JUDGE_DIR / "pairwise.md").read_text(encoding="utf-8"))


def test_garbage_is_retried_and_then_reported_as_a_judge_failure_not_a_score():
    model = FakeListChatModel(responses=["我觉得写得不错！", '{"specificity": 9}', '{"winner": "1"}'])
    score = Judge(model, "fake-judge").rubric(CASE, _record("v1"))
    assert not score.ok and score.scores == {} and score.attempts == 3
    assert "评审失败" in score.error and "1到5" in score.error


def test_a_garbage_answer_followed_by_a_good_one_is_used():
    score = Judge(FakeListChatModel(responses=["```\n不是JSON\n```", GOOD]), "fake-judge").rubric(CASE, _record("v1"))
    assert score.ok and score.attempts == 2


def test_the_pairwise_judge_randomises_order_and_maps_the_winner_back():
    seen_first = set()
    for seed in range(8):
        judge = Judge(FakeListChatModel(responses=['{"winner": "1"}']), "fake-judge", seed=seed)
        verdict = judge.pairwise(CASE, _record("v1"), _record("v3"))
        seen_first.add(verdict.shown_first)
        assert verdict.winner == verdict.shown_first  # "方案1" is whichever version was shown first
    assert seen_first == {"a", "b"}


def test_a_pairwise_judge_that_never_answers_properly_is_a_failure():
    judge = Judge(FakeListChatModel(responses=['{"winner": "都好"}']), "fake-judge")
    verdict = judge.pairwise(CASE, _record("v1"), _record("v3"))
    assert verdict.winner is None and "winner" in verdict.error
