"""`planassist eval` as a person uses it: a run on the offline drafter, a compare whose gate exits 100 on a
regression (harness errors exit 1), and --bless as the only way the baseline changes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli.main import app
from assistant.config import get_settings
from support.eval_runs import CASES, make_run

runner = CliRunner()


@pytest.fixture()
def evals_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAN_EVALS_DIR", str(tmp_path / "evals"))
    get_settings.cache_clear()
    return tmp_path / "evals"


def test_eval_help_lists_run_and_compare():
    result = runner.invoke(app, ["eval", "--help"])
    assert result.exit_code == 0
    assert "run" in result.output and "compare" in result.output


def test_an_offline_run_writes_all_four_reports(evals_dir):
    from assistant.config import PROJECT_ROOT

    result = runner.invoke(app, ["eval", "run", "--prompts", "v1", "--mode", "offline", "--run-id", "offline-1",
                                 "--cases", str(PROJECT_ROOT / "evals" / "cases"),
                                 "--case", "b2b-lubricant-jiangsu-year", "--case", "saas-crm-east-quarter"])
    assert result.exit_code == 0, result.output
    folder = evals_dir / "reports" / "offline-1"
    assert {"report.json", "report.md", "report.html", "junit.xml", "run.json", "manifest.json"} <= \
        {p.name for p in folder.iterdir()}
    assert "b2b-lubricant-jiangsu-year" in result.output


def test_an_unknown_prompt_version_is_a_harness_error_before_anything_runs(evals_dir):
    result = runner.invoke(app, ["eval", "run", "--prompts", "v99", "--mode", "offline"])
    assert result.exit_code == 1
    assert "v99" in result.output and "未调用任何模型" in result.output
    assert not (evals_dir / "reports").exists()


def _save(folder, run):
    folder.mkdir(parents=True)
    run.save(folder)
    return str(folder)


def test_compare_exits_100_on_a_regression_and_0_otherwise(evals_dir):
    a = _save(evals_dir / "reports" / "A", make_run("A", "v1", {c: [82.0, 84.0] for c in CASES}))
    b = _save(evals_dir / "reports" / "B", make_run("B", "v2", {c: [70.0] for c in CASES}))
    worse = runner.invoke(app, ["eval", "compare", a, b, "--fail-on-regression"])
    assert worse.exit_code == 100, worse.output
    assert "退步" in worse.output and "置信区间" in worse.output
    same = runner.invoke(app, ["eval", "compare", a, "A", "--fail-on-regression"])
    assert same.exit_code == 0, same.output
    informational = runner.invoke(app, ["eval", "compare", a, b])
    assert informational.exit_code == 0  # without --fail-on-regression the verdict is only reported


def test_compare_of_a_run_that_does_not_exist_is_exit_1(evals_dir):
    result = runner.invoke(app, ["eval", "compare", "nope-a", "nope-b", "--fail-on-regression"])
    assert result.exit_code == 1 and "找不到评测运行" in result.output


def test_bless_is_the_only_writer_of_the_baseline_and_refuses_a_regression(evals_dir):
    a = _save(evals_dir / "reports" / "A", make_run("A", "v1", {c: [82.0] for c in CASES}))
    b = _save(evals_dir / "reports" / "B", make_run("B", "v2", {c: [70.0] for c in CASES}))
    baseline = evals_dir / "baselines" / "baseline.json"
    refused = runner.invoke(app, ["eval", "compare", a, b, "--version-b", "v2", "--bless"])
    assert refused.exit_code == 1 and not baseline.exists()
    blessed = runner.invoke(app, ["eval", "compare", b, a, "--version-b", "v1", "--bless"])
    assert blessed.exit_code == 0, blessed.output
    assert json.loads(baseline.read_text(encoding="utf-8"))["manifest"]["run_id"] == "A"
    gate = runner.invoke(app, ["eval", "compare", "baseline", b, "--fail-on-regression"])
    assert gate.exit_code == 100
