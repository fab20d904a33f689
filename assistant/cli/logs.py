"""`planassist logs` — the model call log: list recent calls, show one in full (messages, answer, outcome)."""

from __future__ import annotations

import typer

from .console import make_console

app = typer.Typer(help="模型调用记录：每次调用的消息、回答、结构化方式、tokens、耗时与结果（不含密钥）。",
                  invoke_without_command=True, no_args_is_help=False, rich_markup_mode=None)


def _log():
    from ..config import get_settings
    from ..drafting.call_log import CallLog

    return CallLog.in_dir(get_settings().data_dir)


@app.callback()
def logs(ctx: typer.Context,
         count: int = typer.Option(20, "--count", "-n", min=1, help="显示最近多少次调用"),
         section: str | None = typer.Option(None, "--section", "-s", help="只看某一章节（如 swot）或用途")) -> None:
    """列出最近的模型调用；用 `planassist logs show 编号` 查看某次调用的完整内容。"""
    if ctx.invoked_subcommand:
        return

    from ..drafting.call_log import OUTCOME_LABELS

    records = _log().recent(count, section)
    console = make_console()
    if not records:
        console.print("还没有模型调用记录（离线起草不调用模型）。")
        return
    for r in records:  # one line per call (no table: piped output stays whole and copyable)
        outcome = OUTCOME_LABELS.get(r.outcome, r.outcome) + (f"：{r.detail[:60]}" if r.detail else "")
        console.print(f"#{r.id}  {r.at.replace('T', ' ')}  {r.name}  {r.model}  {r.method}  {outcome}  "
                      f"tokens {r.tokens_in}/{r.tokens_out}  {r.latency_s:.1f}秒", markup=False, soft_wrap=True)
    console.print("查看某次调用的完整内容：planassist logs show 编号", markup=False)


@app.command("show")
def show(call_id: int = typer.Argument(..., help="调用编号（见 planassist logs）")) -> None:
    """显示一次模型调用的完整内容：发给模型的消息、模型的回答和检查结果。"""

    from ..drafting.call_log import OUTCOME_LABELS

    record = _log().get(call_id)
    console = make_console()
    if record is None:
        make_console(stderr=True).print(f"[red]没有编号为 {call_id} 的调用记录[/red]")
        raise typer.Exit(2)
    console.print(f"调用 #{record.id}｜{record.at.replace('T', ' ')}｜{record.name}｜{record.model}｜{record.method}｜"
                  f"{OUTCOME_LABELS.get(record.outcome, record.outcome)}｜tokens {record.tokens_in}/{record.tokens_out}｜"
                  f"{record.latency_s:.1f} 秒", markup=False, soft_wrap=True)
    if record.detail:
        console.print(f"检查结果：{record.detail}", markup=False, soft_wrap=True)
    for role, content in record.messages:
        console.print(f"\n=== 消息：{role} ===", markup=False)
        console.print(content, markup=False, soft_wrap=True)
    console.print("\n=== 模型回答 ===", markup=False)
    console.print(record.response or "（无）", markup=False, soft_wrap=True)
