"""The knowledge panel's actions: upload documents, list and remove sources, try a retrieval. Plain functions that
return Markdown; the retrieval package (and so chromadb) is imported on first use only.

Each owner (ui.access) sees the shared company knowledge (built-in notes and what `planassist kb ingest` added,
read-only here) plus their own uploads, which live in their own collection and folder (retrieval.personal). The
only way in from the page is an upload: a path that is not inside the upload folder is refused.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..config import Settings
from ..files import atomic_write, safe_filename
from ..retrieval.models import source_label

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 500


def _company(settings: Settings):
    from ..retrieval import get_knowledge_base

    return get_knowledge_base(settings)


def _own(settings: Settings, owner: str):
    from ..retrieval.personal import personal_knowledge_base

    return personal_knowledge_base(settings, owner)


def _name(source: str) -> str:
    """A user's file by its name (never a server path); built-in notes as the product's methodology."""
    return source_label(source)


def kb_sources(settings: Settings, owner: str) -> tuple[str, list[str]]:
    """(table of sources, the owner's own documents by file name: what may be removed)."""
    try:
        shared, own = _company(settings).list_sources(), _own(settings, owner).list_sources()
    except Exception as exc:  # noqa: BLE001 - show the store problem, do not crash the page
        log.exception("kb list failed")
        return f"知识库暂时无法读取：{exc}", []
    rows = ["| 标题 | 来源 | 片段数 |", "| --- | --- | --- |"]
    for mine, sources in ((False, shared), (True, own)):
        for s in sources:
            where = ("您上传的 " if mine else "公司资料 " if s.kind == "user" else "") + _name(s.source)
            chunks = str(s.chunks) if s.complete else f"{s.chunks}（上次导入中断，请重新上传）"
            rows.append(f"| {s.title} | {where} | {chunks} |")
    total = len(shared) + len(own)
    return f"共 {total} 个来源（其中您上传的 {len(own)} 个）\n\n" + "\n".join(rows), sorted(_name(s.source) for s in own)


def _uploaded(raw: Any, upload_root: Path | None) -> Path | None:
    """The uploaded file a page sent, or None when it is anything else (a server path, a link, a folder)."""
    if upload_root is None:
        return None
    path = Path(str(getattr(raw, "name", raw)))
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    root = upload_root.resolve()
    if path.is_symlink() or not resolved.is_file() or not resolved.is_relative_to(root) or resolved == root:
        return None
    return resolved


def kb_ingest(settings: Settings, owner: str, files: list[Any] | None, upload_root: Path | None) -> str:
    """Copy the owner's uploads into their folder (stable source names) and index them in their collection; one
    row per file. Only files inside `upload_root` (where the page's uploads land) are accepted."""
    sent = [f for f in (files or []) if f]
    if not sent:
        return "请先选择要上传的文件（支持 .md .txt .html .docx .pdf）。"
    from ..retrieval.personal import uploads_dir

    folder = uploads_dir(settings, owner)
    stored, refused = [], []
    for raw in sent:
        path = _uploaded(raw, upload_root)
        if path is None:
            log.warning("kb ingest refused a file that was not uploaded: %r", str(getattr(raw, "name", raw))[:200])
            refused.append(f"| {_name(str(getattr(raw, 'name', raw)))} | 未导入 | 0 | 只能导入通过本页面上传的文件 |")
            continue
        target = folder / safe_filename(path.name, default="upload")
        try:
            atomic_write(target, path.read_bytes())  # a failed copy never leaves half a file to be indexed
            stored.append(target)
        except OSError as exc:
            return f"无法保存上传的文件 {path.name}：{exc.strerror or exc}"
    rows = ["| 文件 | 结果 | 片段数 | 原因 |", "| --- | --- | --- | --- |", *refused]
    if not stored:
        return "没有可导入的文件。\n\n" + "\n".join(rows)
    try:
        report = _own(settings, owner).ingest(stored)
    except Exception as exc:  # noqa: BLE001
        log.exception("kb ingest failed")
        return f"导入失败：{exc}"
    labels = {"added": "已导入", "replaced": "已更新", "unchanged": "未变化", "skipped": "未导入"}
    rows += [f"| {_name(r.path)} | {labels.get(r.status, r.status)} | {r.chunks} | {r.reason or '—'} |"
             for r in report.rows]
    return f"{report.summary()}\n\n" + "\n".join(rows)


def kb_remove(settings: Settings, owner: str, name: str | None) -> str:
    """Remove one of the owner's own documents, named by its file name."""
    if not name:
        return "请先选择要删除的资料。"
    try:
        own = _own(settings, owner)
        sources = [s.source for s in own.list_sources()]
        match = [s for s in sources if _name(s) == _name(str(name))]
        if not match:
            return f"您上传的资料里没有「{_name(str(name))}」（内置方法论和公司资料不能在这里删除）。"
        removed = own.remove(match[0])
    except RuntimeError as exc:  # store or embedding problem
        log.exception("kb remove failed")
        return f"知识库暂时无法使用：{exc}"
    return f"已删除「{_name(match[0])}」（{removed} 个片段）。"


def kb_search(settings: Settings, owner: str, query: str | None, section: str | None, k: int = 5) -> str:
    if not query or not query.strip():
        return "请输入要检索的内容，例如「漏斗测算」。"
    query = query.strip()
    if len(query) > MAX_QUERY_CHARS:
        return f"检索内容太长（{len(query):,} 字），请缩短到 {MAX_QUERY_CHARS} 字以内，写关键词即可。"
    try:
        from ..retrieval.personal import CombinedKnowledge

        chunks = CombinedKnowledge(_company(settings), _own(settings, owner)).search(
            query, k=int(k or 5), section=section or None)
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
        out.append(f"**[{i}] {c.title}**（{_name(c.source)}）\n\n> "
                   + text.replace("\n", "\n> "))
    return "\n\n".join(out)
