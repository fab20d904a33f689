"""Optional: a chat model reads the plan into the same facts the rule reader looks for (structured output), used
only where the rules found nothing, and marked as such — every line it adds says 「模型读取」 and the report's heading
reads list 「模型读取」 for the sections it filled.

The model is any object with `structured(...)` like drafting.llm.StructuredLLM (the CLI makes one from settings; tests
use LangChain fake chat models), so the validator never imports the drafting layer.
"""

from __future__ import annotations

import logging
from string import Template
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from ..config import PROJECT_ROOT
from ..schema import Competitor, KpiRow
from . import stated_numbers as extract
from .document import HeadingRead, PlanDoc, Section, Table
from .rules_market import competitor_names
from .rules_plan import KPI_H, RISK_H, records

log = logging.getLogger(__name__)
PROMPT = PROJECT_ROOT / "prompts" / "validation_reading.md"
MARK = "（模型读取）"
MAX_PLAN_CHARS = 24_000  # what is sent: the opening of a long plan


class MonthAmount(BaseModel):
    month: int = Field(ge=1, le=12, title="月份")
    amount: float = Field(title="金额")


class BudgetItem(BaseModel):
    item: str = Field(title="科目")
    amount: float = Field(title="金额")


class RiskRead(BaseModel):  # schema.RiskRow less its category: the plan may not say which kind a risk is
    risk: str = Field(title="风险")
    trigger: str = Field(default="", title="触发信号")
    response: str = Field(default="", title="应对措施")
    owner: str = Field(default="", title="负责人")


class PlanReading(BaseModel):
    """What a model read from the plan, in the validator's own terms."""

    months: list[MonthAmount] = Field(default_factory=list)
    budget_lines: list[BudgetItem] = Field(default_factory=list)
    budget_total: float | None = None
    competitors: list[Competitor] = Field(default_factory=list)  # the drafter's own row models, same titles
    kpis: list[KpiRow] = Field(default_factory=list)
    risks: list[RiskRead] = Field(default_factory=list)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def reading_schema() -> dict[str, Any]:
    schema = PlanReading.model_json_schema()
    return _inline(schema, schema.get("$defs", {}))


def read_with_model(doc: PlanDoc, llm: Any) -> PlanReading | None:
    """Ask the model to read the plan; None (logged) when it gives no usable answer."""
    plan_text = doc.full_text[:MAX_PLAN_CHARS]
    prompt = Template(PROMPT.read_text(encoding="utf-8")).safe_substitute(plan=plan_text, unit=doc.facts.unit)
    messages = [SystemMessage(content="你只输出符合要求的 JSON。"), HumanMessage(content=prompt)]
    result = llm.structured(messages, name="plan_reading", schema=reading_schema(), build=PlanReading.model_validate,
                            reask=lambda problems: "请按要求改正后重新输出 JSON：" + "；".join(problems),
                            format_instructions="只输出一个 JSON 对象，字段见上。")
    if result.value is None:
        log.warning("model reading gave nothing usable: %s", result.failure)
    return result.value


def _add(doc: PlanDoc, key: str, table: Table) -> None:
    """Put what the model read into the section (a new one when the plan has none), marked as the model's."""
    sec = doc.sections.get(key)
    if sec is None:
        sec = doc.sections[key] = Section(key=key, title=f"{MARK}")
    table.sub = MARK
    sec.add_table(table)
    sec.__dict__.pop("text", None)
    doc.heading_reads.append(HeadingRead(sec.title, [key], "模型读取"))


def apply_reading(doc: PlanDoc, reading: PlanReading) -> list[str]:
    """Fill in what the rules found nothing of; return the sections filled. The rules then judge it as usual."""
    filled: list[str] = []
    unit = doc.facts.unit
    keys = list(doc.sections)
    if reading.months and not extract.months(doc, keys)[0]:
        _add(doc, "target_breakdown", Table([f"月份{MARK}", f"目标（{unit}）"],
                                            [[f"{m.month}月", f"{m.amount:g}"] for m in reading.months]))
        filled.append("target_breakdown")
    if reading.budget_lines and len(extract.budget(doc, ["budget"])[0]) < 2:
        rows = [[f"{b.item}{MARK}", f"{b.amount:g}"] for b in reading.budget_lines]
        if reading.budget_total is not None:
            rows.append(["合计", f"{reading.budget_total:g}"])
        _add(doc, "budget", Table(["科目", f"金额（{unit}）"], rows))
        filled.append("budget")
    if reading.competitors and not competitor_names(doc, _spec("market_analysis"))[0]:
        _add(doc, "market_analysis", Table(["竞争对手", "优势", "劣势", "我方应对"],
                                           [[c.name, c.strengths, c.weaknesses, c.our_response] for c in reading.competitors]))
        filled.append("market_analysis")
    if reading.kpis and not any(ln.cells for ln in records(doc, ["kpi_incentives"], KPI_H)):
        _add(doc, "kpi_incentives", Table(["指标", "计算公式", "目标值", "考核频率", "负责人"],
                                          [[k.name, k.formula, k.target, k.frequency, k.owner] for k in reading.kpis]))
        filled.append("kpi_incentives")
    if reading.risks and not any(ln.cells for ln in records(doc, ["risks"], RISK_H)) \
            and len(records(doc, ["risks"], RISK_H)) < 2:
        _add(doc, "risks", Table(["风险", "触发信号", "应对措施", "负责人"],
                                 [[r.risk, r.trigger, r.response, r.owner] for r in reading.risks]))
        filled.append("risks")
    if filled:
        doc.memo.clear()  # the rules read again, with what the model added
    return filled


def _spec(section: str):  # noqa: ANN202 - an ItemSpec for the shared readers that take one
    from .checklist import ItemSpec

    return ItemSpec(id="MODEL", section=section, description="", weight=1, severity="minor", check="", fix_hint="")

