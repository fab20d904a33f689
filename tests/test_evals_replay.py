"""The eval on the committed local-llm recordings (Qwen2.5-Coder-0.5B, "销售目标" drafted by the model), replayed
with no model and no network: the deliberately worse prompts/v2 (numbers block removed) is caught by the gate
(exit 100), prompts/v3 is not a regression and scores higher than v1, and replay is deterministic."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli.main import app
from assistant.config import PROJECT_ROOT, Settings
from assistant.evals.runner import RunOptions
from assistant.evals.service import run as run_eval
from assistant.schema import SECTION_KEYS

pytestmark = pytest.mark.slow  # `make test-fast` leaves these out

RECORDINGS = PROJECT_ROOT / "evals" / "recordings"
# what the committed recordings cover: the blessed baseline's cases, sections and re-ask setting
BASELINE = json.loads((PROJECT_ROOT / "evals" / "baselines" / "baseline.json").read_text(encoding="utf-8"))["manifest"]
SECTIONS, CASES = BASELINE["llm_sections"], BASELINE["case_ids"]
REASK = BASELINE["params"]["reask_attempts"]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("replay")
    settings = Settings(data_dir=tmp / "data", llm_reask_attempts=REASK)
    options = RunOptions(versions=["v1", "v2", "v3"], sections=SECTIONS, mode="replay", recordings=RECORDINGS,
                         reports_dir=tmp / "reports", run_id="replay", repeats={"v1": 2, "v3": 2}, only_cases=CASES)
    data, folder, comparisons = run_eval(options, settings)
    return data, folder, {c.b.version: c for c in comparisons}


def test_replay_uses_only_recordings_and_reports_recorded_latency(replayed):
    data, _, _ = replayed
    assert data.manifest.mode == "replay" and data.manifest.llm_sections == SECTIONS
    assert all(d.ok for d in data.drafts), [d.error for d in data.drafts if not d.ok]
    assert all(d.calls == 0 for d in data.drafts)
    assert sum(d.latency_s for d in data.drafts) > 0 and sum(d.tokens_in for d in data.drafts) > 0


def test_the_deliberately_worse_v2_is_caught_by_the_gate(replayed, tmp_path, monkeypatch):
    _, folder, comparisons = replayed
    assert comparisons["v2"].gate.regression
    monkeypatch.setenv("PLAN_EVALS_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["eval", "compare", str(folder), str(folder), "--version-a", "v1",
                                      "--version-b", "v2", "--fail-on-regression"])
    assert result.exit_code == 100, result.output


def test_v3_is_not_a_regression_and_scores_higher_than_v1(replayed):
    _, _, comparisons = replayed
    v3 = comparisons["v3"]
    assert not v3.gate.regression, v3.gate.reasons
    assert v3.delta.mean > 0 and v3.delta.wins > v3.delta.losses


def test_replaying_twice_gives_the_same_scores(replayed, tmp_path):
    data, _, _ = replayed
    settings = Settings(data_dir=tmp_path / "data", llm_reask_attempts=REASK)
    options = RunOptions(versions=["v1"], sections=SECTIONS, mode="replay", recordings=RECORDINGS,
                         reports_dir=tmp_path / "reports", run_id="again", repeats={"v1": 2}, only_cases=CASES)
    again, _, _ = run_eval(options, settings)
    first = {(d.case_id, d.repeat): (d.score, d.items) for d in data.drafts if d.version == "v1"}
    assert {(d.case_id, d.repeat): (d.score, d.items) for d in again.drafts} == first


# three whole plans drafted section by section by the local model, then repaired by it (validator threshold 99,
# at most 2 rounds, only model-drafted sections): the recorded score history of each
WHOLE_PLANS = {"fmcg-snacks-guangdong-quarter-minimal": [82.1, 85.1],
               "medical-consumables-zhejiang-half": [85.5, 87.0],
               "new-market-chengdu-entry-year": [89.7, 91.2, 92.6]}


def test_three_whole_plans_from_the_model_are_scored_then_repaired_by_it(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", llm_reask_attempts=1, repair_threshold=99)
    options = RunOptions(versions=["v1"], mode="replay", recordings=RECORDINGS, reports_dir=tmp_path / "reports",
                         run_id="whole", only_cases=list(WHOLE_PLANS), repair=True)
    data, folder, _ = run_eval(options, settings)
    assert data.manifest.llm_sections == list(SECTION_KEYS) and data.manifest.params["repair_threshold"] == 99
    assert {d.case_id: [round(x, 1) for x in d.score_history] for d in data.drafts} == WHOLE_PLANS
    for d in data.drafts:   # the model rewrote failing sections and kept what raised the score
        assert any(s.status == "repaired" for s in d.sections.values()), d.case_id
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert "| new-market-chengdu-entry-year | v1 | 1 | 89.7 | 92.6 | 89.7→91.2→92.6 |" in report


def test_a_recorded_judge_is_reported_beside_the_deterministic_score_never_in_it(replayed, tmp_path):
    """The same drafts judged by the local model (its real answers, recorded): the small judge mostly answers 3 on
    every criterion, echoing the rubric's questions as reasons — a weak judge, shown as such, and kept apart."""
    settings = Settings(data_dir=tmp_path / "data", llm_reask_attempts=REASK)
    judged_cases = ["b2b-lubricant-jiangsu-year", "saas-crm-east-quarter"]
    options = RunOptions(versions=["v1", "v3"], sections=SECTIONS, mode="replay", recordings=RECORDINGS,
                         reports_dir=tmp_path / "reports", run_id="judged", only_cases=judged_cases,
                         judge="local-qwen")
    data, folder, _ = run_eval(options, settings)
    judged = {(d.case_id, d.version): d for d in data.drafts}
    assert all(d.judge is not None and d.judge.ok for d in data.drafts)
    assert judged[("saas-crm-east-quarter", "v3")].judge.scores == \
        {"specificity": 5, "actionability": 4, "fidelity": 3, "grounding": 2}
    assert judged[("b2b-lubricant-jiangsu-year", "v1")].judge.scores == dict.fromkeys(
        ("specificity", "actionability", "fidelity", "grounding"), 3)
    plain, _, _ = replayed
    unjudged = {(d.case_id, d.version): d.score for d in plain.drafts if d.repeat == 0}
    assert {k: d.score for k, d in judged.items()} == {k: unjudged[k] for k in judged}   # judge never in the score
    assert data.manifest.judge_model == "local-qwen" and data.manifest.judge_prompt_hash
    assert "评审·specificity（1-5，不计入得分）" in (folder / "report.md").read_text(encoding="utf-8")
