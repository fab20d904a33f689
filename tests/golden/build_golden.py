"""Rebuild the golden plan JSON files from the built-in example request (run by hand, not by the tests):

    .venv/bin/python tests/golden/build_golden.py

complete_plan.json      the offline draft of the example request, with the company facts an offline draft cannot
                        know filled in by hand (market data, competitor strengths, customer needs): passes every item.
missing_sections.json   the complete plan without its SWOT, budget and risk sections.
inconsistent_numbers.json
                        the complete plan with numbers that disagree (months, quotas, channels, funnel, coverage,
                        budget, growth, a deadline after the period).
The expected findings for each file are written out in tests/test_validation_golden.py; after rebuilding, check
them by reading the reports, not by copying whatever the validator now says.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from assistant.drafting.offline import draft_offline
from assistant.files import atomic_write
from assistant.request import load_request
from assistant.schema import Competitor, Persona, SalesPlan

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parents[1] / "assistant" / "examples" / "example_request.yaml"


def complete() -> SalesPlan:
    plan = draft_offline(load_request(EXAMPLE))
    plan.metadata.created_at = datetime(2026, 11, 20, 9, 0)
    m = plan.sections.market_analysis
    m.market_overview = ("江苏工业润滑油市场规模约45亿元，近三年年增速约4%（来源：行业协会2026年报告），"
                         "其中齿轮油与液压油约占四成；苏南制造业园区集中了约六成需求。")
    m.competitors = [
        Competitor(name="壳牌", strengths="品牌认知高，产品线全", weaknesses="价格高，中小客户服务响应慢",
                   our_response="以48小时技术服务和油品检测打动中小制造企业"),
        Competitor(name="美孚", strengths="高端合成油技术领先", weaknesses="经销层级多，账期严格",
                   our_response="直销+灵活账期，主攻注塑与机加工客户"),
        Competitor(name="长城润滑油", strengths="价格低，国企客户关系深", weaknesses="工业油品定制能力弱",
                   our_response="提供工况定制配方与换油周期方案"),
    ]
    m.open_questions = []
    p = plan.sections.customer_persona
    p.personas = [Persona(segment="苏南机械加工与注塑企业（年产值1-10亿元）", characteristics="设备密集，三班倒，停机损失大",
                          needs="延长换油周期、减少非计划停机、油品检测与技术支持",
                          pain_points="现有供应商只卖油不服务，出现故障无人到场",
                          decision_makers="设备部提出需求，采购部比价，生产副总审批")]
    p.open_questions = []
    return plan


def missing_sections(plan: SalesPlan) -> SalesPlan:
    plan = plan.model_copy(deep=True)
    plan.sections.swot = plan.sections.budget = plan.sections.risks = None
    return plan


def inconsistent_numbers(plan: SalesPlan) -> SalesPlan:
    plan = plan.model_copy(deep=True)
    s = plan.sections
    s.target_breakdown.months[0].amount += 50  # months no longer add up to the quarters and the target
    for rep in s.target_breakdown.reps:  # quotas cover only half the target
        rep.quota = round(rep.quota / 2, 2)
    s.channel_plan.channels[0].target_amount += 100  # channels add up to 1,300
    stages = s.funnel_capacity.stages
    stages[1].count = 2000  # 合格线索 more than 线索
    stages[-1].count = 120  # 成交 no longer target ÷ deal size
    s.funnel_capacity.inputs[2].value = "135%"  # a conversion rate above 100%
    s.funnel_capacity.capacity[4].value = "2倍"  # coverage below 1 ÷ win rate
    s.budget.lines[0].amount += 20  # budget lines add up to 170, total 150
    s.sales_targets.statement = s.sales_targets.statement.replace("增长25%", "增长30%")
    s.action_plan.items[-1].deadline = date(2028, 1, 15)  # after the period
    return plan


def main() -> None:
    plan = complete()
    for name, p in (("complete_plan", plan), ("missing_sections", missing_sections(plan)),
                    ("inconsistent_numbers", inconsistent_numbers(plan))):
        atomic_write(HERE / f"{name}.json", p.model_dump_json(indent=2))
        print(f"wrote {name}.json")


if __name__ == "__main__":
    main()
