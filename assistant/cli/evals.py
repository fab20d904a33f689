"""`planassist eval`: run prompt versions over the eval cases, and compare two runs with a regression gate.

Exit codes: 0 fine, 1 harness error (bad prompt version, budget, missing recording, unreadable run), 100 regression
(only with --fail-on-regression). Heavy imports live inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer

from .console import make_console

app = typer.Typer(help="评测：比较提示词版本的效果", no_args_is_help=True, rich_markup_mode=None)

EXIT_HARNESS = 1


def _exit_on_regression(err, regression: bool, fail_on_regression: bool) -> None:
    """Exit 100 on a regression only when asked; otherwise say next to the verdict that the exit code stays 0."""
    from ..evals.compare import EXIT_REGRESSION

    if regression and fail_on_regression:
        raise typer.Exit(EXIT_REGRESSION)
    if regression:
        err.print(f"判定为退步，但本命令仍以 0 退出；要让退步以 {EXIT_REGRESSION} 退出（如在 CI 中），请加 --fail-on-regression。",
                  markup=False)


def _console(stderr: bool = False):

    return make_console(stderr=stderr, highlight=False)


def _fail(message: str) -> NoReturn:
    typer.secho("评测无法进行：", fg="red", err=True, nl=False)
    typer.echo(message, err=True)  # not wrapped: a command in the message must stay copy-pasteable
    raise typer.Exit(EXIT_HARNESS)


@app.command()
def run(
    prompts: list[str] = typer.Option(..., "--prompts", "-p", help="提示词版本（可重复：--prompts v1 --prompts v2）；第一个为对照组 A"),
    cases: Path | None = typer.Option(None, "--cases", help="用例目录（默认 evals/cases）"),
    case: list[str] = typer.Option([], "--case", help="只跑指定编号的用例（可重复）"),
    repeats: list[str] = typer.Option(["1"], "--repeats", "-n", help="重复次数：N，或 版本=N（如 v1=2，可重复）"),
    sections: str | None = typer.Option(None, "--sections", help="由模型起草的章节（逗号分隔，默认全部；其余用离线起草器）"),
    model: str | None = typer.Option(None, "--model", help="模型名（覆盖 PLAN_LLM_MODEL）"),
    method: str | None = typer.Option(None, "--method", help="结构化输出方式：function_calling|json_mode|json_schema|text"),
    reask: int | None = typer.Option(None, "--reask", min=0, max=5, help="答案不合格时的重问次数（默认取 PLAN_LLM_REASK_ATTEMPTS）"),
    judge: str | None = typer.Option(None, "--judge", help="评审模型名（同一接口）；评审分单独报告，不计入得分"),
    pairwise: bool = typer.Option(False, "--pairwise", help="同时做成对评审（随机调换 A/B 顺序；需 --judge）"),
    max_cost: float | None = typer.Option(None, "--max-cost", help="预计费用超过此值则不开始"),
    mode: str = typer.Option("auto", "--mode", help="auto|record|replay|live|offline：录制、回放（不联网）、在线、离线"),
    recordings: Path | None = typer.Option(None, "--recordings", help="录制目录（默认 evals/recordings）"),
    run_id: str | None = typer.Option(None, "--run-id", help="运行编号；用已有编号可从中断处继续"),
    repair: bool = typer.Option(False, "--repair/--no-repair", help="起草后按校验结果修复（更多模型调用）"),
    pass_score: float = typer.Option(70.0, "--pass-score", help="单稿及格分（0-100）"),
    fail_on_regression: bool = typer.Option(False, "--fail-on-regression", help="任一版本相对 A 退步时以 100 退出"),
) -> None:
    """起草 用例 × 提示词版本 × 重复次数，打分并生成报告（evals/reports/<运行编号>/）。"""
    from ..config import get_settings
    from ..evals.runner import HarnessError, RunOptions, parse_repeats, parse_sections
    from ..evals.service import run as run_eval

    err = _console(stderr=True)
    try:
        settings = get_settings()
        evals_dir = Path(settings.evals_dir)
        default, per = parse_repeats(repeats)
        options = RunOptions(
            versions=list(dict.fromkeys(prompts)), cases_dir=cases or evals_dir / "cases",
            only_cases=case, repeats=per, default_repeats=default, sections=parse_sections(sections),
            mode=mode, recordings=recordings or evals_dir / "recordings", reports_dir=evals_dir / "reports",
            run_id=run_id, repair=repair,
            judge=judge, pairwise=pairwise, max_cost=max_cost, pass_score=pass_score)
        if pairwise and not judge:
            raise ValueError("--pairwise 需要同时指定 --judge")
        if reask is not None:
            settings = settings.model_copy(update={"llm_reask_attempts": reask})
        data, folder, comparisons = run_eval(options, settings, model=model, method=method,
                                             progress=lambda msg: err.print(msg, markup=False))
    except (HarnessError, ValueError, FileNotFoundError) as exc:
        _fail(str(exc))
    typer.echo((folder / "report.md").read_text(encoding="utf-8"))
    err.print(f"报告：{folder}/report.md · report.html · report.json · junit.xml", markup=False)
    _exit_on_regression(err, any(c.gate.regression for c in comparisons), fail_on_regression)


@app.command()
def compare(
    run_a: str = typer.Argument(..., help="对照组：运行目录、run.json、运行编号，或 baseline（已认可的基线）"),
    run_b: str = typer.Argument(..., help="实验组：同上"),
    version_a: str | None = typer.Option(None, "--version-a", help="A 中的提示词版本（默认第一个）"),
    version_b: list[str] = typer.Option([], "--version-b", help="B 中的提示词版本（默认全部，可重复）"),
    fail_on_regression: bool = typer.Option(False, "--fail-on-regression", help="门禁判定退步时以 100 退出"),
    delta: float = typer.Option(2.0, "--delta", help="δ：平均分差置信区间上限低于 −δ 判为退步"),
    min_pass_fraction: float = typer.Option(0.5, "--min-pass-fraction", help="A 中全部通过的用例，在 B 中至少要通过的比例 k/N"),
    fallback_tolerance: float = typer.Option(0.05, "--fallback-tolerance", help="兜底率允许上升的幅度"),
    bless: bool = typer.Option(False, "--bless", help="把 B 写为新的基线 evals/baselines/baseline.json"),
    force: bool = typer.Option(False, "--force", help="与 --bless 同用：即使门禁判定退步也写入基线"),
) -> None:
    """配对比较两次运行，给出门禁结论；--bless 写入新基线（唯一会更新基线的途径）。"""
    from ..config import get_settings
    from ..evals.compare import GateConfig
    from ..evals.service import baseline_path, compare_runs, resolve_run, write_comparison
    from ..evals.service import bless as write_baseline

    err = _console(stderr=True)
    settings = get_settings()
    reports = Path(settings.evals_dir) / "reports"
    try:
        a, b = resolve_run(run_a, settings), resolve_run(run_b, settings)
        cfg = GateConfig(delta=delta, min_pass_fraction=min_pass_fraction, fallback_tolerance=fallback_tolerance)
        comparisons = compare_runs(a, b, version_a=version_a, versions_b=version_b or None, cfg=cfg)
        folder, md = write_comparison(comparisons, b, reports)
    except (ValueError, FileNotFoundError) as exc:
        _fail(str(exc))
    typer.echo(md)
    err.print(f"报告：{folder}/report.md · report.html · report.json · junit.xml", markup=False)
    regression = any(c.gate.regression for c in comparisons)
    if bless:
        if len(comparisons) != 1:
            _fail("--bless 需要用 --version-b 指定一个版本")
        if regression and not force:
            _fail("门禁判定退步，未写入基线（确认要接受时加 --force）")
        path = write_baseline(b, comparisons[0].b.version, baseline_path(settings))
        err.print(f"已写入新基线：{path}（{comparisons[0].b.label}）", markup=False)
    _exit_on_regression(err, regression, fail_on_regression)
