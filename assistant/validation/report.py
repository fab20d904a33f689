"""The validation report: every checklist item's verdict with a reason and a fix hint, a weighted score,
per-section sub-scores and a severity summary. Pydantic, so JSON comes from model_dump_json; Markdown in Chinese.
"""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, Field

from ..schema import SECTION_KEYS
from .checklist import OVERALL, Checklist, Severity
from .checks import CHECKS, load_checklist
from .document import PlanDoc
from .registry import Verdict

log = logging.getLogger(__name__)
KIND_LABEL = {"plan": "本工具生成的方案", "markdown": "Markdown", "docx": "Word"}
STATUS_LABEL = {"pass": "✅ 通过", "fail": "❌ 未通过", "na": "➖ 不适用"}


class Finding(BaseModel):
    id: str
    section: str
    section_title: str
    description: str
    severity: Severity
    weight: float
    status: Literal["pass", "fail", "na"]
    reason: str = Field(description="what was found, quoted")
    fix_hint: str
    sections: list[str] = Field(default_factory=list, description="sections to redraft for this finding")
    scoring: Literal["completeness", "substance"] = "completeness"
    value: float | None = Field(default=None, description="substance items: the measure, 0–1")
    question: str | None = Field(default=None, description="an open question to ask the user, when the item has one")


class SectionScore(BaseModel):
    section: str
    title: str
    score: float | None = Field(description="0-100; None when every item is not applicable")
    passed: int
    failed: int
    na: int


class HeadingReadOut(BaseModel):
    heading: str = Field(description="the heading as the plan writes it")
    sections: list[str] = Field(description="the canonical sections it was read as")
    how: str = Field(description="同义词 | 字符相近 | 语义相近 | 按内容 | 内容归入")


class Report(BaseModel):
    source: str
    title: str
    kind: str
    checklist_version: str
    score: float = Field(ge=0, le=100, description="completeness scaled by substance (checklist.yaml: substance)")
    completeness: float = Field(default=0.0, ge=0, le=100, description="weighted share of completeness items passed")
    substance: float | None = Field(default=None, description="0–1: how much of the plan is its own, used where due")
    consistency: float = Field(default=1.0, description="0–1: the score's scale for numbers that contradict each other")
    items: list[Finding]
    sections: list[SectionScore]
    severity_summary: dict[str, int] = Field(description="failed items per severity")
    open_questions: list[str] = Field(default_factory=list)
    unmapped_headings: list[str] = Field(default_factory=list)
    heading_reads: list[HeadingReadOut] = Field(default_factory=list, description="which heading was read as what")

    @property
    def critical_failures(self) -> list[Finding]:
        return [f for f in self.failed if f.severity == "critical"]

    @property
    def failed(self) -> list[Finding]:
        return [i for i in self.items if i.status == "fail"]

    def passes(self, threshold: float) -> bool:
        """Good enough to stop repairing: at or above the threshold, with no critical item failing."""
        return self.score >= threshold and not self.severity_summary.get("critical")

    def item(self, item_id: str) -> Finding:
        return next(i for i in self.items if i.id == item_id)

    def failing_by_section(self) -> dict[str, list[str]]:
        """Feedback lines per canonical section, for redrafting only the sections that fail."""
        out: dict[str, list[str]] = {}
        for f in self.failed:
            targets = [s for s in (f.sections or [f.section]) if s in SECTION_KEYS]
            for key in targets:
                out.setdefault(key, []).append(f"【{f.id}】{f.description}：{f.reason}。修改建议：{f.fix_hint}")
        return {k: out[k] for k in SECTION_KEYS if k in out}

    def to_markdown(self) -> str:
        sev = load_checklist().severity_labels
        lines = [f"# 方案检查报告：{self.title}", "",
                 f"- 来源：{self.source}（{KIND_LABEL.get(self.kind, self.kind)}）",
                 f"- 总分：**{self.score:.1f} / 100**（检查清单版本 {self.checklist_version}）",
                 f"- 完整性 {self.completeness:.1f} 分" + (
                     f" × 实质（本方案自己的内容与事实 {self.substance:.0%}）" if self.substance is not None else "")
                 + (f" × 一致性系数 {self.consistency:.2f}（数字自相矛盾）" if self.consistency < 1 else ""),
                 "- 未通过：" + "，".join(f"{sev[k]} {n} 项" for k, n in self.severity_summary.items())
                 + f"；通过 {sum(i.status == 'pass' for i in self.items)} 项，不适用 {sum(i.status == 'na' for i in self.items)} 项",
                 ""]
        if self.critical_failures:
            lines += ["> 有严重问题未通过：" + "；".join(f"{f.id} {f.description}" for f in self.critical_failures[:5]), ""]
        if self.heading_reads:
            titles = load_checklist().sections
            lines += ["## 标题识别", "", "| 方案中的标题 | 识别为 | 依据 |", "| --- | --- | --- |"]
            lines += [f"| {r.heading} | {'、'.join(titles[k].title if k in titles else k for k in r.sections)} | {r.how} |"
                      for r in self.heading_reads]
            lines.append("")
        if by_model := [r for r in self.heading_reads if r.how == "模型读取"]:
            lines += ["> 以下内容规则没有找到，由模型读取（标注「模型读取」）：" + "、".join(
                load_checklist().title(k) for r in by_model for k in r.sections), ""]
        if self.unmapped_headings:
            lines += [f"> 未归入标准章节的标题：{'、'.join(self.unmapped_headings[:10])}", ""]
        lines += ["## 各章节得分", "", "| 章节 | 得分 | 通过 | 未通过 | 不适用 |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {s.title} | {'—' if s.score is None else f'{s.score:.0f}'} | {s.passed} | {s.failed} | {s.na} |"
                  for s in self.sections]
        failed = sorted(self.failed, key=lambda f: ({"critical": 0, "major": 1, "minor": 2}[f.severity], f.id))
        lines += ["", "## 需要修改的问题", ""]
        if not failed:
            lines.append("没有未通过的检查项。")
        for f in failed:
            lines += [f"- **[{sev[f.severity]}] {f.id} {f.section_title}｜{f.description}**",
                      f"  - 发现：{f.reason}", f"  - 建议：{f.fix_hint}"]
        if self.open_questions:
            lines += ["", "## 方案中的待确认事项", ""] + [f"- {q}" for q in self.open_questions]
        lines += ["", "## 全部检查项", "", "| 编号 | 章节 | 检查项 | 严重度 | 结果 | 说明 |", "| --- | --- | --- | --- | --- | --- |"]
        for f in self.items:
            reason = f.reason.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {f.id} | {f.section_title} | {f.description} | {sev[f.severity]} | {STATUS_LABEL[f.status]} | {reason} |")
        return "\n".join(lines) + "\n"


def _with_open_question(doc: PlanDoc, asks: list[str], outcome: Verdict) -> str:
    if outcome.status != "fail" or not asks:
        return outcome.reason
    questions = doc.questions_about(asks)[:2]
    if not questions:
        return outcome.reason
    return outcome.reason + "（已列为待确认：" + "；".join(f"「{q}」" for q in questions) + "）"


def build_report(doc: PlanDoc, checklist: Checklist | None = None) -> Report:
    checklist = checklist or load_checklist()
    findings: list[Finding] = []
    for spec in checklist.items:
        try:
            outcome = CHECKS[spec.check](doc, spec)
        except Exception as exc:  # a check must never sink the whole report
            log.exception("check %s failed on %s", spec.id, doc.source)
            outcome = Verdict("na", f"检查出错，已跳过：{type(exc).__name__}: {exc}")
        findings.append(Finding(
            id=spec.id, section=spec.section, section_title=checklist.title(spec.section),
            description=spec.description, severity=spec.severity, weight=spec.weight, status=outcome.status,
            reason=_with_open_question(doc, spec.asks, outcome), fix_hint=spec.fix_hint,
            sections=outcome.sections if outcome.status == "fail" else [], scoring=spec.scoring,
            value=outcome.value, question=spec.question))
    completeness, substance = _completeness(findings), _substance(findings)
    scale, trust = checklist.substance, checklist.consistency
    factor = scale.floor + (1 - scale.floor) * min(1.0, substance / scale.full) if substance is not None else 1.0
    contradictions = sum(f.status == "fail" for f, spec in zip(findings, checklist.items, strict=True) if spec.consistency)
    consistency = max(trust.floor, trust.per_failure ** contradictions)
    return Report(source=doc.source, title=doc.title, kind=doc.kind, checklist_version=str(checklist.version),
                  score=round(completeness * factor * consistency, 1), completeness=completeness,
                  substance=substance, consistency=round(consistency, 3),
                  items=findings, sections=_section_scores(findings, checklist),
                  heading_reads=[HeadingReadOut(heading=r.heading, sections=r.keys, how=r.how) for r in doc.heading_reads],
                  severity_summary={s: sum(f.status == "fail" and f.severity == s for f in findings)
                                    for s in ("critical", "major", "minor")},
                  open_questions=doc.all_open_questions, unmapped_headings=doc.unmapped)


def _substance(findings: list[Finding]) -> float | None:
    """The weighted mean of the substance items' measures (None when the checklist has none)."""
    measured = [f for f in findings if f.scoring == "substance" and f.value is not None]
    total = sum(f.weight for f in measured)
    return round(sum(f.weight * f.value for f in measured) / total, 3) if total else None  # type: ignore[operator]


def _completeness(findings: list[Finding]) -> float:
    counted = [f for f in findings if f.status != "na" and f.scoring == "completeness"]
    total = sum(f.weight for f in counted)
    if not total:
        return 0.0
    return round(100 * sum(f.weight for f in counted if f.status == "pass") / total, 1)


def _section_scores(findings: list[Finding], checklist: Checklist) -> list[SectionScore]:
    out = []
    for key in [OVERALL, *SECTION_KEYS]:
        mine = [f for f in findings if f.section == key]
        if not mine:
            continue
        counted = [f for f in mine if f.status != "na" and f.scoring == "completeness"]
        total = sum(f.weight for f in counted)
        out.append(SectionScore(
            section=key, title=checklist.title(key),
            score=round(100 * sum(f.weight for f in counted if f.status == "pass") / total, 1) if total else None,
            passed=sum(f.status == "pass" for f in mine), failed=sum(f.status == "fail" for f in mine),
            na=sum(f.status == "na" for f in mine)))
    return out
