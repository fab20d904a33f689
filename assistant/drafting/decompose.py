"""Smaller calls for a section the model failed twice: one field (one list) at a time, and a list of rows that
still fails, one row at a time — before the offline fallback. Each part has its own small schema, so with a
schema-constrained method the model can only write that part.

    parts = field_parts(schema)                 # [Part("strengths"), Part("weaknesses"), ...]
    rows = row_parts(schema, "risks", 4)        # 4 parts, each one risk row; an enum column pinned per row
    answer = merge(answers)                     # {"strengths": [...], "risks": [...], "citations": [...]}
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .prompts import COMMON_FIELDS

ROWS_DEFAULT = 3  # rows asked for when a list says nothing about its size


@dataclass
class Part:
    field: str                  # the section field this part writes
    label: str                  # how the prompt names it: 「优势（strengths）」 or 「风险清单（risks）第2条」
    schema: dict[str, Any]      # what the model fills for this part
    row: int | None = None      # a row of an object list, or None for the whole field
    pinned: dict[str, Any] = field(default_factory=dict)  # enum columns fixed for this row

    def value(self, answer: dict[str, Any]) -> Any:
        """The part's value from the model's answer to its schema."""
        if self.row is None:
            return answer.get(self.field)
        return {**answer, **self.pinned}


def _title(schema: dict[str, Any], name: str) -> str:
    title = (schema.get("properties", {}).get(name) or {}).get("title")
    return f"{title}（{name}）" if title else name


def field_parts(schema: dict[str, Any]) -> list[Part]:
    """One part per field the model writes (the common fields ride along with the first part)."""
    props = schema.get("properties", {})
    own = [name for name in props if name not in COMMON_FIELDS]
    parts = []
    for i, name in enumerate(own):
        extra = {k: props[k] for k in ("citations",) if k in props and i == 0}
        parts.append(Part(field=name, label=_title(schema, name), schema={
            "type": "object", "properties": {name: copy.deepcopy(props[name]), **copy.deepcopy(extra)},
            "required": [name, *extra], "description": schema.get("description", "")}))
    return parts


def rows_of(schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The row schema of an object list field, or None when the field is not a list of objects."""
    prop = schema.get("properties", {}).get(name) or {}
    items = prop.get("items") or {}
    return items if prop.get("type") == "array" and items.get("type") == "object" else None


def row_parts(schema: dict[str, Any], name: str, wanted: int | None = None) -> list[Part]:
    """One part per row of an object list: as many rows as the list needs (minItems, else ROWS_DEFAULT, at most
    maxItems); an enum column with enough values is pinned row by row (PEST 政策/经济/社会/技术, risk categories)."""
    item = rows_of(schema, name)
    if item is None:
        return []
    prop = schema["properties"][name]
    n = wanted or prop.get("minItems") or ROWS_DEFAULT
    n = min(n, prop.get("maxItems", n))
    enums = {k: v["enum"] for k, v in item.get("properties", {}).items() if len(v.get("enum") or []) >= n}
    parts = []
    for i in range(n):
        pinned = {k: values[i] for k, values in enums.items()}
        row = copy.deepcopy(item)
        for k, v in pinned.items():
            row["properties"][k] = {"type": "string", "enum": [v]}
        label = f"{_title(schema, name)}第{i + 1}条" + (f"（{'、'.join(pinned.values())}）" if pinned else "")
        parts.append(Part(field=name, label=label, schema=row, row=i, pinned=pinned))
    return parts


def merge(done: list[tuple[Part, Any]]) -> dict[str, Any]:
    """The section answer assembled from its parts (rows in order; citations from the first part)."""
    answer: dict[str, Any] = {}
    for part, value in done:
        if part.row is None:
            answer[part.field] = value
        else:
            answer.setdefault(part.field, []).append(value)
    return answer


def describe_done(done: list[tuple[Part, Any]], limit: int = 400) -> str:
    """What the earlier parts said, so the next part does not repeat it (bounded)."""
    lines = []
    for part, value in done:
        text = value if isinstance(value, str) else "；".join(
            v if isinstance(v, str) else "，".join(str(x) for x in v.values() if isinstance(x, str))
            for v in (value if isinstance(value, list) else [value]))
        lines.append(f"- {part.label}：{text}")
    return "\n".join(lines)[:limit]
