"""Reading a model's JSON answer: its strings, citations, channel shares, dates and amounts, and what is not real
content — pure functions the section chain uses to check and clean an answer before it becomes a section.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from ..quantities import parse_amount
from ..schema import SECTION_KEYS, SECTIONS, SectionBase
from ..text_checks import CJK
from .prompts import COMMON_FIELDS

CITE = re.compile(r"\[?\b[Ss](\d{1,2})\b\]?")
INLINE_CITE = re.compile(r"\s*[\[［(（]\s*[Ss]\d{1,2}(?:\s*[,，、]\s*[Ss]?\d{1,2})*\s*[\]］)）]")
AMOUNT = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(亿元|万元|亿|万|元)")
DATE = re.compile(r"(20\d\d)\s*[-年/.]\s*(\d{1,2})(?:\s*[-月/.]\s*(\d{1,2})日?)?")


def strings_in(node: Any, path: tuple = ()) -> Iterable[tuple[tuple, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from strings_in(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from strings_in(v, (*path, i))


def map_strings(node: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(node, str):
        return fn(node)
    if isinstance(node, dict):
        return {k: map_strings(v, fn) for k, v in node.items()}
    if isinstance(node, list):
        return [map_strings(v, fn) for v in node]
    return node


def cited_ids(data: dict[str, Any], chunks: list[Any]) -> tuple[list[str], int]:
    """Chunk ids the section cites (S-numbers in `citations` and inline); unknown ones are dropped and counted."""
    by_id = {c.id: c for c in chunks}
    marks = [str(x) for x in data.get("citations") or [] if isinstance(x, (str, int))]
    marks += [m.group(0) for p, s in strings_in(data) if p[0] != "citations" for m in INLINE_CITE.finditer(s)]
    ids, dropped = [], 0
    for mark in marks:
        mark = mark.strip()
        found = [mark] if mark in by_id else [
            chunks[int(n) - 1].id if 1 <= int(n) <= len(chunks) else None
            for n in (re.findall(r"\d{1,2}", mark) if CITE.search(mark) or mark.isdigit() else [None])
            if n is not None] or [None]
        for cid in found:
            if cid is None:
                dropped += 1
            elif cid not in ids:
                ids.append(cid)
    return ids, dropped


def shares_as_fractions(data: dict[str, Any]) -> dict[str, Any]:
    """Channel shares written as percentages (50, 30, 20) become fractions; anything else is left to the check."""
    rows = data.get("channels")
    if isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows):
        shares = [r.get("target_share") for r in rows]
        if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in shares) \
                and abs(sum(shares) - 100) <= 1:
            data = {**data, "channels": [{**r, "target_share": round(r["target_share"] / 100, 4)} for r in rows]}
    return data


def dates_in(section: SectionBase | dict[str, Any]) -> Iterable[tuple[str, date]]:
    """Dates a section (or a part's answer, still a dict) commits to: typed deadlines, and YYYY-MM(-DD) written into
    deadline-like text fields."""
    fields = section.items() if isinstance(section, dict) else section
    for field_name, value in fields:
        rows = value if isinstance(value, list) else [value]
        for i, row in enumerate(rows):
            if not hasattr(row, "model_fields") and not isinstance(row, dict):
                continue
            for name in ("deadline", "by_month"):
                v = row.get(name) if isinstance(row, dict) else getattr(row, name, None)
                label = f"「{SECTIONS_FIELD_TITLE.get(field_name, field_name)}」第{i + 1}项"
                if isinstance(v, date):
                    yield label, v
                elif isinstance(v, str) and (m := DATE.search(v)):
                    try:
                        yield label, date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
                    except ValueError:
                        continue


SECTIONS_FIELD_TITLE = {name: f.title or name for spec in SECTIONS.values()
                        for name, f in spec.model.model_fields.items()}


def amounts_in(text: str, unit: str) -> set[float]:
    return {v for _, v in amount_mentions([((), text)], unit)}


def amount_mentions(strings: list[tuple[tuple, str]], unit: str) -> list[tuple[str, float]]:
    found = []
    for _, s in strings:
        for m in AMOUNT.finditer(s):
            try:
                found.append((m.group(0), round(parse_amount(m.group(1).replace(",", "") + m.group(2), unit), 2)))
            except ValueError:
                continue
    return found


def known(value: float, allowed: set[float]) -> bool:
    return any(abs(value - a) <= max(0.01, abs(a) * 0.005) for a in allowed)


def compact_json(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":"))


def sections_digest(plan_sections: dict[str, SectionBase], exclude: set[str], limit: int) -> str:
    """A short "what the other sections say": per section its first sentence-ish text, bounded in size."""
    lines = []
    for key in SECTION_KEYS:
        section = plan_sections.get(key)
        if key in exclude or section is None:
            continue
        data = section.model_dump(mode="json", exclude=set(COMMON_FIELDS))
        texts = [s for _, s in strings_in(data) if CJK.search(s)][:2]
        if texts:
            lines.append(f"- {SECTIONS[key].title}：" + "；".join(t[:50] for t in texts))
    text = "\n".join(lines)
    return text[:limit]
