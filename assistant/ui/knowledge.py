"""The knowledge panel's actions: upload documents, list and remove sources, try a retrieval. Plain functions that
return Markdown; the retrieval package (and so chromadb) is imported on first use only.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..config import Settings
from ..files import atomic_write, safe_filename
from ..retrieval.models import source_label

log = logging.getLogger(__name__)


def _kb(settings: Settings):
    from ..retrieval import get_knowledge_base

    return get_knowledge_base(settings)


def kb_sources(settings: Settings) -> tuple[str, list[tuple[str, str]]]:
    """(table of sources, removable user sources as (file name, source) choices)."""
    try:
        sources = _kb(settings).list_sources()
    except Exception as exc:  # noqa: BLE001 - show the store problem, do not crash the page
        log.exception("kb list failed")
        return f"知识库暂时无法读取：{exc}", []
    rows = ["| 标题 | 来源 | 片段数 |", "| --- | --- | --- |"]
    rows += [f"| {s.title} | {source_label(s.source) if s.kind == 'builtin' else '您上传的 ' + source_label(s.source)} "
             f"| {s.chunks} |" for s in sources]
    removable = [(source_label(s.source), s.source) for s in sources if s.kind == "user"]
    return f"共 {len(sources)} 个来源\n\n" + "\n".join(rows), removable


def kb_ingest(settings: Settings, files: list[Any] | None) -> str:
    """Copy uploads into data_dir/uploads (stable source names) and index them; one row per file."""
    paths = [Path(getattr(f, "name", f)) for f in (files or []) if f]
    if not paths:
        return "请先选择要上传的文件（支持 .md .txt .html .docx .pdf）。"
    folder = Path(settings.data_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    stored = []
    for p in paths:
        target = folder / safe_filename(p.name, default="upload")
        try:
            atomic_write(target, p.read_bytes())  # a failed copy never leaves half a file to be indexed
            stored.append(target)
        except OSError as exc:
            return f"无法保存上传的文件 {p.name}：{exc.strerror or exc}"
    try:
        report = _kb(settings).ingest(stored)
    except Exception as exc:  # noqa: BLE001
        log.exception("kb ingest failed")
        return f"导入失败：{exc}"
    labels = {"added": "已导入", "replaced": "已更新", "unchanged": "未变化", "skipped": "未导入"}
    rows = ["| 文件 | 结果 | 片段数 | 原因 |", "| --- | --- | --- | --- |"]
    rows += [f"| {Path(r.path).name} | {labels.get(r.status, r.status)} | {r.chunks} | {r.reason or '—'} |"
             for r in report.rows]
    return f"{report.summary()}\n\n" + "\n".join(rows)


def kb_remove(settings: Settings, source: str | None) -> str:
    if not source:
        return "请先选择要删除的来源。"
    try:
        removed = _kb(settings).remove(source)
    except (KeyError, PermissionError) as exc:
        return str(exc.args[0] if exc.args else exc)
    except RuntimeError as exc:  # store or embedding problem
        log.exception("kb remove failed")
        return f"知识库暂时无法使用：{exc}"
    return f"已删除「{source_label(source)}」（{removed} 个片段）。"


def kb_search(settings: Settings, query: str | None, section: str | None, k: int = 5) -> str:
    if not query or not query.strip():
        return "请输入要检索的内容，例如「漏斗测算」。"
    try:
        chunks = _kb(settings).search(query.strip(), k=int(k or 5), section=section or None)
    except ValueError as exc:
        return str(exc)
    except RuntimeError as exc:  # store or embedding problem
        log.exception("kb search failed")
        return f"知识库暂时无法使用：{exc}"
    if not chunks:
        return "没有找到相关内容。"
    out = []
    for i, c in enumerate(chunks, start=1):
        text = c.text if len(c.text) <= 400 else c.text[:400] + "…"
        out.append(f"**[{i}] {c.title}**（{source_label(c.source)}）\n\n> "
                   + text.replace("\n", "\n> "))
    return "\n\n".join(out)
