"""Free text -> a partial plan request, read by the LLM with structured output, never inventing a field.

The model is asked to copy spans verbatim from the user's text (or null). Every span is then checked against the
text — a value the user did not write is dropped with a note — and parsed by the same parsers as a request file.
The result is the rule-based intake's `IntakeResult` (fields in request-file form, missing required fields, notes).

    extract_with_llm(text, settings)  # LLM only (raises LLMUnavailable / returns notes on a bad answer)
    read_text(text, settings, use_model=drafter.uses_model)   # what the CLI and UI call: rules first, the LLM
                                      # fills what rules missed; the rule-based reader alone without a model or
                                      # when the model fails
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from ..config import Settings
from ..drafting.llm import AnswerError, StructuredLLM
from ..quantities import cn_to_number, parse_period, parse_rate
from ..request import FIELD_LABELS, bound_problem
from .rule_reader import IntakeResult, amount_of, extract_fields, merge_fields, missing_fields

SYSTEM = ("你是信息抽取助手。从用户的话里找出制定销售方案需要的信息，每个字段都只能照抄原文中的词语（包括数字和单位），"
          "原文没有明确说到的字段一律填 null，绝不猜测或补全。")


class Spans(BaseModel):
    """What the model fills: verbatim spans of the user's text, or null."""

    company: str | None = Field(None, title="公司名称", description="原文中的公司名称")
    industry: str | None = Field(None, title="行业")
    product: str | None = Field(None, title="产品/服务", description="卖什么，如“工业润滑油”")
    region: str | None = Field(None, title="区域", description="如“江苏”“华东”")
    period: str | None = Field(None, title="计划周期", description="照抄，如“明年”“2027年Q2”“下半年”")
    revenue_target: str | None = Field(None, title="销售额目标", description="带单位照抄，如“1200万”")
    baseline_revenue: str | None = Field(None, title="去年销售额")
    collection_target: str | None = Field(None, title="回款目标")
    budget_total: str | None = Field(None, title="预算")
    avg_deal_size: str | None = Field(None, title="客单价")
    win_rate: str | None = Field(None, title="赢单率", description="如“30%”")
    repurchase_rate: str | None = Field(None, title="复购率")
    sales_count: str | None = Field(None, title="销售人数", description="只写数字，如“6”")
    new_customers: str | None = Field(None, title="新客户数")
    channels: list[str] = Field(default_factory=list, title="渠道")
    competitors: list[str] = Field(default_factory=list, title="竞争对手")


AMOUNTS = ("revenue_target", "baseline_revenue", "collection_target", "budget_total", "avg_deal_size")
RATES = ("win_rate", "repurchase_rate")
TEXTS = ("company", "industry", "product", "region")


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def _schema() -> dict[str, Any]:
    schema = Spans.model_json_schema()
    schema.pop("title", None)
    for prop in schema["properties"].values():
        prop.pop("default", None)
    schema["required"] = list(schema["properties"])
    return schema


def _ground(spans: Spans, text: str, today: date, unit: str) -> tuple[dict[str, Any], list[str]]:
    """Keep only what the text says; parse into request-file form. Returns (fields, notes)."""
    source = _norm(text)
    fields: dict[str, Any] = {}
    notes: list[str] = []

    def said(value: str | None, name: str) -> str | None:
        if value is None or not str(value).strip() or str(value).strip().lower() in ("null", "none", "无", "未知"):
            return None
        if _norm(str(value)) not in source:
            notes.append(f"模型给出的{FIELD_LABELS.get(name, name)}「{str(value)[:20]}」不在原文中，已忽略")
            return None
        return str(value).strip()

    def parsed(name: str, fn) -> None:
        value = said(getattr(spans, name), name)
        if value is None:
            return
        try:
            fields[name] = fn(value)
        except (ValueError, TypeError):
            notes.append(f"模型给出的{FIELD_LABELS.get(name, name)}「{value}」不像该字段的内容，已忽略")

    for name in TEXTS:
        parsed(name, lambda v, name=name: _fits(name, v, today))
    parsed("period", lambda v: parse_period(v, today)[2])
    for name in AMOUNTS:
        parsed(name, lambda v: _positive(amount_of(v, unit)))
    for name in RATES:
        parsed(name, parse_rate)
    count = said(spans.sales_count, "team")
    if count is not None:
        try:
            fields["team"] = [{"role": "销售代表", "count": _count(count)}]
        except ValueError:
            notes.append(f"销售人数「{count}」无法识别，已忽略")
    parsed("new_customers", _count)
    for name in ("channels", "competitors"):
        items = [said(v, name) for v in getattr(spans, name)]
        if items := [v for v in items if v]:
            fields[name] = list(dict.fromkeys(items))
    return fields, notes


_COMPANY = re.compile(r"公司|集团|厂|股份|有限|科技|实业|商行|工作室|事务所")
_REGION_SUFFIX = re.compile(r"(省|市|区|县|州|地区|大区|片区)$")


def _is_region(value: str, today: date) -> bool:
    return bool(_REGION_SUFFIX.search(value)) or extract_fields(value, today=today).fields.get("region") == value


def _fits(name: str, value: str, today: date) -> str:
    """A span in the text can still be the wrong field (the small model puts the product in `company` and the
    province in `industry`): company must look like a company, region like a place, industry/product not."""
    if name == "company" and not _COMPANY.search(value):
        raise ValueError("not a company name")
    if name == "region" and not _is_region(value, today):
        raise ValueError("not a place")
    if name in ("industry", "product") and _is_region(value, today):
        raise ValueError("a place, not an industry")
    return value


def _positive(value: float) -> float:
    if value <= 0:
        raise ValueError("not positive")
    return value


def _count(value: str) -> int:
    digits = re.search(r"\d+", value)
    n = int(digits.group(0)) if digits else int(cn_to_number(re.sub(r"[^零〇一二两三四五六七八九十百千万]", "", value)))
    if n <= 0:
        raise ValueError("not positive")
    return n


def extract_with_llm(text: str, settings: Settings, *, previous: dict[str, Any] | None = None,
                     today: date | None = None, llm: BaseChatModel | None = None,
                     use_cache: bool = True) -> IntakeResult:
    """The LLM reading of one message, grounded in the text; merged onto `previous` like the rule-based reader.
    Raises LLMUnavailable when the endpoint cannot answer."""
    from ..drafting.llm import LLMUnavailable

    today = today or date.today()
    unit = (previous or {}).get("currency_unit", "万元")
    client = StructuredLLM(settings, model=llm, use_cache=use_cache)
    prompt = (f"今天是{today:%Y年%m月%d日}。请从下面这段话中抽取信息：\n「{text[:2000]}」")
    schema = _schema()
    outcome = client.structured(
        [SystemMessage(content=SYSTEM), HumanMessage(content=prompt)], name="plan_request", schema=schema,
        build=lambda data: Spans.model_validate({k: v for k, v in data.items() if k in schema["properties"]}),
        reask=lambda problems: "上一次的输出有问题：" + "；".join(problems) + "。请重新输出，只照抄原文，没有的填 null。",
        format_instructions="只输出一个JSON对象，键为：" + "、".join(schema["properties"]) + "。",
        max_tokens=300, use_cache=use_cache)
    if outcome.unavailable:
        raise LLMUnavailable(outcome.failure or "模型服务不可用")
    if not outcome.ok:
        raise AnswerError(outcome.failure or "模型没有给出可用的抽取结果")
    fields, notes = _ground(outcome.value, text, today, unit)
    merged, merge_notes = merge_fields(previous, fields)
    return IntakeResult(fields=merged, missing=missing_fields(merged), notes=notes + merge_notes)


def read_text(text: str, settings: Settings, *, use_model: bool = True, previous: dict[str, Any] | None = None,
              today: date | None = None, llm: BaseChatModel | None = None, use_cache: bool = True,
              unknown: list[str] | None = None) -> IntakeResult:
    """Rules first (deterministic, trusted for numbers); with `use_model` (the caller's drafter uses one) the model
    fills only fields the rules left empty or read with a guess (`uncertain`), never a certain rule reading nor a
    value the bounds refused. Without a model, or when the model fails, the rule-based result alone — with a note
    saying so."""
    rules = extract_fields(text, previous, today, unknown=unknown)
    if not use_model:
        return rules
    try:
        read = extract_with_llm(text, settings, previous=None, today=today, llm=llm, use_cache=use_cache)
    except Exception as exc:  # noqa: BLE001 — the rule-based reading is always there
        return rules.model_copy(update={"notes": [*rules.notes, f"大模型抽取失败（{exc}），已使用规则抽取"]})
    fields, notes = dict(rules.fields), list(rules.notes)
    unit = str(fields.get("currency_unit") or "万元")
    added, replaced = [], []
    for name, value in read.fields.items():
        label = FIELD_LABELS.get(name, name)
        problem = bound_problem(name, value, unit) if isinstance(value, (int, float)) else None
        if name in rules.refused or problem:
            notes.append(f"大模型读到的{label}未采用：{problem or '这个值超出范围'}")
        elif fields.get(name) in (None, "", []):
            fields[name] = value
            added.append(label)
        elif fields[name] != value and name in rules.uncertain:
            fields[name] = value
            replaced.append(label)
        elif fields[name] != value:
            notes.append(f"大模型读到的{label}与规则抽取不同，以规则抽取为准")
    if added:
        notes.append("大模型补充识别了：" + "、".join(added) + "（请在右侧表单核对）")
    if replaced:
        notes.append("规则读得不确定、改用大模型读到的：" + "、".join(replaced) + "（请在右侧表单核对）")
    notes += [n for n in read.notes if n not in notes]
    return IntakeResult(fields=fields, missing=missing_fields(fields), notes=notes, rejected=rules.rejected,
                        refused=rules.refused,
                        unknown=[u for u in rules.unknown if fields.get(u) in (None, "", [])],
                        uncertain=[u for u in rules.uncertain if u not in replaced])
