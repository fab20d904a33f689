"""Free-text intake with a model: spans the user did not write are dropped, misplaced ones too, required fields
still missing are reported, and the rule-based reader is the floor (offline, or when the model fails)."""

from __future__ import annotations

from datetime import date

import httpx
import openai

from assistant.config import Settings
from assistant.intake.model_reader import extract_with_llm, read_text
from support.fakes import ScriptedChatModel, tool_answer

TODAY = date(2026, 11, 23)
TEXT = "我们是做工业润滑油的，明年江苏要做到1200万，6个销售，预算150万，对手主要是壳牌和美孚"


def spans(**values):
    keys = ["company", "industry", "product", "region", "period", "revenue_target", "baseline_revenue",
            "collection_target", "budget_total", "avg_deal_size", "win_rate", "repurchase_rate", "sales_count",
            "new_customers"]
    answer = {k: values.get(k) for k in keys}
    answer.update(channels=values.get("channels", []), competitors=values.get("competitors", []))
    return ScriptedChatModel(responder=lambda m, kw: tool_answer("plan_request", answer))


def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, llm_structured_method="function_calling")


def test_a_sentence_becomes_request_fields_and_the_missing_company_is_reported(tmp_path):
    model = spans(product="工业润滑油", region="江苏", period="明年", revenue_target="1200万", sales_count="6",
                  budget_total="150万", competitors=["壳牌", "美孚"])
    result = extract_with_llm(TEXT, settings(tmp_path), today=TODAY, llm=model)
    assert result.fields == {"product": "工业润滑油", "region": "江苏", "period": "2027年全年",
                             "revenue_target": 1200, "budget_total": 150, "team": [{"role": "销售代表", "count": 6}],
                             "competitors": ["壳牌", "美孚"]}
    assert result.missing == [], "only the target is indispensable"


def test_what_the_user_did_not_write_is_never_kept(tmp_path):
    # what Qwen2.5-0.5B really answered for this sentence (tests/cassettes/extraction.yaml), plus a made-up win rate
    model = spans(company="工业润滑油", industry="江苏", product="工业润滑油", region="江苏", period="明年",
                  revenue_target="1200万", baseline_revenue="6个销售", collection_target="回款目标",
                  budget_total="150万", sales_count="6", win_rate="30%", channels=["经销商", "供应商"],
                  competitors=["公司A", "公司B"])
    result = extract_with_llm(TEXT, settings(tmp_path), today=TODAY, llm=model)
    for invented in ("company", "industry", "baseline_revenue", "collection_target", "win_rate", "channels"):
        assert invented not in result.fields, invented
    assert "competitors" not in result.fields
    assert result.fields["region"] == "江苏" and result.missing == []
    notes = "\n".join(result.notes)
    assert "回款目标「回款目标」不在原文中" in notes and "赢单率「30%」不在原文中" in notes
    assert "公司名称「工业润滑油」不像该字段的内容" in notes and "行业「江苏」不像该字段的内容" in notes


def test_the_rules_come_first_and_the_model_only_fills_gaps(tmp_path):
    text = "公司叫华东润滑科技有限公司，明年江苏要做到1200万"
    model = spans(company="华东润滑科技有限公司", region="江苏", period="明年", revenue_target="1300万",
                  product="润滑")
    result = read_text(text, settings(tmp_path), today=TODAY, llm=model)
    assert result.fields["revenue_target"] == 1200            # the rule's reading of the number is kept
    assert result.fields["company"] == "华东润滑科技有限公司"
    assert not result.missing


def test_when_the_model_fails_the_rule_based_reading_is_used_and_said(tmp_path):
    refused = openai.APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions"))
    model = ScriptedChatModel(responder=lambda m, kw: refused)
    result = read_text(TEXT, settings(tmp_path), today=TODAY, llm=model)
    assert result.fields["region"] == "江苏" and result.fields["revenue_target"] == 1200
    assert any("大模型抽取失败" in n and "已使用规则抽取" in n for n in result.notes)


def test_offline_never_calls_a_model(tmp_path):
    model = spans(region="江苏")
    result = read_text(TEXT, settings(tmp_path), today=TODAY, llm=model, use_model=False)
    assert model.calls == [] and result.fields["region"] == "江苏"


def test_a_model_reading_replaces_only_a_guess_of_the_rules_never_a_refused_value(tmp_path):
    text = "明年江苏目标1200万，竞争对手是甲乙丙丁戊己庚辛，赢单率150%"
    model = spans(competitors=["甲乙丙丁", "戊己庚辛"], win_rate="150%", revenue_target="1200万")
    result = read_text(text, settings(tmp_path), today=TODAY, llm=model, use_model=True)
    assert result.fields["competitors"] == ["甲乙丙丁", "戊己庚辛"], "the rules were unsure how to split the run"
    assert "win_rate" not in result.fields and result.refused == ["win_rate"]
    assert any("规则读得不确定、改用大模型读到的：竞争对手" in n for n in result.notes)
    assert any("大模型读到的赢单率未采用" in n for n in result.notes)
