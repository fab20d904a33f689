"""Recognising headings, one definition for every reader: the knowledge splitter, the document loaders and the
plan validator's reader all ask here.

    text_heading("## 市场分析")          -> (2, "市场分析")       Markdown
    text_heading("一、市场分析")          -> (8, "一、市场分析")   Chinese outline numbering (below Markdown levels)
    outline_level("（一）竞争对手")       -> 3
    docx_heading_level("Heading 2")     -> 2; "Title" / "标题" -> 0
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")

_NUM = "一二三四五六七八九十百零〇两"
# plain-text outline headings, most to least senior
OUTLINE = [
    (1, re.compile(rf"^第[{_NUM}\d]+[章部篇]")),
    (2, re.compile(rf"^第[{_NUM}\d]+节|^[{_NUM}]+\s*[、.．。]")),
    (3, re.compile(rf"^[（(][{_NUM}]+[)）]|^步骤\s*[\d{_NUM}]+|^[{_NUM}\d]+\s*[、.]\s*步骤")),
    (4, re.compile(r"^\d{1,2}\s*[、.．。](?!\d)\s*\S")),
    (5, re.compile(r"^[（(]\d{1,2}[)）]")),
]
MAX_HEADING_CHARS = 40
_DOCX_HEADING = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)


def outline_level(line: str) -> int | None:
    """The level of a line's Chinese outline numbering (第一章 1, 一、 2, （一） 3, 1、 4, （1） 5), or None."""
    return next((level for level, pattern in OUTLINE if pattern.match(line)), None)


def text_heading(line: str, outline: bool = True) -> tuple[int, str] | None:
    """(level, heading) of a line of text: a Markdown heading, else (with `outline`) a short numbered outline line
    without sentence-ending punctuation, ranked below any Markdown level (7–11)."""
    m = MD_HEADING.match(line)
    if m:
        return len(m.group(1)), m.group(2).strip().strip("*").strip()
    if not outline or len(line) > MAX_HEADING_CHARS or re.search(r"[。；，,;?？!！]$", line):
        return None
    level = outline_level(line)
    return (level + 6, line.strip()) if level is not None else None


def docx_heading_level(style_name: str | None) -> int | None:
    """The outline level a Word paragraph style stands for: 0 for the document title (Title / 标题), N for
    Heading N / 标题 N, None for body styles."""
    name = (style_name or "").strip()
    if name.lower() in ("title", "标题"):
        return 0
    m = _DOCX_HEADING.match(name)
    return int(m.group(1)) if m else None


def docx_style_names(document) -> Callable[[Any], str]:
    """A fast `paragraph -> style name` for one python-docx Document. `Paragraph.style` looks the default style up
    anew for every paragraph (O(styles) each: 26,000 paragraphs took 2 minutes); this reads the style id from the
    paragraph's XML and names it from a table built once."""
    from docx.enum.style import WD_STYLE_TYPE

    names = {s.style_id: s.name for s in document.styles if s.type == WD_STYLE_TYPE.PARAGRAPH}
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_name = default.name if default is not None else ""

    def name(paragraph: Any) -> str:
        style_id = paragraph._p.style
        return (names.get(style_id, default_name) if style_id else default_name) or ""

    return name
