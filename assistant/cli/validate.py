"""`planassist validate FILE [--json] [--min-score N]`: score a plan (this tool's JSON, Markdown or DOCX).

Exit codes: 0 scored (and, with --min-score, at or above it with no critical item failing); 1 below --min-score or a
critical item failing; 2 unreadable input (Chinese message).
"""

from __future__ import annotations

from pathlib import Path

import typer

from .console import EXIT_BAD_INPUT, make_console

EXIT_BELOW_MIN = 1


def validate(
    file: Path = typer.Argument(..., help="方案文件：本工具导出的 .json，或手写的 .md / .docx"),
    json_out: bool = typer.Option(False, "--json", help="输出 JSON 格式的检查报告"),
    min_score: float | None = typer.Option(None, "--min-score", min=0, max=100,
                                              help="最低分；低于该分数或有严重问题未通过时以退出码1结束"),
    model_reading: bool = typer.Option(False, "--model-reading",
                                       help="同时请已配置的模型读一遍方案，只补规则没找到的内容（报告中标注“模型读取”）"),
) -> None:
    """按检查清单给方案打分，列出缺失与错误及修改建议。"""
    from ..validation import PlanParseError, validate_file

    out, err = make_console(), make_console(stderr=True)
    model = None
    if model_reading:
        from ..config import get_settings
        from ..drafting.llm import StructuredLLM

        settings = get_settings()
        if not settings.llm_configured:
            err.print("[red]未配置模型，无法使用 --model-reading（配置方法见 README 的“连接模型”）[/red]")
            raise typer.Exit(EXIT_BAD_INPUT)
        model = StructuredLLM(settings)
    try:
        report = validate_file(file, model=model)
    except PlanParseError as exc:
        err.print(f"[red]无法评估：{exc}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if json_out:
        typer.echo(report.model_dump_json(indent=2))
    elif not out.is_terminal:  # piped: the Markdown itself, unwrapped (rich would pad every line to the width)
        typer.echo(report.to_markdown())
    else:
        from rich.markdown import Markdown

        out.print(Markdown(report.to_markdown()))
    if min_score is None:
        return
    if report.score < min_score:
        err.print(f"[yellow]评分 {report.score:.1f} 低于要求的 {min_score:g} 分[/yellow]")
    if report.critical_failures:  # a critical failure fails the gate whatever the score
        shown = "；".join(f"{f.id} {f.description}" for f in report.critical_failures[:5])
        err.print(f"[yellow]有 {len(report.critical_failures)} 项严重问题未通过（评分 {report.score:.1f}）：{shown}[/yellow]")
    if not report.passes(min_score):
        raise typer.Exit(EXIT_BELOW_MIN)
