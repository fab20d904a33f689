"""`planassist kb`: ingest, search, list, remove, reset and evaluate the methodology knowledge base.

chromadb and jieba are heavy; they are imported inside each command so `planassist --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.table import Table

from .console import EXIT_BAD_INPUT, make_console

app = typer.Typer(help="知识库：导入、检索、管理方法论文档", no_args_is_help=True, rich_markup_mode=None)
console = make_console()
err = make_console(stderr=True)

_STATUS_STYLE = {"added": "green", "replaced": "cyan", "unchanged": "dim", "skipped": "yellow"}


def _kb():
    from assistant.config import get_settings
    from assistant.retrieval import get_knowledge_base

    return get_knowledge_base(get_settings())


def _fail(exc: Exception) -> None:
    err.print(f"[red]错误：[/red]{exc}")
    raise typer.Exit(1)


def _guarded(fn):
    """Turn the retrieval layer's own errors into a Chinese message and exit code 1."""
    from assistant.retrieval import EmbeddingError, StoreError

    try:
        return fn()
    except (StoreError, EmbeddingError, ValueError, KeyError, PermissionError) as exc:
        _fail(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)


def _ensure_builtin(kb) -> None:
    with console.status("正在检查内置方法论知识库…"):
        report = kb.ensure_builtin()
    if report.count("added") or report.count("replaced"):
        console.print(f"内置知识库已更新：{report.summary()}")


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="要导入的文件或文件夹（.md .txt .html .docx .pdf）"),
) -> None:
    """导入文档：已导入且未变的文件跳过，改动过的文件整体替换。"""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from assistant.retrieval.models import STATUS_LABELS

    missing = [str(p) for p in paths if not p.exists()]
    if len(missing) == len(paths):  # nothing to import: exit 2 like every other input error, the store untouched
        err.print(f"[red]找不到要导入的文件或文件夹：{'、'.join(missing)}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT)
    kb = _kb()
    _guarded(lambda: _ensure_builtin(kb))
    with Progress(TextColumn("[bold]导入中"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=console, transient=True) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, path: str) -> None:
            bar.update(task, completed=done, total=total, description=Path(path).name)

        report = _guarded(lambda: kb.ingest(paths, progress=progress))
    table = Table(title="导入结果")
    for col in ("文件", "状态", "片段数", "原因"):
        table.add_column(col, overflow="fold")
    for row in report.rows:
        style = _STATUS_STYLE[row.status]
        table.add_row(row.path, f"[{style}]{STATUS_LABELS[row.status]}[/{style}]",
                      str(row.chunks) if row.status != "skipped" else "-", row.reason)
    console.print(table)
    console.print(report.summary())
    if missing:  # the others were imported; the exit code still says the input had a problem
        err.print(f"[red]找不到要导入的文件或文件夹：{'、'.join(missing)}（其余文件已导入）[/red]")
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def search(
    query: str = typer.Argument(..., help="检索问题，如 \"如何拆解季度目标\""),
    k: int = typer.Option(5, "--k", "-k", min=1, max=50, help="返回的片段数"),
    section: str | None = typer.Option(None, "--section", "-s", help="只看服务于某个方案章节的片段，如 swot"),
    mode: str = typer.Option("hybrid", "--mode", "-m", help="hybrid（默认）、bm25 或 vector"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
) -> None:
    """检索知识库。"""
    kb = _kb()
    if not as_json:
        _guarded(lambda: _ensure_builtin(kb))
    chunks = _guarded(lambda: kb.search(query, k=k, section=section, mode=mode))
    if as_json:
        sys.stdout.write(json.dumps([c.model_dump() for c in chunks], ensure_ascii=False, indent=2) + "\n")
        return
    if not chunks:
        console.print("没有找到相关内容。")
        return
    table = Table(title=f"检索：{query}", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("得分", justify="right")
    table.add_column("来源", overflow="fold")
    table.add_column("内容", overflow="fold")
    for i, c in enumerate(chunks, start=1):
        snippet = c.text if len(c.text) <= 240 else c.text[:240] + "…"
        table.add_row(str(i), f"{c.score:.4f}", f"{c.title}\n[dim]{c.source}[/dim]", snippet)
    console.print(table)


@app.command("list")
def list_sources() -> None:
    """列出知识库中的文档。"""
    kb = _kb()
    _guarded(lambda: _ensure_builtin(kb))
    sources = _guarded(kb.list_sources)
    table = Table(title=f"知识库文档（{len(sources)} 篇）")
    for col in ("来源", "标题", "类型", "片段数", "服务章节"):
        table.add_column(col, overflow="fold")
    for s in sources:
        chunks = str(s.chunks) if s.complete else f"{s.chunks}（上次导入中断，再运行 kb ingest 即可补全）"
        table.add_row(s.source, s.title, "内置" if s.kind == "builtin" else "用户", chunks,
                      ", ".join(s.sections) or "-")
    console.print(table)


@app.command()
def remove(source: str = typer.Argument(..., help="来源（kb list 中的路径，或唯一的文件名）")) -> None:
    """从知识库删除一篇用户文档的全部片段。"""
    kb = _kb()
    removed = _guarded(lambda: kb.remove(source))
    console.print(f"已删除 {source} 的 {removed} 个片段。")


@app.command()
def reset(yes: bool = typer.Option(False, "--yes", "-y", help="不再确认")) -> None:
    """清空知识库（内置方法论会在下次使用时自动重新索引）。"""
    if not yes and not typer.confirm("确定清空整个知识库（含已导入的用户文档）？"):
        raise typer.Exit(1)
    kb = _kb()
    _guarded(kb.reset)
    console.print("知识库已清空。")


@app.command("eval")
def evaluate(
    queries: Path | None = typer.Option(None, "--queries", help="评测查询文件（默认 evals/retrieval/queries.yaml）"),
    no_sections: bool = typer.Option(False, "--no-sections", help="忽略查询中的章节过滤"),
) -> None:
    """检索评测：BM25 / 向量 / 混合三种模式的 hit@1、hit@5、MRR。"""
    from assistant.config import get_settings
    from assistant.retrieval.evaluate import render_table, run_eval

    settings = get_settings()
    path = queries or Path(settings.evals_dir) / "retrieval" / "queries.yaml"
    if not path.exists():
        _fail(FileNotFoundError(f"找不到评测查询文件：{path}"))
    with console.status("正在建立评测索引并检索…"):
        result = _guarded(lambda: run_eval(path, settings=settings, use_sections=not no_sections))
    console.print(render_table(result))
