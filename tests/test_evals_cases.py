"""Eval cases: the committed set loads, a broken file is reported by name and field while the others still load,
and the case assertions judge real drafts (offline drafter) the way their descriptions say."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from assistant.drafting.offline import draft_offline
from assistant.evals.cases import CaseFile, case_set_hash, load_cases
from assistant.evals.checks import amount_variants, check, run_checks

CASES = PROJECT_ROOT / "evals" / "cases"
GOOD = (CASES / "b2b-lubricant-jiangsu-year.yaml").read_text(encoding="utf-8")


def test_the_committed_cases_span_industries_periods_and_completeness():
    cases, errors = load_cases(CASES)
    assert errors == []
    assert len(cases) >= 12
    tags = {t for c in cases for t in c.file.tags}
    assert {"b2b", "saas", "fmcg", "dealers", "medical", "tenders", "education", "auto", "new-market"} <= tags
    assert {"quarter", "half", "year"} <= tags
    assert {"rich", "minimal", "freetext"} <= tags
    assert all(c.request is not None for c in cases), "free-text cases are extracted by the rule-based intake"
    assert any(a.critical for c in cases for a in c.file.assertions)


def _copy_with(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir(exist_ok=True)
    (folder / "b2b-lubricant-jiangsu-year.yaml").write_text(GOOD, encoding="utf-8")
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_case_with_an_unknown_key_is_reported_by_file_and_field_and_the_others_still_load(tmp_path):
    text = GOOD.replace("id: b2b-lubricant-jiangsu-year", "id: typo-case").replace("tags:", "tagz:")
    folder = _copy_with(tmp_path, "typo-case.yaml", text)
    cases, errors = load_cases(folder)
    assert [c.id for c in cases] == ["b2b-lubricant-jiangsu-year"]
    assert len(errors) == 1 and errors[0].path.endswith("typo-case.yaml")
    assert "tagz" in errors[0].message() and "未知字段" in errors[0].message()


def test_a_broken_request_names_the_request_field(tmp_path):
    text = GOOD.replace("id: b2b-lubricant-jiangsu-year", "id: bad-request").replace("win_rate: 30%", "win_rate: 130%")
    cases, errors = load_cases(_copy_with(tmp_path, "bad-request.yaml", text))
    assert len(cases) == 1
    assert "bad-request.yaml" in errors[0].message() and "win_rate" in errors[0].message()


def test_an_unknown_assertion_kind_lists_the_kinds_that_exist(tmp_path):
    text = GOOD.replace("id: b2b-lubricant-jiangsu-year", "id: bad-kind").replace("kind: no_english", "kind: no_englsh")
    _, errors = load_cases(_copy_with(tmp_path, "bad-kind.yaml", text))
    assert "no_englsh" in errors[0].message() and "no_english" in errors[0].message()


def test_a_free_text_case_missing_the_target_is_reported(tmp_path):
    text = "id: vague\ntitle: 太含糊\ntext: 我们想在江苏多卖一点\n"
    _, errors = load_cases(_copy_with(tmp_path, "vague.yaml", text))
    assert "vague.yaml" in errors[0].message() and "revenue_target" in errors[0].message()


def test_the_case_set_hash_changes_when_a_case_file_changes(tmp_path):
    folder = _copy_with(tmp_path, "second.yaml", GOOD.replace("id: b2b-lubricant-jiangsu-year", "id: second"))
    before = case_set_hash(load_cases(folder)[0])
    (folder / "second.yaml").write_text(GOOD.replace("id: b2b-lubricant-jiangsu-year", "id: second")
                                        .replace("1200万", "1300万"), encoding="utf-8")
    assert case_set_hash(load_cases(folder)[0]) != before


def _case(assertions: list[dict]) -> CaseFile:
    return CaseFile.model_validate({"id": "x-case", "title": "t", "request": {}, "assertions": assertions})


def test_assertions_judge_an_offline_draft_as_their_descriptions_say():
    cases, _ = load_cases(CASES, ["b2b-lubricant-jiangsu-year"])
    plan = draft_offline(cases[0].request)
    results = {r.id: r for r in run_checks(cases[0].file.assertions, plan)}
    assert results["budget-150"].passed and results["mentions-dealers"].passed
    wrong = _case([{"id": "budget-160", "kind": "budget_total", "amount": "160万", "desc": "预算合计等于160万"},
                   {"id": "no-english", "kind": "no_english", "desc": "没有英文句子"},
                   {"id": "asks-mars", "kind": "asks_about", "terms": ["火星"], "desc": "追问火星"}]).assertions
    b, e, q = (check(a, plan) for a in wrong)
    assert not b.passed and "150万元" in b.detail
    assert e.passed and not q.passed
    plan.sections.risks.risks[0].response = "We will monitor the market and adjust pricing every month."
    assert not check(wrong[1], plan).passed


def test_an_amount_is_recognised_however_it_is_written():
    assert {"1200万元", "1200万"} <= set(amount_variants(1200, "万元"))
    assert "1.2亿" in amount_variants(12000, "万元")


def test_an_assertion_on_an_unknown_section_is_rejected():
    with pytest.raises(ValueError, match="未知章节"):
        _case([{"kind": "mentions", "terms": ["经销商"], "desc": "提到经销商", "id": "dealers", "sections": ["nope"]}])
