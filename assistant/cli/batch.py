"""`planassist batch` — plan skeletons for every sales region in one spreadsheet (see assistant/batch.py).

Only typer is imported at module level; pandas, the pipeline and rich widgets load when the command runs.
"""

from __future__ import annotations

from pathlib import Path

import typer

from .console import EXIT_BAD_INPUT, make_console

TABLE_ROWS = 60  # larger batches print only the flagged and failed rows


def batch(
    regions: Path = typer.Argument(..., help="区域文件（.csv 或 .xlsx，每行一个区域；中英文表头均可）"),
    company: Path = typer.Option(..., "--company", "-c", help="各区域共用的公司信息（YAML，格式同请求文件）"),
    out: Path = typer.Option(..., "--out", "-o", help="输出目录"),
    total: str | None = typer.Option(None, "--total", help="公司总目标，如 10000 或 1亿；默认取公司配置的 revenue_target"),
    concurrency: int | None = typer.Option(None, "--concurrency", "-j", min=1, max=32, help="同时起草的区域数"),
    format: str = typer.Option("md,docx,json", "--format", "-f", help="输出格式，逗号分隔：md,docx,json"),
    force: bool = typer.Option(False, "--force", help="重新生成已完成的区域"),
    weights: str | None = typer.Option(None, "--weights",
                                          help="分配权重，如 potential=0.4,last_year=0.4,headcount=0.2"),
    offline: bool = typer.Option(False, "--offline", help="强制使用离线起草器"),
    repair: bool = typer.Option(True, "--repair/--no-repair", help="起草后按校验结果修复未通过的章节"),
    reallocate_failed: bool = typer.Option(False, "--reallocate-failed",
                                           help="把有问题的行的目标份额分给其他区域（默认暂不分配，修正该行后其他区域不变）"),
) -> None:
    """按区域文件批量生成各区域的销售方案骨架，并分配公司总目标。

    未填目标的区域按市场潜力、去年销售额、人数加权分配（合计与总目标分毫不差）；有问题的行的份额默认暂不分配。
    中断后重新运行同一命令会跳过已完成的区域；模型不可用时离线兜底的区域不算完成，重新运行会再用模型起草。
    退出码：0 全部完成；1 有区域失败或离线兜底（原因见 summary.md）；2 输入文件无法使用。
    """

    from ..batch.allocation import BatchInputError, prepare
    from ..batch.run import SUMMARY_CSV, SUMMARY_MD, BatchOptions, run_batch, totals
    from ..config import get_settings
    from ..drafting.drafter import make_drafter
    from ..quantities import format_amount

    err = make_console(stderr=True)
    settings = get_settings()
    options = BatchOptions(out_dir=out, formats=format.split(","), total=total, weights=weights,
                           concurrency=concurrency, force=force, offline=offline or None, repair=repair,
                           reallocate_failed=reallocate_failed)
    try:
        prepared = prepare(regions, company, total, weights, reallocate_failed)
    except BatchInputError as exc:
        err.print("[red]无法开始批量任务：[/red]")
        for p in exc.problems:
            err.print(f"[red]- {p}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None

    drafter = make_drafter(settings, offline=offline)  # the one settings decision of this run
    err.print(f"{prepared.company}｜{prepared.period_label}｜公司总目标 {format_amount(prepared.total, prepared.unit)}｜"
              f"{len(prepared.regions)} 个区域｜{drafter.label}｜{prepared.source_note}")
    err.print(allocation_table(prepared, limit=TABLE_ROWS))
    for w in prepared.warnings:
        err.print(f"[yellow]提示：{w}[/yellow]")

    progress, task = _progress(err), None

    def on_start(_prepared, todo: int) -> None:
        nonlocal task
        finished = len(_prepared.regions) - todo
        if finished:
            err.print(f"已完成或无法起草的区域 {finished} 个，本次起草 {todo} 个")
        progress.start()
        task = progress.add_task("起草区域方案", total=len(_prepared.regions), completed=finished)

    def on_event(outcome, done: int, _total: int) -> None:
        progress.update(task, completed=done, description=f"起草区域方案（{outcome.region}）")
        if outcome.status in ("failed", "fallback"):
            progress.console.print(f"[red]✗ {outcome.where}：{outcome.reason}[/red]")

    try:
        result = run_batch(regions, company, options, settings=settings, on_start=on_start, on_event=on_event,
                           prepared=prepared, drafter=drafter)
    except BatchInputError as exc:
        progress.stop()
        for p in exc.problems:
            err.print(f"[red]{p}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except KeyboardInterrupt:
        progress.stop()
        err.print("[yellow]已中断。已完成的区域已保存，重新运行同一命令会从中断处继续。[/yellow]")
        raise typer.Exit(130) from None
    progress.stop()

    t = totals(result)
    held = f"；未分配 {format_amount(t['unallocated'], prepared.unit)}（有问题的行的份额）" if t["unallocated"] else ""
    err.print(f"完成 {t['complete']}/{t['regions']} 个区域（本次生成 {t['done']}，沿用 {t['skipped']}），"
              f"离线兜底 {t['fallback']}，失败 {t['failed'] - t['fallback']}；"
              f"目标合计 {format_amount(t['target_sum'], prepared.unit)}{held}；耗时 {result.seconds:.1f} 秒")
    if result.superseded:
        err.print(f"[yellow]上次运行留下的 {len(result.superseded)} 个区域已移到 {out / 'superseded'}[/yellow]")
    for o in sorted(result.failed, key=lambda o: o.line):
        err.print(f"[red]{o.where}：{o.reason or '未完成'}[/red]")
    err.print(f"汇总：{out / SUMMARY_MD}、{out / SUMMARY_CSV}")
    raise typer.Exit(result.exit_code)


def allocation_table(prepared, limit: int | None = None):
    """The allocation as a rich table: target, share, growth vs last year, per head and flags. Beyond `limit`
    regions only the flagged and failed rows are shown (the full table is in summary.csv)."""
    from rich.table import Table

    from ..quantities import format_number, format_rate

    unit = prepared.unit
    regions = prepared.regions
    title = "目标分配"
    if limit and len(regions) > limit:
        regions = [r for r in regions if r.flags or r.error]
        title += f"（共{len(prepared.regions)}个区域，这里只列出有提示或有问题的{len(regions)}个；完整分配见 summary.csv）"
    table = Table(title=title, show_lines=False)
    for col in ("行", "区域", f"目标({unit})", "来源", "占比", f"去年({unit})", "增长", "人数", "人均", "提示"):
        table.add_column(col, justify="right" if col not in ("区域", "来源", "提示") else "left")
    for r in regions:
        if r.error:
            held = f"（{format_number(r.target, trim=False)} 暂不分配）" if r.target is not None else ""
            table.add_row(str(r.line), r.region or "（空）", "", "", "", "", "", "", "", f"[red]{r.error}{held}[/red]")
            continue
        table.add_row(
            str(r.line), r.region, format_number(r.target, trim=False) if r.target is not None else "",
            "填写" if r.explicit else "分配", format_rate(r.share) if r.share is not None else "",
            format_number(r.last_year, trim=False) if r.last_year else "",
            format_rate(r.growth) if r.growth is not None else "", str(r.headcount or ""),
            format_number(r.per_head, trim=False) if r.per_head else "",
            f"[yellow]{'；'.join(r.flags)}[/yellow]" if r.flags else "")
    return table


def _progress(console):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=console, transient=False)


if __name__ == "__main__":  # python -m assistant.cli.batch ...
    typer.run(batch)
