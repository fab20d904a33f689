"""Industry playbooks (knowledge/playbooks/*.yaml): the validated model and the loader.

A playbook is what one kind of business looks like to a sales director — its sales motion, funnel stages, typical
ranges (win rate, cycle, per-rep productivity in its own unit, deal size), seasonality curve with reasons, channel
roles, budget lines, KPIs, risks, roles and the section content the offline drafter and the prompts draw on.
Money is in 万元, rates are fractions, durations in days unless named. knowledge/playbooks/README.md describes the
fields; every file is validated when first loaded and a broken one is a Chinese error naming the file and field.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..config import get_settings


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Range(Strict):
    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low > self.high:
            raise ValueError(f"range low {self.low} > high {self.high}")
        return self

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2


class Growth(Strict):
    low: float
    high: float


class RateRange(Range):
    @model_validator(mode="after")
    def _unit(self) -> RateRange:
        if not (0 < self.low <= 1 and 0 < self.high <= 1):
            raise ValueError("rates are fractions in (0, 1]")
        return self


class Match(Strict):
    industry: list[str] = Field(min_length=1)
    product: list[str] = Field(default_factory=list)
    channel: list[str] = Field(default_factory=list)
    negative: list[str] = Field(default_factory=list)


class Motion(Strict):
    type: Literal["direct", "inside_sales", "dealer", "tender", "project", "retail_store", "online", "partner", "mixed"]
    summary: str
    revenue_basis: str


class Deal(Strict):
    unit: str  # counting word: 单 / 家 / 台 / 个项目 / 人
    label: str  # what one deal is, in the industry's words
    size: Range | None = None  # 万元 per deal; None when a deal size is not meaningful
    per_year: bool = False  # the size is a year's purchases (a dealer, a hospital, a factory): pro rata for short plans
    note: str = ""


class Stage(Strict):
    name: str
    to_next: RateRange | None = None


class Funnel(Strict):
    stages: list[Stage] = Field(min_length=3)
    note: str = ""

    @model_validator(mode="after")
    def _shape(self) -> Funnel:
        *head, last = self.stages
        if any(s.to_next is None for s in head) or last.to_next is not None:
            raise ValueError("every stage but the last needs to_next; the last (the deal) has none")
        return self


class Activity(Strict):
    name: str
    per_rep_week: Range
    note: str = ""


class Productivity(Strict):
    measure: str
    unit: str
    per_rep_month: Range
    basis: Literal["deals", "revenue"]
    revenue_per_rep_year: Range  # 万元
    coverage: str
    activities: list[Activity] = Field(min_length=2)


class Curve(Strict):
    label: str
    weights: list[float] = Field(min_length=12, max_length=12)
    reasons: dict[int, str]

    @field_validator("reasons")
    @classmethod
    def _months(cls, v: dict[int, str]) -> dict[int, str]:
        if any(not 1 <= m <= 12 for m in v):
            raise ValueError("reason months are 1..12")
        return v


class Variant(Curve):
    keywords: list[str] = Field(min_length=1)


class Seasonality(Strict):
    default: Curve
    variants: list[Variant] = Field(default_factory=list)
    spring_festival: str = ""  # how the festival moves this business (the engine adds the year's date)


class Channel(Strict):
    key: str
    label: str
    aliases: list[str] = Field(min_length=1)
    role: Literal["revenue", "lead_source", "both"]
    share: Range | None = None  # typical share of revenue (fractions) for revenue channels
    lead_share: Range | None = None  # typical share of leads for lead sources
    actions: str
    kpi: str


class BudgetLine(Strict):
    item: str
    share: float = Field(gt=0, le=1)
    purpose: str
    aliases: list[str] = Field(default_factory=list)


class Budget(Strict):
    lines: list[BudgetLine] = Field(min_length=3)
    expense_ratio: RateRange
    note: str = ""

    @model_validator(mode="after")
    def _sum(self) -> Budget:
        total = sum(b.share for b in self.lines)
        if abs(total - 1) > 1e-6:
            raise ValueError(f"budget shares sum to {total}")
        return self


class Kpi(Strict):
    name: str
    formula: str
    frequency: str
    owner: str  # role key
    typical: str = ""


class Risk(Strict):
    category: Literal["市场风险", "管理风险", "客户风险", "执行风险"]
    risk: str
    trigger: str
    response: str
    owner: str  # role key
    tags: list[str] = Field(default_factory=list)


class Role(Strict):
    key: str
    name: str
    aliases: list[str] = Field(min_length=1)
    quota_bearing: bool
    responsibilities: str
    hire_lead_days: Range
    ramp_months: Range


class Hiring(Strict):
    max_per_month: int = Field(ge=1)
    default_quota_role: str  # role key hired when capacity falls short
    manager_role: str  # role key that owns management actions
    span_of_control: Range  # quota-bearing reps per first-line manager
    note: str = ""


class Pest(Strict):
    dimension: Literal["政策", "经济", "社会", "技术"]
    factor: str
    impact: str


class Force(Strict):
    force: str
    assessment: str


class Persona(Strict):
    segment: str
    characteristics: str
    needs: str
    pain_points: str
    decision_makers: str
    keywords: list[str] = Field(default_factory=list)


class CompetitorType(Strict):
    type: str
    names: list[str]
    strengths: str
    weaknesses: str
    response: str


class StrategyItem(Strict):
    dimension: str
    strategy: str
    measures: str


class Timing(Strict):
    anchor: Literal["start", "end", "month", "before_peak", "before_last_opportunity", "before_spring_festival",
                    "after"]
    days: int = 0
    month: int | None = Field(default=None, ge=1, le=12)
    ref: str | None = None  # the action id for anchor=after


class Action(Strict):
    id: str
    task: str
    owner: list[str] = Field(min_length=1)  # role keys in order of preference
    when: Timing
    kind: Literal["setup", "pipeline", "peak", "compliance", "review", "people", "retention"]
    deliverable: str
    resources: str
    after: list[str] = Field(default_factory=list)  # prerequisite action ids


class Cadence(Strict):
    frequency: str
    form: str
    content: str
    owner: str  # role key


class Warning(Strict):
    indicator: str
    threshold: str
    action: str


class EvalDim(Strict):
    dimension: str
    metric: str
    method: str
    frequency: str


class Swot(Strict):
    opportunities: list[str] = Field(min_length=2)
    threats: list[str] = Field(min_length=2)
    strength_checks: list[str] = Field(min_length=2)
    weakness_checks: list[str] = Field(min_length=2)
    strategies: list[str] = Field(min_length=4)


class Sections(Strict):
    market_overview: str
    pest: list[Pest] = Field(min_length=4)
    five_forces: list[Force] = Field(min_length=5)
    competitor_dimensions: list[str] = Field(min_length=3)
    competitor_types: list[CompetitorType] = Field(default_factory=list)
    positioning: str
    swot: Swot
    personas: list[Persona] = Field(min_length=2)
    needs_analysis: str
    strategy: list[StrategyItem] = Field(min_length=4)
    sales_process: list[str] = Field(min_length=5)
    actions: list[Action] = Field(min_length=6)
    cadence: list[Cadence] = Field(min_length=3)
    warnings: list[Warning] = Field(min_length=4)
    adjustment: str
    evaluation: list[EvalDim] = Field(min_length=4)
    improvements: list[str] = Field(min_length=3)
    incentives: list[str] = Field(min_length=3)
    collaboration: list[str] = Field(min_length=2)
    tools: list[str] = Field(min_length=2)
    targets_extra: list[str] = Field(default_factory=list)  # non-revenue targets this industry sets


class Vocabulary(Strict):
    use: list[str] = Field(min_length=5)
    avoid: list[str] = Field(default_factory=list)


class Playbook(Strict):
    id: str
    name: str
    version: int = 1
    summary: str
    match: Match
    motion: Motion
    deal: Deal
    win_rate: RateRange
    win_rate_label: str
    cycle_days: Range
    cycle_note: str
    growth: Growth  # typical yearly growth as a fraction (may be negative: low is not bounded by 0 here)
    collection_rate: RateRange  # collections ÷ revenue within the period
    collection_note: str
    funnel: Funnel
    productivity: Productivity
    seasonality: Seasonality
    channels: list[Channel] = Field(min_length=3)
    budget: Budget
    kpis: list[Kpi] = Field(min_length=5)
    risks: list[Risk] = Field(min_length=6)
    roles: list[Role] = Field(min_length=3)
    hiring: Hiring
    sections: Sections
    vocabulary: Vocabulary
    sources: str

    @model_validator(mode="after")
    def _references(self) -> Playbook:
        keys = {r.key for r in self.roles}
        refs = [k.owner for k in self.kpis] + [r.owner for r in self.risks] + [c.owner for c in self.sections.cadence]
        refs += [o for a in self.sections.actions for o in a.owner]
        refs += [self.hiring.default_quota_role, self.hiring.manager_role]
        missing = sorted({r for r in refs if r not in keys})
        if missing:
            raise ValueError(f"unknown role keys: {missing}")
        ids = {a.id for a in self.sections.actions}
        bad = sorted({p for a in self.sections.actions for p in a.after + ([a.when.ref] if a.when.ref else [])}
                     - ids)
        if bad:
            raise ValueError(f"unknown action ids: {bad}")
        if self.hiring.default_quota_role not in {r.key for r in self.roles if r.quota_bearing}:
            raise ValueError("default_quota_role must be a quota-bearing role")
        return self


_CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+|\s+(?=[\u3000-\u9fff\uff00-\uffef])")


def join_folded(text: str) -> str:
    """Folded YAML joins lines with a space; Chinese text wants none."""
    return _CJK_GAP.sub("", text)


def _folded(node):  # noqa: ANN001, ANN202
    if isinstance(node, str):
        return join_folded(node)
    if isinstance(node, list):
        return [_folded(v) for v in node]
    if isinstance(node, dict):
        return {k: _folded(v) for k, v in node.items()}
    return node


class PlaybookError(RuntimeError):
    """A playbook file that cannot be used; the message is for the user (Chinese)."""


PLAYBOOK_DIR = "playbooks"
FALLBACK = "generic"


def _problems(exc: ValidationError) -> str:
    return "；".join(f"{'.'.join(str(p) for p in e['loc'])}：{e['msg']}" for e in exc.errors()[:5])


@lru_cache(maxsize=4)
def _load_folder(folder: str) -> dict[str, Playbook]:
    books: dict[str, Playbook] = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            pb = Playbook.model_validate(_folded(data))
        except yaml.YAMLError as exc:
            raise PlaybookError(f"行业手册「{path.name}」不是合法的YAML：{exc}") from None
        except ValidationError as exc:
            raise PlaybookError(f"行业手册「{path.name}」格式有误：{_problems(exc)}") from None
        if pb.id != path.stem:
            raise PlaybookError(f"行业手册「{path.name}」的id应为{path.stem}，收到{pb.id}")
        books[pb.id] = pb
    if FALLBACK not in books:
        raise PlaybookError(f"找不到通用行业手册（{folder}/{FALLBACK}.yaml）")
    return books


def load_playbooks() -> dict[str, Playbook]:
    """Every playbook of the configured knowledge folder, by id (validated, cached)."""
    return _load_folder(str(Path(get_settings().knowledge_dir) / PLAYBOOK_DIR))


def get_playbook(playbook_id: str | None) -> Playbook:
    books = load_playbooks()
    return books.get(playbook_id or FALLBACK) or books[FALLBACK]


def playbook_ids() -> list[str]:
    return list(load_playbooks())


def budget_line_named(word: str, playbook_id: str | None, items: list[str]) -> str | None:
    """The budget line among `items` a person means by `word`: 「获客」 is 客户开发与差旅 in the industrial playbook."""
    if not word:
        return None
    direct = next((i for i in items if word in i), None)
    if direct:
        return direct
    for line in get_playbook(playbook_id).budget.lines:
        if line.item in items and any(word == a or word in a or a in word for a in line.aliases):
            return line.item
    return None
