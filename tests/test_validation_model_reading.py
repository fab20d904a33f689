"""With a model configured, a model may read the plan into the same facts — used only where the rules found nothing,
and marked as such in the report. (LangChain fake chat models here; the LLM engineer may record a real reading.)"""

from __future__ import annotations

import json

from assistant.config import Settings
from assistant.drafting.llm import StructuredLLM
from assistant.validation import validate_file
from support.fakes import ScriptedChatModel, text_answer

# the budget in words the rules cannot read (Chinese numerals), everything else plain
PLAN = """# 2027年西南区净水器销售计划

计划周期：2027年1月1日至2027年12月31日　金额单位：万元

## 一、年度目标

2027年销售额目标600万元，回款560万元。

## 二、费用

展会花了六十万，经销商返利四十五万，门店物料三十万，一共一百三十五万。

## 三、风险

经销商压货过多时，暂停发货并由区域经理黎明负责清理库存。
"""

READING = {"months": [], "budget_lines": [{"item": "展会", "amount": 60}, {"item": "经销商返利", "amount": 45},
                                          {"item": "门店物料", "amount": 30}], "budget_total": 135,
           "competitors": [], "kpis": [], "risks": [{"risk": "经销商压货", "trigger": "压货过多",
                                                     "response": "暂停发货、清理库存", "owner": "黎明"}]}


def model(tmp_path, answer: dict) -> tuple[StructuredLLM, ScriptedChatModel]:
    chat = ScriptedChatModel(responder=lambda messages, kwargs: text_answer(json.dumps(answer, ensure_ascii=False)))
    settings = Settings(data_dir=tmp_path / "data", llm_structured_method="json_mode")
    return StructuredLLM(settings, model=chat, use_cache=False), chat


def test_what_the_rules_cannot_read_is_read_by_the_model_and_marked(tmp_path):
    path = tmp_path / "plan.md"
    path.write_text(PLAN, encoding="utf-8")
    without = validate_file(path)
    assert without.item("BUD-01").status == "fail"

    llm, chat = model(tmp_path, READING)
    report = validate_file(path, model=llm)
    assert len(chat.calls) == 1 and "展会花了六十万" in str(chat.calls[0][0][-1].content)
    budget = report.item("BUD-01")
    assert budget.status == "pass" and "135万元" in budget.reason
    assert report.item("BUD-02").status == "pass"  # 60 + 45 + 30 = 135, checked by the same rule
    assert any(r.how == "模型读取" and r.sections == ["budget"] for r in report.heading_reads)
    assert "由模型读取" in report.to_markdown()


def test_the_model_never_replaces_what_the_rules_found(tmp_path):
    path = tmp_path / "plan.md"
    path.write_text(PLAN.replace("展会花了六十万，经销商返利四十五万，门店物料三十万，一共一百三十五万。",
                                 "全年费用总预算135万元，其中展会60万元、经销商返利45万元、门店物料30万元。"), encoding="utf-8")
    wrong = dict(READING, budget_lines=[{"item": "展会", "amount": 999}], budget_total=1)
    llm, _ = model(tmp_path, wrong)
    report = validate_file(path, model=llm)
    assert "3个科目合计135万元，预算总额135万元，一致" in report.item("BUD-02").reason
    assert not any(r.how == "模型读取" and "budget" in r.sections for r in report.heading_reads)


def test_an_unusable_model_answer_leaves_the_rules_verdict(tmp_path):
    path = tmp_path / "plan.md"
    path.write_text(PLAN, encoding="utf-8")
    chat = ScriptedChatModel(responder=lambda messages, kwargs: text_answer("我看不懂这份方案"))
    llm = StructuredLLM(Settings(data_dir=tmp_path / "data", llm_structured_method="json_mode", llm_reask_attempts=0),
                        model=chat, use_cache=False)
    report = validate_file(path, model=llm)
    assert report.item("BUD-01").status == "fail"
