"""The shared vocabulary: the numbers engine's Figures, the typed plan sections, the SalesPlan and its run metadata.

Section models are what a drafter (offline or LLM) fills. Table-like fields are lists of row models whose
Field titles are the Chinese column headings; renderers and the validator read those titles.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .request import PlanRequest

# ---------------------------------------------------------------- figures (numbers engine output)


class Assumption(BaseModel):
    field: str = Field(title="项目")
    value: str = Field(title="取值")
    source: str = Field(title="依据")


class PeriodAmount(BaseModel):
    label: str = Field(title="期间")
    amount: float = Field(title="目标金额")
    share: float = Field(title="占比")
    weight: float | None = Field(default=None, title="季节权重")
    quarter: str | None = Field(default=None, title="所属季度")


class RepQuota(BaseModel):
    name: str = Field(title="销售")
    role: str = Field(title="岗位")
    new_hire: bool = Field(title="新人")
    planned: bool = Field(default=False, title="计划招聘", description="a hire the plan adds to close a capacity gap")
    start_month: str = Field(title="起算月份")
    ramp_months: int = Field(title="爬坡月数")
    effective_months: float = Field(title="有效产能月")
    quota: float = Field(title="业绩指标")


class FunnelStage(BaseModel):
    name: str = Field(title="阶段")
    count: int = Field(title="所需数量")
    conversion_to_next: float | None = Field(default=None, title="转化到下一阶段")


class WeeklyActivity(BaseModel):
    activity: str = Field(title="活动")
    per_rep_per_week: float = Field(title="每人每周")
    team_per_week: float = Field(title="团队每周")


class BudgetLine(BaseModel):
    item: str = Field(title="科目")
    share: float = Field(title="占比")
    amount: float = Field(title="金额")


class PlanWarning(BaseModel):
    """A number far outside what the playbook considers normal: the user must confirm it."""

    field: str = Field(title="项目")
    message: str = Field(title="提示")


class SplitLine(BaseModel):
    """One region or product line of the target."""

    name: str = Field(title="名称")
    share: float = Field(title="占比")
    amount: float = Field(title="目标金额")
    basis: str = Field(title="依据")


class ChannelSplit(BaseModel):
    """A channel by its role: a revenue channel carries part of the target, a lead source part of the leads."""

    channel: str = Field(title="渠道")
    role: Literal["revenue", "lead_source", "both"] = Field(title="定位")
    share: float | None = Field(default=None, title="收入占比")
    amount: float | None = Field(default=None, title="目标金额")
    lead_share: float | None = Field(default=None, title="线索占比")
    leads: int | None = Field(default=None, title="所需线索")
    actions: str = Field(default="", title="关键动作")
    basis: str = Field(default="", title="依据")


class HirePlan(BaseModel):
    """Hires that close a capacity gap: when recruiting starts, when they arrive, what they add."""

    role: str = Field(title="岗位")
    count: int = Field(title="人数")
    start_month: str = Field(title="到岗月份")
    recruit_by: date = Field(title="启动招聘")
    ramp_months: int = Field(title="爬坡月数")
    capacity: float = Field(title="期内新增产能")


class TeamLine(BaseModel):
    """A role of the team the plan works with: as given by the user, or assumed by the engine (marked)."""

    role: str
    count: int
    quota_bearing: bool
    assumed: bool = False


class PipelineNeed(BaseModel):
    """The part of the target that closes before a newly found opportunity can: it must come from pipeline that
    exists at the start of the period."""

    months: list[str]
    amount: float
    share: float
    pipeline_value: float
    first_new_close: date
    all_of_period: bool = False


class Figures(BaseModel):
    """Every number the plan quotes, computed once by the numbers engine."""

    unit: str
    period_start: date
    period_end: date
    period_label: str
    months_count: int
    weeks: float
    revenue_target: float
    baseline_revenue: float | None = None
    growth_rate: float | None = None
    collection_target: float
    collection_rate: float
    new_customers: int | None = None
    repurchase_rate: float | None = None
    seasonality_basis: str
    quarters: list[PeriodAmount]
    months: list[PeriodAmount]
    reps: list[RepQuota]
    headcount: int
    avg_deal_size: float
    win_rate: float
    deals: int
    opportunities: int
    funnel: list[FunnelStage]
    weekly_activities: list[WeeklyActivity]
    sales_cycle_days: int
    pipeline_coverage: float
    pipeline_value: float
    lead_time_note: str
    last_opportunity_date: date
    capacity_per_rep_month: float
    team_capacity: float
    capacity_gap: float
    headcount_needed: int
    headcount_gap: int
    budget_total: float
    budget_lines: list[BudgetLine]
    expense_ratio: float
    assumptions: list[Assumption]
    open_questions: list[str]
    # the industry playbook the defaults and the drafter's content come from (knowledge/playbooks/<id>.yaml)
    playbook_id: str = "generic"
    playbook_name: str = ""
    playbook_reason: str = ""
    playbook_confident: bool = True
    deal_unit: str = "单"
    deal_label: str = "成交"
    win_rate_label: str = "商机到成交的比例"
    seasonality_notes: list[str] = Field(default_factory=list)
    spring_festival: date | None = None
    warnings: list[PlanWarning] = Field(default_factory=list)
    regions: list[SplitLine] = Field(default_factory=list)
    products: list[SplitLine] = Field(default_factory=list)
    channels: list[ChannelSplit] = Field(default_factory=list)
    hiring: list[HirePlan] = Field(default_factory=list)
    team: list[TeamLine] = Field(default_factory=list)
    pipeline_need: PipelineNeed | None = None
    capacity_gap_after_hiring: float = 0.0


# ---------------------------------------------------------------- sections


class SectionBase(BaseModel):
    model_config = ConfigDict(extra="ignore")
    citations: list[str] = Field(default_factory=list, title="引用", description="所引用资料片段的编号，如 [S1]")
    assumptions: list[str] = Field(default_factory=list, title="假设")
    open_questions: list[str] = Field(default_factory=list, title="待确认")


class ExecutiveSummary(SectionBase):
    summary: str = Field(title="概述", description="3-5句话概括目标、路径、资源与关键风险")
    key_points: list[str] = Field(default_factory=list, title="要点")


class PestFactor(BaseModel):
    dimension: Literal["政策", "经济", "社会", "技术"] = Field(title="维度")
    factor: str = Field(title="因素")
    impact: str = Field(title="影响")


class ForceItem(BaseModel):
    force: str = Field(title="竞争力量")
    assessment: str = Field(title="判断")


class Competitor(BaseModel):
    name: str = Field(title="竞争对手")
    strengths: str = Field(title="优势")
    weaknesses: str = Field(title="劣势")
    our_response: str = Field(title="我方应对")


class MarketAnalysis(SectionBase):
    market_overview: str = Field(title="市场概况")
    pest: list[PestFactor] = Field(default_factory=list, title="PEST分析")
    five_forces: list[ForceItem] = Field(default_factory=list, title="五力分析")
    competitors: list[Competitor] = Field(default_factory=list, title="主要竞争对手")
    positioning: str = Field(default="", title="我方定位")


class Swot(SectionBase):
    strengths: list[str] = Field(default_factory=list, title="优势(S)")
    weaknesses: list[str] = Field(default_factory=list, title="劣势(W)")
    opportunities: list[str] = Field(default_factory=list, title="机会(O)")
    threats: list[str] = Field(default_factory=list, title="威胁(T)")
    strategies: list[str] = Field(default_factory=list, title="SO/ST/WO/WT策略")


class TargetItem(BaseModel):
    name: str = Field(title="目标")
    value: str = Field(title="目标值")
    deadline: str = Field(title="截止时间")
    measure: str = Field(title="衡量方式")


class SalesTargets(SectionBase):
    statement: str = Field(title="目标陈述")
    targets: list[TargetItem] = Field(default_factory=list, title="目标清单")
    smart_check: list[str] = Field(default_factory=list, title="SMART检查")


class TargetBreakdown(SectionBase):
    seasonality_basis: str = Field(title="季节性依据")
    quarters: list[PeriodAmount] = Field(default_factory=list, title="季度分解")
    months: list[PeriodAmount] = Field(default_factory=list, title="月度分解")
    regions: list[SplitLine] = Field(default_factory=list, title="区域分解")
    products: list[SplitLine] = Field(default_factory=list, title="产品分解")
    reps: list[RepQuota] = Field(default_factory=list, title="个人指标")
    notes: list[str] = Field(default_factory=list, title="说明")


class FunnelCapacity(SectionBase):
    inputs: list[Assumption] = Field(default_factory=list, title="测算参数")
    stages: list[FunnelStage] = Field(default_factory=list, title="漏斗测算")
    weekly_activities: list[WeeklyActivity] = Field(default_factory=list, title="每周活动量")
    capacity: list[Assumption] = Field(default_factory=list, title="产能与人力")
    analysis: str = Field(default="", title="结论")


class Persona(BaseModel):
    segment: str = Field(title="客户群")
    characteristics: str = Field(title="特征")
    needs: str = Field(title="核心需求")
    pain_points: str = Field(title="痛点")
    decision_makers: str = Field(title="决策链")


class CustomerPersona(SectionBase):
    personas: list[Persona] = Field(default_factory=list, title="客户画像")
    needs_analysis: str = Field(default="", title="需求分析")


class StrategyItem(BaseModel):
    dimension: str = Field(title="维度")
    strategy: str = Field(title="策略")
    measures: str = Field(title="关键举措")


class SalesStrategy(SectionBase):
    items: list[StrategyItem] = Field(default_factory=list, title="策略组合")
    sales_process: list[str] = Field(default_factory=list, title="销售流程")


class ChannelRow(BaseModel):
    channel: str = Field(title="渠道")
    role: str = Field(title="定位")
    target_share: float | None = Field(default=None, title="目标占比")
    target_amount: float | None = Field(default=None, title="目标金额")
    leads: int | None = Field(default=None, title="所需线索")
    actions: str = Field(title="关键动作")


class ChannelPlan(SectionBase):
    channels: list[ChannelRow] = Field(default_factory=list, title="渠道规划")
    notes: list[str] = Field(default_factory=list, title="说明")


class RoleRow(BaseModel):
    role: str = Field(title="岗位")
    count: int = Field(title="人数")
    responsibilities: str = Field(title="职责")
    quota: float | None = Field(default=None, title="业绩指标")


class HiringRow(BaseModel):
    role: str = Field(title="岗位")
    count: int = Field(title="人数")
    by_month: str = Field(title="到岗时间")
    reason: str = Field(title="原因")


class Team(SectionBase):
    roles: list[RoleRow] = Field(default_factory=list, title="岗位与分工")
    hiring: list[HiringRow] = Field(default_factory=list, title="招聘计划")
    collaboration: list[str] = Field(default_factory=list, title="协作机制")


class ActionItem(BaseModel):
    task: str = Field(title="任务内容")
    owner: str = Field(title="负责人")
    deadline: date = Field(title="时间节点")
    deliverable: str = Field(title="交付成果")
    resources: str = Field(title="所需资源")


class ActionPlan(SectionBase):
    items: list[ActionItem] = Field(default_factory=list, title="行动计划")


class BudgetRow(BaseModel):
    item: str = Field(title="科目")
    amount: float = Field(title="金额")
    share: float = Field(title="占比")
    purpose: str = Field(title="用途")


class Budget(SectionBase):
    lines: list[BudgetRow] = Field(default_factory=list, title="预算明细")
    total: float = Field(title="预算合计")
    expense_ratio: float | None = Field(default=None, title="费用率")
    tools: list[str] = Field(default_factory=list, title="工具与资源")


class KpiRow(BaseModel):
    name: str = Field(title="指标")
    formula: str = Field(title="计算公式")
    target: str = Field(title="目标值")
    frequency: str = Field(title="考核频率")
    owner: str = Field(title="负责人")


class KpiIncentives(SectionBase):
    kpis: list[KpiRow] = Field(default_factory=list, title="KPI")
    incentives: list[str] = Field(default_factory=list, title="激励规则")


class CadenceRow(BaseModel):
    frequency: str = Field(title="频率")
    form: str = Field(title="形式")
    content: str = Field(title="内容")
    owner: str = Field(title="负责人")


class WarningRow(BaseModel):
    indicator: str = Field(title="预警指标")
    threshold: str = Field(title="阈值")
    action: str = Field(title="触发动作")


class TrackingReview(SectionBase):
    cadence: list[CadenceRow] = Field(default_factory=list, title="跟踪节奏")
    warnings: list[WarningRow] = Field(default_factory=list, title="预警机制")
    adjustment: str = Field(default="", title="调整机制")


class RiskRow(BaseModel):
    category: Literal["市场风险", "管理风险", "客户风险", "执行风险"] = Field(title="类别")
    risk: str = Field(title="风险")
    trigger: str = Field(title="触发信号")
    response: str = Field(title="应对措施")
    owner: str = Field(title="负责人")


class Risks(SectionBase):
    risks: list[RiskRow] = Field(default_factory=list, title="风险清单")


class EvalRow(BaseModel):
    dimension: str = Field(title="评估维度")
    metric: str = Field(title="指标")
    method: str = Field(title="方法")
    frequency: str = Field(title="频率")


class Evaluation(SectionBase):
    dimensions: list[EvalRow] = Field(default_factory=list, title="评估维度")
    improvements: list[str] = Field(default_factory=list, title="复盘与持续改进")


class SectionSpec(BaseModel):
    key: str
    title: str
    model: type[SectionBase]


SECTION_SPECS: list[SectionSpec] = [
    SectionSpec(key="executive_summary", title="执行摘要", model=ExecutiveSummary),
    SectionSpec(key="market_analysis", title="市场与竞争分析", model=MarketAnalysis),
    SectionSpec(key="swot", title="SWOT分析", model=Swot),
    SectionSpec(key="sales_targets", title="销售目标", model=SalesTargets),
    SectionSpec(key="target_breakdown", title="目标分解", model=TargetBreakdown),
    SectionSpec(key="funnel_capacity", title="漏斗与产能测算", model=FunnelCapacity),
    SectionSpec(key="customer_persona", title="客户画像", model=CustomerPersona),
    SectionSpec(key="sales_strategy", title="销售策略", model=SalesStrategy),
    SectionSpec(key="channel_plan", title="渠道规划", model=ChannelPlan),
    SectionSpec(key="team", title="团队与分工", model=Team),
    SectionSpec(key="action_plan", title="行动计划", model=ActionPlan),
    SectionSpec(key="budget", title="预算与资源", model=Budget),
    SectionSpec(key="kpi_incentives", title="KPI与考核激励", model=KpiIncentives),
    SectionSpec(key="tracking_review", title="执行跟踪与复盘", model=TrackingReview),
    SectionSpec(key="risks", title="风险与应对", model=Risks),
    SectionSpec(key="evaluation", title="效果评估与持续改进", model=Evaluation),
]
SECTIONS: dict[str, SectionSpec] = {s.key: s for s in SECTION_SPECS}
SECTION_KEYS: list[str] = [s.key for s in SECTION_SPECS]


class PlanSections(BaseModel):
    executive_summary: ExecutiveSummary | None = None
    market_analysis: MarketAnalysis | None = None
    swot: Swot | None = None
    sales_targets: SalesTargets | None = None
    target_breakdown: TargetBreakdown | None = None
    funnel_capacity: FunnelCapacity | None = None
    customer_persona: CustomerPersona | None = None
    sales_strategy: SalesStrategy | None = None
    channel_plan: ChannelPlan | None = None
    team: Team | None = None
    action_plan: ActionPlan | None = None
    budget: Budget | None = None
    kpi_incentives: KpiIncentives | None = None
    tracking_review: TrackingReview | None = None
    risks: Risks | None = None
    evaluation: Evaluation | None = None

    def get(self, key: str) -> SectionBase | None:
        return getattr(self, key)

    def items(self) -> list[tuple[SectionSpec, SectionBase | None]]:
        return [(spec, getattr(self, spec.key)) for spec in SECTION_SPECS]


# ---------------------------------------------------------------- plan + metadata


class Reference(BaseModel):
    id: str = Field(title="编号")
    source: str = Field(title="来源")
    title: str = Field(title="标题")
    excerpt: str = Field(default="", title="摘录")


class SectionRun(BaseModel):
    """How one section was produced."""

    status: Literal["offline", "done", "retried", "fallback", "repaired"] = "offline"
    method: str | None = None
    attempts: int = 0
    fallback_reason: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0
    cost: float = 0.0
    dropped_citations: int = 0
    errors: list[str] = Field(default_factory=list)
    parts: int = 0  # smaller calls (one list / one row each) after the whole section failed twice


class RunMetadata(BaseModel):
    drafter: Literal["offline", "llm"] = "offline"
    model: str | None = None
    base_url_host: str | None = None
    prompt_version: str | None = None
    created_at: datetime = Field(default_factory=datetime.now)
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    latency_s: float = 0.0
    sections: dict[str, SectionRun] = Field(default_factory=dict)
    score_history: list[float] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class SalesPlan(BaseModel):
    title: str
    request: PlanRequest
    figures: Figures
    sections: PlanSections
    assumptions: list[Assumption] = Field(default_factory=list)
    open_questions: list[str] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    metadata: RunMetadata = Field(default_factory=RunMetadata)

    def all_open_questions(self) -> list[str]:
        seen: dict[str, None] = dict.fromkeys(self.open_questions)
        for _, section in self.sections.items():
            if section is not None:
                seen.update(dict.fromkeys(section.open_questions))
        return list(seen)


class ProgressEvent(BaseModel):
    """Per-section progress the UI and CLI show while a plan is drafted."""

    section: str
    status: Literal["waiting", "started", "retried", "done", "fallback", "repaired", "offline"]
    detail: str = ""


Progress = Callable[[ProgressEvent], None]  # the one progress callback type: drafting, repair, revision, UI, CLI
