"""A case's own assertions, checked deterministically on a drafted SalesPlan (on top of the validator)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from ..quantities import format_amount, parse_amount
from ..schema import SECTION_KEYS, SalesPlan
from .cases import AsksAbout, BudgetTotal, Mentions, NoEnglish, NotMentions, QuotesFigure, Regex

_SKIP = {"citations", "open_questions"}


class CheckResult(BaseModel):
    id: str
    desc: str
    passed: bool
    critical: bool = False
    floor: float | None = None
    detail: str = ""


def _strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in _SKIP:
                _strings(v, out)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _strings(v, out)


def section_text(plan: SalesPlan, key: str) -> str:
    """The prose of one section (strings only; numbers in tables come from the engine, not the drafter)."""
    section = plan.sections.get(key)
    if section is None:
        return ""
    out: list[str] = []
    _strings(section.model_dump(mode="json"), out)
    return "\n".join(out)


def plan_text(plan: SalesPlan, sections: list[str] | None = None) -> str:
    return "\n".join(section_text(plan, k) for k in (sections or SECTION_KEYS))


def _compact(text: str) -> str:
    return re.sub(r"[\s,，]", "", text)


def amount_variants(value: float, unit: str) -> list[str]:
    """How people write an amount: 1,200万元 / 1200万 / 1.2亿 (compared with commas and spaces removed)."""
    variants = {_compact(format_amount(value, unit))}
    if unit == "万元":
        variants.add(f"{value:g}万")
        if value >= 10_000:
            variants.add(f"{value / 10_000:g}亿")
    elif unit == "元":
        variants.add(f"{value:g}元")
        variants.add(f"{value / 10_000:g}万")
    return sorted(variants)


def _figure_value(plan: SalesPlan, name: str) -> tuple[float | None, bool]:
    """(value, is_amount)"""
    fig = plan.figures
    if name in ("revenue_target", "collection_target", "budget_total"):
        return getattr(fig, name), True
    return getattr(fig, name), False


def _english_runs(text: str, min_words: int, allow: list[str]) -> list[str]:
    allowed = {a.lower() for a in allow}
    runs = []
    for m in re.finditer(r"[A-Za-z][A-Za-z'\-]*(?:[ \t,;:]+[A-Za-z][A-Za-z'\-]*)+", text):
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z'\-]*", m.group(0)) if w.lower() not in allowed]
        if len(words) >= min_words:
            runs.append(m.group(0))
    return runs


def check(assertion, plan: SalesPlan) -> CheckResult:
    """One assertion on one plan."""
    base = {"id": assertion.id, "desc": assertion.desc, "critical": assertion.critical, "floor": assertion.floor}
    text = plan_text(plan, assertion.sections or None)
    where = "、".join(assertion.sections) if assertion.sections else "全文"
    if isinstance(assertion, Mentions):
        found = [t for t in assertion.terms if t in text]
        ok = bool(found) if assertion.mode == "any" else len(found) == len(assertion.terms)
        detail = f"在{where}找到：{'、'.join(found)}" if found else f"在{where}没有找到：{'、'.join(assertion.terms)}"
        return CheckResult(**base, passed=ok, detail=detail)
    if isinstance(assertion, NotMentions):
        found = [t for t in assertion.terms if t in text]
        return CheckResult(**base, passed=not found, detail=f"出现了：{'、'.join(found)}" if found else "")
    if isinstance(assertion, Regex):
        hit = re.search(assertion.pattern, text)
        ok = bool(hit) if assertion.expect == "match" else not hit
        return CheckResult(**base, passed=ok, detail=f"匹配：{hit.group(0)[:60]}" if hit else "无匹配")
    if isinstance(assertion, NoEnglish):
        runs = _english_runs(text, assertion.min_words, assertion.allow)
        return CheckResult(**base, passed=not runs, detail=("英文句子：" + "｜".join(r[:60] for r in runs[:3])) if runs else "")
    if isinstance(assertion, AsksAbout):
        questions = plan.all_open_questions()
        hits = [q for q in questions if any(t in q for t in assertion.terms)]
        return CheckResult(**base, passed=bool(hits), detail=hits[0][:80] if hits else
                           f"待确认事项里没有关于「{'/'.join(assertion.terms)}」的问题")
    if isinstance(assertion, BudgetTotal):
        unit = plan.figures.unit
        want = parse_amount(assertion.amount, unit)
        budget = plan.sections.budget
        if budget is None:
            return CheckResult(**base, passed=False, detail="没有预算章节")
        lines = round(sum(r.amount for r in budget.lines), 2)
        ok = abs(budget.total - want) < 0.005 and abs(lines - want) < 0.005
        return CheckResult(**base, passed=ok, detail=f"预算合计 {format_amount(budget.total, unit)}，明细合计 "
                           f"{format_amount(lines, unit)}，应为 {format_amount(want, unit)}")
    if isinstance(assertion, QuotesFigure):
        value, is_amount = _figure_value(plan, assertion.figure)
        if value is None:
            return CheckResult(**base, passed=False, detail=f"请求里没有 {assertion.figure}")
        compact = _compact(text)
        variants = amount_variants(value, plan.figures.unit) if is_amount else [f"{value:g}"]
        found = [v for v in variants if v in compact]
        return CheckResult(**base, passed=bool(found), detail=f"在{where}{'找到' if found else '没有找到'}："
                           f"{'/'.join(found or variants)}")
    raise TypeError(f"unknown assertion {type(assertion).__name__}")


def run_checks(assertions: list, plan: SalesPlan) -> list[CheckResult]:
    return [check(a, plan) for a in assertions]
