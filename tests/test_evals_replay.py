"""The eval on the committed local-llm recordings (Qwen2.5-Coder-0.5B through llama-cpp-python, JSON mode with the
schema constraining decoding; "销售目标" drafted by the model), replayed with no model and no network: the deliberately
worse prompts/v2 (numbers block removed) is caught by the gate (exit 100), the small-model prompts v4-small are not a
regression against v1, and replay is deterministic."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli.main import app
from assistant.config import PROJECT_ROOT, Settings
from assistant.evals.runner import RunOptions
from assistant.evals.service import run as run_eval

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
    options = RunOptions(versions=["v1", "v2", "v4-small"], sections=SECTIONS, mode="replay", recordings=RECORDINGS,
                         reports_dir=tmp / "reports", run_id="replay", repeats={"v4-small": 2}, only_cases=CASES)
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


def test_the_small_model_prompts_are_not_a_regression_against_v1(replayed):
    _, _, comparisons = replayed
    small = comparisons["v4-small"]
    assert not small.gate.regression, small.gate.reasons
    assert small.delta.mean > 0 and small.delta.wins > small.delta.losses


def test_replaying_twice_gives_the_same_scores(replayed, tmp_path):
    data, _, _ = replayed
    settings = Settings(data_dir=tmp_path / "data", llm_reask_attempts=REASK)
    options = RunOptions(versions=["v4-small"], sections=SECTIONS, mode="replay", recordings=RECORDINGS,
                         reports_dir=tmp_path / "reports", run_id="again", repeats={"v4-small": 2}, only_cases=CASES)
    again, _, _ = run_eval(options, settings)
    first = {(d.case_id, d.repeat): (d.score, d.items) for d in data.drafts if d.version == "v4-small"}
    assert {(d.case_id, d.repeat): (d.score, d.items) for d in again.drafts} == first
