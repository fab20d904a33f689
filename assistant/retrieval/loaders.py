"""Read a user's document (.md .txt .html .docx .pdf) into text, with a Chinese reason when it cannot be read.

Structure is kept as Markdown-style headings ("# ..."), which the splitter understands for every format.
Encodings: UTF-8 / UTF-16 (BOM), GB18030 (GBK, GB2312), Big5; ambiguous byte strings are settled by which
decoding yields real Chinese words.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from ..files import ArchiveTooLarge, check_archive
from ..headings import MD_HEADING, docx_heading_level, docx_style_names
from .text import get_jieba, normalize

SUPPORTED = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text",
             ".html": "html", ".htm": "html", ".docx": "docx", ".pdf": "pdf"}

# bounded work: a DOCX is a zip (its XML may expand 400:1); a PDF's pages may all reuse one huge content stream
MAX_XML_BYTES = 32 * 1048576  # expanded XML of one DOCX (up to ~25 s of python-docx)
ARCHIVE_EXPANSION = 10  # expanded DOCX (images included) at most this many times the file size limit
MAX_PDF_CONTENT = 64 * 1048576  # decoded page content streams of one PDF, summed over its pages
MAX_PDF_PAGES = 5000

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(\n|\Z)", re.S)


class LoadError(Exception):
    """A file that cannot be ingested; the message is the reason shown to the user (Chinese)."""


class LoadedDocument(BaseModel):
    text: str
    fmt: str
    title: str | None = None
    title_hint: str | None = None
    sections: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)


def file_kind(path: Path) -> str | None:
    return SUPPORTED.get(path.suffix.lower())


# ------------------------------------------------------------------ encodings


def _plausibility(text: str) -> float:
    """Share of Chinese characters that fall in multi-character dictionary words (after t2s): ~0.6+ for real
    Chinese, near 0 for mojibake produced by decoding with the wrong double-byte codec."""
    sample = normalize(text[:4000])
    han = sum(1 for ch in sample if "\u4e00" <= ch <= "\u9fff")
    if han == 0:
        return 0.5  # nothing to judge by (ASCII-only text)
    dictionary = get_jieba().dt.FREQ
    covered = sum(len(w) for w in get_jieba().lcut(sample, HMM=False) if len(w) > 1 and dictionary.get(w))
    return covered / han


def decode_bytes(data: bytes) -> str:
    """Bytes -> str, or LoadError with a reason."""
    if not data.strip():
        raise LoadError("文件为空")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LoadError("UTF-16 文件已损坏，无法解码") from exc
    if b"\x00" in data[:8192]:
        raise LoadError("二进制文件，不是文本（含空字节）")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates: list[str] = []
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        if best is not None:
            candidates.append(best.encoding)
    except Exception:  # noqa: BLE001 - detection is only a hint
        pass
    candidates += ["gb18030", "big5", "big5hkscs"]
    decoded: dict[str, str] = {}
    for enc in dict.fromkeys(candidates):
        try:
            decoded[enc] = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    if not decoded:
        # a few damaged bytes in an otherwise Chinese file: accept when the damage is tiny
        for enc in ("gb18030", "utf-8"):
            text = data.decode(enc, errors="replace")
            if text.count("\ufffd") <= max(2, len(text) // 200):
                return text
        raise LoadError("无法识别文件编码（不是 UTF-8、GBK/GB18030 或 Big5）")
    scored = sorted(decoded.items(), key=lambda kv: _plausibility(kv[1]), reverse=True)
    enc, text = scored[0]
    if _plausibility(text) < 0.2 and len(text) > 40:
        raise LoadError("无法识别文件编码（解码结果不是可读的中文）")
    return text


def read_text_file(path: Path) -> str:
    return decode_bytes(path.read_bytes())


# ------------------------------------------------------------------ formats


def _front_matter(text: str) -> tuple[dict, str]:
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError:
        return {}, text
    if not isinstance(meta, dict):
        return {}, text
    return meta, text[m.end():]


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[,，\s]+", value) if v.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def load_markdown(path: Path) -> LoadedDocument:
    meta, body = _front_matter(read_text_file(path))
    title = meta.get("title")
    if not title:
        for line in body.splitlines():
            m = MD_HEADING.match(line.strip())
            if m:
                title = m.group(2)
                break
    return LoadedDocument(text=body, fmt="markdown", title=str(title) if title else None,
                          sections=_as_list(meta.get("sections")), tags=_as_list(meta.get("tags")))


def load_text(path: Path) -> LoadedDocument:
    return LoadedDocument(text=read_text_file(path), fmt="text")


_HTML_DROP_TAGS = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe",
                   "button", "select", "svg", "canvas", "template", "input"]
_HTML_CHROME = re.compile(
    r"(^|[-_\s])(nav|navbar|menu|breadcrumbs?|crumbs?|footer|header|sidebar|side|aside|comments?|related|"
    r"recommend\w*|share|social|copyright|advert\w*|ads?|banner|toolbar|pager|pagination|login|signup|"
    r"download|tags?)($|[-_\s])",
    re.I,
)
_BLOCK_TAGS = {"p", "div", "li", "tr", "br", "section", "article", "blockquote", "pre", "dd", "dt", "td", "th",
               "table", "ul", "ol", "main", "h1", "h2", "h3", "h4", "h5", "h6"}


def html_to_text(markup: str) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup(_HTML_DROP_TAGS):
        tag.decompose()
    for tag in list(soup.find_all(True)):
        if tag.decomposed or tag.name in ("html", "body", "main", "article"):
            continue
        attrs = getattr(tag, "attrs", None) or {}
        marker = " ".join([*(attrs.get("class") or []), str(attrs.get("id") or ""), str(attrs.get("role") or "")])
        if marker.strip() and _HTML_CHROME.search(marker):
            tag.decompose()
    for level in range(1, 7):
        for h in soup.find_all(f"h{level}"):
            text = h.get_text(" ", strip=True)
            h.replace_with(f"\n{'#' * level} {text}\n" if text else "")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    body = soup.body or soup
    text = body.get_text("")
    lines = [re.sub(r"[ \t\u00a0\u3000]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line), title


def load_html(path: Path) -> LoadedDocument:
    text, title = html_to_text(read_text_file(path))
    h1 = next((m.group(1) for line in text.splitlines() if (m := re.match(r"^# (.+)", line))), None)
    return LoadedDocument(text=text, fmt="html", title=h1, title_hint=title)


def load_docx(path: Path) -> LoadedDocument:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(str(path))
        style_of = docx_style_names(document)
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                text = block.text.strip()
                if not text:
                    continue
                level = docx_heading_level(style_of(block))
                lines.append(f"{'#' * max(1, min(6, level))} {text}" if level is not None else text)
            elif isinstance(block, Table):
                for row in block.rows:
                    cells = list(dict.fromkeys(c.text.strip() for c in row.cells))
                    if any(cells):
                        lines.append(" | ".join(cells))
        title = (document.core_properties.title or "").strip() or None
    except Exception as exc:  # noqa: BLE001 - python-docx raises many types for broken zips / XML
        raise LoadError(f"Word 文件已损坏或不是有效的 .docx（{type(exc).__name__}）") from exc
    return LoadedDocument(text="\n".join(lines), fmt="docx", title_hint=title)


def load_pdf(path: Path) -> LoadedDocument:
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(path.read_bytes()), strict=False)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception as exc:  # noqa: BLE001
                raise LoadError("PDF 已加密，无法读取") from exc
        if len(reader.pages) > MAX_PDF_PAGES:
            raise LoadError(f"PDF 有 {len(reader.pages):,} 页（上限 {MAX_PDF_PAGES:,} 页）")
        content = 0
        for page in reader.pages:  # measure before extracting: pages may all reuse one huge content stream
            stream = page.get_contents()
            content += len(stream.get_data()) if stream is not None else 0
            if content > MAX_PDF_CONTENT:
                raise LoadError(f"PDF 的页面内容解压后超过 {MAX_PDF_CONTENT // 1048576} MB，可能是异常文件，已拒绝读取")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = None
        if reader.metadata is not None and reader.metadata.title:
            title = str(reader.metadata.title).strip() or None
    except LoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types for truncated files
        raise LoadError(f"PDF 文件已损坏或不完整（{type(exc).__name__}）") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise LoadError("PDF 中没有可提取的文字（可能是扫描件）")
    return LoadedDocument(text=text, fmt="pdf", title_hint=title)


_LOADERS = {"markdown": load_markdown, "text": load_text, "html": load_html, "docx": load_docx, "pdf": load_pdf}


def check_file(path: Path, max_bytes: int | None = None) -> None:
    """The cheap checks, before a byte is read: exists, regular file, supported type, not empty, not too big."""
    if not path.exists():
        raise LoadError("路径不存在")
    if not path.is_file():
        raise LoadError("不是普通文件")
    if file_kind(path) is None:
        raise LoadError(f"不支持的文件类型 {path.suffix or '（无扩展名）'}（支持 .md .txt .html .docx .pdf）")
    size = path.stat().st_size
    if size == 0:
        raise LoadError("文件为空")
    if max_bytes is not None and size > max_bytes:
        raise LoadError(f"文件过大（{size / 1048576:.1f} MB，上限 {max_bytes / 1048576:.1f} MB）")


def load(path: Path, max_bytes: int | None = None) -> LoadedDocument:
    """Load one file; raises LoadError with the reason for every kind of bad input."""
    check_file(path, max_bytes)
    kind = file_kind(path)
    try:
        if kind == "docx":
            limit = max_bytes or path.stat().st_size
            check_archive(path, max_total=max(MAX_XML_BYTES, ARCHIVE_EXPANSION * limit), max_xml=MAX_XML_BYTES)
        return _LOADERS[kind](path)
    except ArchiveTooLarge as exc:
        raise LoadError(str(exc)) from None
    except PermissionError as exc:
        raise LoadError("没有读取权限") from exc
    except OSError as exc:
        raise LoadError(f"读取失败：{exc.strerror or exc}") from exc
