"""The regression gate, rule by rule, on small hand-built runs (scores and pass flags, no model text), plus the
report writers and the baseline that only --bless writes."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from assistant.evals.compare import GateConfig, compare
from assistant.evals.report import comparison_markdown, to_html, to_junit, write_report
from assistant.evals.results import load_run
from assistant.evals.service import bless
from support.eval_runs import CASES, make_run


def test_a_clear_score_drop_is_a_regression_and_noise_is_not():
    base = make_run("A", "v1", {c: [80.0, 82.0] for c in CASES})
    worse = make_run("B", "v2", {c: [72.0 + (i % 3)] for i, c in enumerate(CASES)})
    verdict = compare(base, "v1", worse, "v2")
    assert verdict.gate.regression and verdict.verdict == "regression"
    assert any("置信区间" in r for r in verdict.gate.reasons)
    assert verdict.delta.losses == 12 and verdict.cases[0].delta <= verdict.cases[-1].delta
    noisy = make_run("C", "v3", {c: [81.0 + (1.5 if i % 2 else -1.5)] for i, c in enumerate(CASES)})
    assert not compare(base, "v1", noisy, "v3").gate.regression


def test_a_critical_item_below_its_floor_fails_even_when_the_mean_holds():
    base = make_run("A", "v1", {c: [85.0] for c in CASES}, critical_floor=1.0)
    b = make_run("B", "v2", {c: [85.0] for c in CASES}, critical_floor=1.0,
             items=lambda case, r: {"a:budget": case != "case-03"})
    verdict = compare(base, "v1", b, "v2")
    assert verdict.gate.regression
    assert any("预算合计等于150万" in r and "92%" in r for r in verdict.gate.reasons)
    assert verdict.items[0].id == "a:budget" and verdict.items[0].delta < 0


def test_a_case_that_passed_every_repeat_must_keep_passing_k_of_n():
    base = make_run("A", "v1", {c: [85.0, 85.0] for c in CASES})
    b = make_run("B", "v2", {c: [85.0, 85.0] for c in CASES}, passed=lambda case, r: case != "case-07")
    verdict = compare(base, "v1", b, "v2")
    assert verdict.gate.regression and any("case-07" in r and "0/2" in r for r in verdict.gate.reasons)
    flips = [c for c in verdict.cases if c.flip == "pass→fail"]
    assert [c.case_id for c in flips] == ["case-07"]
    lenient = compare(base, "v1", make_run("B", "v2", {c: [85.0, 85.0] for c in CASES},
                                       passed=lambda case, r: case != "case-07" or r == 0), "v2")
    assert not lenient.gate.regression  # 1/2 still meets k/N = 50%


def test_a_rising_fallback_rate_is_a_regression():
    base = make_run("A", "v1", {c: [85.0] for c in CASES})
    b = make_run("B", "v2", {c: [85.0] for c in CASES}, fallbacks=3)
    verdict = compare(base, "v1", b, "v2")
    assert verdict.b.fallback_rate == 0.25
    assert verdict.gate.regression and any("兜底率" in r for r in verdict.gate.reasons)
    assert not compare(base, "v1", b, "v2", GateConfig(fallback_tolerance=0.3)).gate.regression


def test_reports_carry_the_verdict_in_markdown_html_json_and_junit(tmp_path):
    base = make_run("A", "v1", {c: [80.0, 82.0] for c in CASES})
    worse = make_run("B", "v2", {c: [70.0] for c in CASES})
    verdict = compare(base, "v1", worse, "v2")
    md = comparison_markdown(verdict)
    assert "退步" in md and "95% 置信区间" in md and "胜/平/负 = 0/0/12" in md and "pass^N" in md
    assert "<table>" in to_html(md, "t") and "<script" not in to_html(md, "t")
    junit = ET.fromstring(to_junit(worse, [verdict]))
    gate = [s for s in junit if s.get("name") == "gate.v1-vs-v2"][0]
    assert gate.get("failures") == "1"
    paths = write_report(tmp_path, worse, [verdict.b], [verdict], markdown=md)
    assert json.loads(paths["json"].read_text(encoding="utf-8"))["comparisons"][0]["verdict"] == "regression"


def test_bless_writes_one_version_as_the_baseline_and_it_reads_back(tmp_path):
    run = make_run("A", "v1", {c: [80.0] for c in CASES})
    path = bless(run, "v1", tmp_path / "baseline.json")
    back = load_run(path)
    assert back.versions() == ["v1"] and len(back.drafts) == 12
    assert not compare(back, "v1", run, "v1").gate.regression
    lower = make_run("B", "v1", {c: [60.0] for c in CASES})      # the blessed baseline does gate a worse run
    assert compare(back, "v1", lower, "v1").gate.regression
