"""Offline drafts are graded as they deserve, by substance as much as by completeness: a rich request gives a plan
about this business (its notes, its seasonality, its competitors) that still copies the same strengths and weaknesses
for two competitors and leaves its channel and action sections generic; a sparse request, where the drafter can only
write what any business would, scores far lower, with the open questions named as the reason."""

from __future__ import annotations

import pytest

from assistant.config import EXAMPLE_REQUEST as EXAMPLE
from assistant.drafting.offline import draft_offline
from assistant.request import build_request, load_request
from assistant.validation import validate_plan

SPARSE = {"company": "星河科技", "region": "华南", "period": "2027年", "revenue_target": "800万"}


@pytest.fixture(scope="module")
def rich():
    return validate_plan(draft_offline(load_request(EXAMPLE)))


@pytest.fixture(scope="module")
def sparse():
    return validate_plan(draft_offline(build_request(SPARSE)))


def test_a_rich_request_drafts_a_complete_plan_judged_on_its_substance(rich):
    assert rich.completeness >= 95 and rich.severity_summary["critical"] == 0
    assert rich.item("SUB-01").status == "pass" and rich.item("SUB-03").status == "pass"
    assert 70 <= rich.score < 90
    # what an offline draft cannot know, and what it wrote alike for two competitors, is reported honestly
    assert {f.id for f in rich.failed} == {"MKT-02", "MKT-04", "SUB-02"}
    assert "壳牌、美孚的优势和劣势写得一字不差" in rich.item("MKT-02").reason


def test_a_sparse_request_scores_lower_and_the_open_questions_are_named(rich, sparse):
    assert sparse.score < rich.score - 25
    assert sparse.item("SUB-01").status == "fail" and "空泛句占" in sparse.item("SUB-01").reason
    named = [f for f in sparse.failed if "已列为待确认" in f.reason]
    assert {f.id for f in named} >= {"TGT-03", "TGT-04", "BRK-04", "MKT-02", "MKT-04", "CHN-01", "GEN-06"}
    assert "新客户开发数量目标" in sparse.item("TGT-03").reason
    assert "上期/去年同期销售额" in sparse.item("TGT-04").reason


def test_an_open_question_answers_the_competitor_item_but_not_the_analysis(sparse):
    assert sparse.item("MKT-01").status == "pass"
    assert "待确认" in sparse.item("MKT-01").reason
    assert sparse.item("MKT-02").status == "fail"
    assert "未列出具体竞争对手" in sparse.item("MKT-02").reason


def test_a_sparse_draft_rests_on_defaults_and_says_so(sparse):
    reason = sparse.item("GEN-06").reason
    assert "采用默认或估算值" in reason and "赢单率" in reason and "平均客单价" in reason
    assert sparse.item("BRK-03").status == "pass" and "行业节奏" in sparse.item("BRK-03").reason  # playbook curve
    # gaps are open questions, never placeholders inside the prose
    assert sparse.item("GEN-03").status == "pass", sparse.item("GEN-03").reason
