"""A model's answer text -> the JSON object it holds, and pydantic errors -> Chinese lines fed back on a re-ask."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError


class AnswerError(ValueError):
    """The model answered, but the answer is unusable; `problems` (Chinese) are fed back on a re-ask."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("；".join(self.problems))


_THINK = re.compile(r"<think>.*?(</think>|$)", re.S | re.I)
_FENCE = re.compile(r"```[a-zA-Z]*\s*\n?(.*?)(```|$)", re.S)


def clean_text(text: str) -> str:
    """Drop <think>…</think> reasoning and Markdown code fences around an answer."""
    text = _THINK.sub("", text or "").strip()
    fenced = _FENCE.search(text)
    return fenced.group(1).strip() if fenced else text


def parse_json_answer(text: str, expected: set[str] | None = None) -> dict[str, Any]:
    """The first JSON object in a model's answer; AnswerError (Chinese) when empty, truncated or malformed."""
    body = clean_text(text)
    if not body:
        raise AnswerError("回答是空的，没有输出JSON")
    start = body.find("{")
    if start < 0:
        raise AnswerError("回答里没有JSON对象，请只输出一个JSON对象")
    try:
        value, _ = json.JSONDecoder().raw_decode(body[start:])
    except json.JSONDecodeError as exc:
        if body.count("{") > body.count("}"):
            raise AnswerError("JSON不完整（回答被截断），请写得更简短，并输出完整的JSON") from None
        raise AnswerError(f"JSON格式错误（第{exc.lineno}行第{exc.colno}列：{exc.msg}）") from None
    if not isinstance(value, dict):
        raise AnswerError("回答应是一个JSON对象（{...}），而不是数组或文字")
    return unwrap(value, expected)


def unwrap(value: dict[str, Any], expected: set[str] | None) -> dict[str, Any]:
    """Small models often wrap the answer: {"name": .., "arguments": {..}} or {"properties": {..}}."""
    for _ in range(2):
        if expected and expected & set(value):
            return value
        inner = [v for k, v in value.items() if k in ("arguments", "parameters", "properties", "data", "output")
                 and isinstance(v, dict)]
        if len(inner) != 1:
            return value
        value = inner[0]
    return value


def validation_problems(exc: ValidationError, schema: dict[str, Any] | None = None) -> list[str]:
    """Pydantic errors -> short Chinese lines naming the field by its Chinese title (fed back on a re-ask)."""
    kinds = {"missing": "缺少此项", "string_type": "应为文字", "int_parsing": "应为整数", "int_from_float": "应为整数",
             "float_parsing": "应为数字", "float_type": "应为数字", "list_type": "应为列表", "date_parsing": "日期格式应为YYYY-MM-DD",
             "date_from_datetime_parsing": "日期格式应为YYYY-MM-DD", "model_type": "应为对象", "dict_type": "应为对象",
             "literal_error": "取值不在允许范围内", "bool_parsing": "应为true或false"}
    lines = []
    for err in exc.errors()[:8]:
        path, node = [], schema or {}
        for part in err["loc"]:
            if isinstance(part, int):
                path.append(f"第{part + 1}项")
                node = node.get("items", {}) if isinstance(node, dict) else {}
            else:
                node = (node.get("properties", {}) if isinstance(node, dict) else {}).get(part, {})
                path.append(f"{node.get('title', part) if isinstance(node, dict) else part}（{part}）")
        msg = kinds.get(err["type"], err["msg"])
        if err["type"] == "literal_error":
            msg += f"，只能是：{err.get('ctx', {}).get('expected', '')}"
        got = err.get("input")
        if err["type"] != "missing" and not isinstance(got, (dict, list)):
            msg += f"（收到 {str(got)[:30]!r}）"
        lines.append(f"{' '.join(path) or '整体'}：{msg}")
    return lines
