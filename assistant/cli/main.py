"""`planassist` — the command line. Heavy libraries are imported inside the commands that need them."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import typer

from .console import EXIT_BAD_INPUT, make_console

app = typer.Typer(
    name="planassist",
    help="方案助手：起草完整、数字一致的销售工作方案。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich cuts long Chinese option help with 「…」
)
console = make_console()
err = make_console(stderr=True)



@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="输出调试日志（英文）")) -> None:
    """方案助手：起草完整、数字一致的销售工作方案。"""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


def _progress_printer():
    from ..schema import SECTIONS

    labels = {"started": "起草中", "retried": "重试", "done": "完成", "fallback": "兜底（离线）", "repaired": "已修复"}

    def show(event) -> None:
        if event.status in labels:
            title = SECTIONS[event.section].title if event.section in SECTIONS else event.section
            err.print(f"  [{labels[event.status]}] {title} {event.detail}".rstrip())

    return show


@app.command()
def draft(
    input: Path | None = typer.Option(None, "--input", "-i", help="请求文件（YAML 或 JSON）"),
    out: Path | None = typer.Option(None, "--out", "-o", help="输出文件；格式取自后缀（.md/.docx/.json）"),
    format: str | None = typer.Option(None, "--format", "-f", help="md|json|docx（覆盖后缀）"),
    example: bool = typer.Option(False, "--example", help="使用内置示例请求"),
    text: str | None = typer.Option(None, "--text", "-t", help="用一句话描述需求，例如“明年江苏要做到1200万，6个销售”"),
    offline: bool = typer.Option(False, "--offline", help="强制使用离线起草器"),
    no_cache: bool = typer.Option(False, "--no-cache", help="不使用模型响应缓存"),
    repair: bool = typer.Option(True, "--repair/--no-repair", help="起草后按校验结果修复未通过的章节"),
) -> None:
    """起草一份销售工作方案。"""
    from ..config import EXAMPLE_REQUEST, get_settings
    from ..drafting.drafter import make_drafter
    from ..pipeline import draft_plan
    from ..render import export, output_format, to_markdown
    from ..request import load_request

    settings = get_settings()
    drafter = make_drafter(settings, offline=offline, use_cache=not no_cache)  # the one settings decision
    try:
        fmt = output_format(out, format)  # the one format decision, before drafting
        if out is None and fmt != "md":
            raise ValueError("输出 JSON/DOCX 时请用 --out 指定文件")
        if text:
            request = _request_from_text(text, settings, use_model=drafter.uses_model)
        elif example or input is None:
            if input is None and not example:
                err.print("[red]请用 --input 指定请求文件，或用 --example 使用内置示例，或用 --text 描述需求。[/red]")
                raise typer.Exit(EXIT_BAD_INPUT)
            request = load_request(EXAMPLE_REQUEST)
        else:
            request = load_request(input)
    except ValueError as exc:  # RequestError and format errors: the message names the problem in Chinese
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None

    err.print(f"起草中：{request.company}｜{request.region}｜{request.period.label}｜{drafter.label}")
    try:
        plan = draft_plan(request, settings=settings, drafter=drafter, repair=repair, progress=_progress_printer())
    except (ValueError, RuntimeError) as exc:  # a broken prompt set, knowledge store or embedding setting
        logging.getLogger(__name__).debug("draft failed", exc_info=True)
        err.print(f"[red]无法起草：{exc}[/red]")
        raise typer.Exit(1) from None
    if out is None:
        console.print(to_markdown(plan))
    else:
        try:
            path = export(plan, out, fmt)
        except ValueError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except OSError as exc:
            err.print(f"[red]无法写入 {out}：{exc.strerror or exc}[/red]")
            raise typer.Exit(1) from None
        err.print(f"已写入：{path}")
    _print_summary(plan)


def _request_from_text(text: str, settings, *, use_model: bool):
    from ..intake.model_reader import read_text
    from ..intake.rule_reader import NEEDED
    from ..request import RequestError, build_request

    result = read_text(text, settings, use_model=use_model)  # rules first; the model (if used) fills gaps
    for note in result.notes:
        err.print(f"[yellow]{note}[/yellow]")
    if result.rejected:  # the same bounds as a request file: refused by field name, never silently dropped
        raise RequestError(result.rejected, "--text")
    if result.missing:
        raise RequestError([f"这段描述里还没有销售额目标。{NEEDED}我不会替您编造目标。"], "--text")
    return build_request(result.fields, "--text")


def _print_summary(plan) -> None:
    meta = plan.metadata
    score = f"{meta.score_history[-1]:.0f}/100" if meta.score_history else "未评分"
    history = " → ".join(f"{s:.0f}" for s in meta.score_history)
    fallbacks = [k for k, r in meta.sections.items() if r.status == "fallback"]
    err.print(f"完整性评分：{score}" + (f"（修复过程：{history}）" if len(meta.score_history) > 1 else ""))
    err.print(f"待确认事项：{len(plan.all_open_questions())} 项；假设：{len(plan.assumptions)} 项")
    if meta.drafter == "llm":
        err.print(f"模型：{meta.model}｜tokens 输入 {meta.tokens_in} / 输出 {meta.tokens_out}｜"
                  f"估算费用 {meta.cost:.4f}｜耗时 {meta.latency_s:.1f}s｜兜底章节 {len(fallbacks)}")
    else:
        err.print(f"起草：离线起草器（未使用大模型）｜耗时 {meta.latency_s:.2f}s")


def _register() -> None:
    """Sub-commands live in their own modules; each imports only typer at module level."""
    for module, attr, name, kind in (
        ("kb", "app", "kb", "group"),
        ("evals", "app", "eval", "group"),
        ("validate", "validate", "validate", "command"),
        ("batch", "batch", "batch", "command"),
        ("ui", "ui", "ui", "command"),
        ("logs", "app", "logs", "group"),
    ):
        try:
            mod = importlib.import_module(f"{__package__}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{module}":
                raise
            logging.getLogger(__name__).debug("sub-command %s not available", name)
            continue
        target = getattr(mod, attr)
        if kind == "group":
            app.add_typer(target, name=name)
        else:
            app.command(name=name)(target)


_register()

if __name__ == "__main__":
    app()
