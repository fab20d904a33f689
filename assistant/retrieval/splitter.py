"""Chinese-aware splitting into chunks that carry their heading path.

Paragraphs are packed up to a target size within one heading path; an over-long paragraph is cut at sentence
ends (。！？；), then at commas, then hard, always keeping the separator with the text before it. Each chunk is
prefixed with "title › heading › sub-heading" so it stands on its own for BM25, embeddings and the drafter.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from ..headings import text_heading
from .text import TABLE_ROW

HEADING_SEP = " › "

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])(?![”’」』）)\"'])|(?<=[。！？；!?;][”’」』）)\"'])")
_CLAUSE_END = re.compile(r"(?<=[，,、：:])")
_TABLE_RULE = re.compile(r"^\|[\s:|-]*-{3,}[\s:|-]*\|$")


@dataclass
class SplitConfig:
    target_chars: int = 420
    max_chars: int = 640
    min_chars: int = 120


@dataclass
class ChunkDraft:
    text: str  # display text: heading path line + original body
    body: str
    headings: list[str]
    ordinal: int
    id: str = ""


@dataclass
class _Block:
    path: tuple[str, ...]
    text: str
    heading: bool = False


@dataclass
class _Open:
    path: tuple[str, ...]
    parts: list[str] = field(default_factory=list)
    size: int = 0


def _blocks(text: str, title: str | None, outline: bool) -> list[_Block]:
    stack: list[tuple[int, str]] = []
    blocks: list[_Block] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        found = text_heading(line, outline)
        if found:
            level, heading = found
            if title and heading == title and not stack:
                continue  # the document title is already the first element of every prefix
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading))
            blocks.append(_Block(tuple(h for _, h in stack), line, heading=True))
        else:
            blocks.append(_Block(tuple(h for _, h in stack), line))
    return blocks


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s]


def _pieces(paragraph: str, cfg: SplitConfig) -> list[str]:
    """Cut one paragraph into pieces no longer than max_chars, at the gentlest boundary that works."""
    if len(paragraph) <= cfg.max_chars:
        return [paragraph]
    out: list[str] = []
    for sentence in split_sentences(paragraph):
        if len(sentence) <= cfg.max_chars:
            out.append(sentence)
            continue
        buf = ""
        for clause in (c for c in _CLAUSE_END.split(sentence) if c):
            while len(clause) > cfg.max_chars:
                if buf:
                    out.append(buf)
                    buf = ""
                out.append(clause[: cfg.max_chars])
                clause = clause[cfg.max_chars:]
            if len(buf) + len(clause) > cfg.target_chars and buf:
                out.append(buf)
                buf = ""
            buf += clause
        if buf:
            out.append(buf)
    # re-pack short sentences so pieces are near the target size
    packed: list[str] = []
    for piece in out:
        if packed and len(packed[-1]) + len(piece) <= cfg.target_chars:
            packed[-1] += piece
        else:
            packed.append(piece)
    return packed


def _prefix(title: str | None, headings: tuple[str, ...] | list[str]) -> str:
    return HEADING_SEP.join([t for t in [title, *headings] if t])


def split_document(text: str, title: str | None = None, *, outline: bool = True,
                   config: SplitConfig | None = None) -> list[ChunkDraft]:
    """Chunks of a cleaned document, in reading order. `outline` turns on plain-text heading detection
    (一、 / （一） / 1. / 步骤1); Markdown '#' headings are always honoured."""
    cfg = config or SplitConfig()
    chunks: list[ChunkDraft] = []
    current: _Open | None = None

    def flush() -> None:
        nonlocal current
        if current and current.parts:
            body = "\n".join(current.parts)
            prev = chunks[-1] if chunks else None
            if (prev is not None and len(body) < cfg.min_chars // 2 and tuple(prev.headings) == current.path
                    and len(prev.body) + len(body) <= cfg.max_chars):
                # a crumb left over at the end of a section: it belongs with the text before it
                prev.body = f"{prev.body}\n{body}"
                prev.text = f"{prev.text}\n{body}"
            else:
                prefix = _prefix(title, current.path)
                chunks.append(ChunkDraft(text=f"{prefix}\n{body}" if prefix else body, body=body,
                                         headings=list(current.path), ordinal=len(chunks)))
        current = None

    table_header: list[str] = []  # header + rule of the Markdown table being read, repeated after a cut
    for block in _blocks(text, title, outline):
        if block.heading:
            table_header = []
            if current and current.size >= cfg.min_chars:
                flush()
            if current is None or not current.parts:
                current = _Open(block.path)
            else:
                # a short section so far: keep the sub-heading inside the body instead of a tiny chunk
                current.parts.append(block.text.lstrip("#").strip())
                current.size += len(block.text)
            continue
        is_row = bool(TABLE_ROW.match(block.text))
        if not is_row:
            table_header = []
        elif _TABLE_RULE.match(block.text) and current and current.parts and len(table_header) == 0:
            table_header = [current.parts[-1], block.text]
        for piece in _pieces(block.text, cfg):
            if current is None:
                current = _Open(block.path)
            if current.parts and current.size + len(piece) > cfg.target_chars:
                flush()
                current = _Open(block.path)
                if is_row and table_header:
                    current.parts.extend(table_header)
                    current.size += sum(len(h) for h in table_header)
            current.parts.append(piece)
            current.size += len(piece)
    flush()
    return chunks


def assign_ids(source: str, drafts: list[ChunkDraft]) -> list[ChunkDraft]:
    """Stable ids from content: the same text from the same source always gets the same id."""
    seen: dict[str, int] = {}
    for draft in drafts:
        digest = hashlib.sha1(f"{source}\x00{draft.text}".encode()).hexdigest()[:20]
        n = seen.get(digest, 0)
        seen[digest] = n + 1
        draft.id = digest if n == 0 else f"{digest}-{n}"
    return drafts
