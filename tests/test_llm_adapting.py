"""The chain adapts to the server it talks to: a section the model fails twice is drafted as smaller calls (one list,
then one row at a time) before the offline fallback; the plan's deadline leaves time for the summary and the repair;
the concurrency is what the server really serves (measured once, remembered); prompts are chosen by model class.
Fake chat models and fake HTTP endpoints; no model, no network."""

from __future__ import annotations

import json

import pytest

from assistant.config import Settings
from assistant.drafting.chain import draft_sections, redraft_sections
from assistant.drafting.decompose import field_parts, row_parts
from assistant.drafting.endpoint import Limits, ModelMemory, probe_concurrency
from assistant.drafting.llm import grammar_schema, make_chat_model
from assistant.drafting.pace import PlanClock
from assistant.drafting.prompt_classes import guess_class
from assistant.drafting.prompts import load_prompts, section_schema
from assistant.schema import SECTION_KEYS
from support.endpoints import FakeEndpoint, sse
from support.fakes import ScriptedChatModel, StubKB, good_args, section_of, text_answer


def settings(tmp_path, **kw) -> Settings:
    return Settings(data_dir=tmp_path / "data", llm_structured_method="json_object_schema", llm_concurrency=1, **kw)


def fields_asked(kwargs) -> list[str]:
    return list(kwargs["response_format"]["schema"]["properties"])


# ---------------------------------------------------------------- decompose before falling back


def test_a_section_failed_twice_is_drafted_one_list_at_a_time_before_any_fallback(example, tmp_path):
    """The small model keeps writing two-character SWOT items when asked for the whole section; asked for one list
    at a time it writes sentences. The section is the model's, after 2 whole attempts and 5 part calls."""
    request, figures = example
    s = settings(tmp_path)
    good = good_args("swot", request, figures, load_prompts(s.prompts_dir, s.prompt_version), citations=())

    def responder(messages, kwargs):
        asked = fields_asked(kwargs)
        if len(asked) > 2:   # the whole section: fragments, every time
            return text_answer(json.dumps({k: ["成本高"] * 3 if isinstance(v, list) else v for k, v in good.items()},
                                          ensure_ascii=False))
        assert "【分步撰写】" in messages[-1].content
        field = asked[0]
        return text_answer(json.dumps({field: good[field]}, ensure_ascii=False))

    model = ScriptedChatModel(responder=responder)
    plan = draft_sections(request, figures, settings=s, kb=StubKB(), sections=["swot"], llm=model)
    run = plan.metadata.sections["swot"]
    assert run.status == "retried" and run.parts == 5 and run.attempts == 2 + 5
    assert plan.sections.swot.strengths == good["strengths"]
    assert [fields_asked(kw)[0] for _, kw in model.calls[2:]] == \
        ["strengths", "weaknesses", "opportunities", "threats", "strategies"]
    # what the later parts were told had been written already (so they do not repeat it)
    assert good["strengths"][0] in model.calls[3][0][-1].content
    assert any(n.startswith("分步：SWOT分析") for n in plan.metadata.notes)


def test_a_list_of_rows_that_fails_again_is_drafted_one_row_at_a_time_with_its_category_pinned(example, tmp_path):
    request, figures = example
    s = settings(tmp_path)
    good = good_args("risks", request, figures, load_prompts(s.prompts_dir, s.prompt_version), citations=())["risks"]
    rows = iter(good)

    def responder(messages, kwargs):
        props = kwargs["response_format"]["schema"]["properties"]
        if "risks" in props:   # the section, and then the list on its own: an English list each time
            return text_answer(json.dumps({"risks": [{**r, "risk": "Price war"} for r in good]}))
        assert props["category"]["enum"] and len(props["category"]["enum"]) == 1   # this row's category
        return text_answer(json.dumps({**next(rows), "category": props["category"]["enum"][0]},
                                      ensure_ascii=False))

    model = ScriptedChatModel(responder=responder)
    plan = draft_sections(request, figures, settings=s, kb=StubKB(), sections=["risks"], llm=model)
    run = plan.metadata.sections["risks"]
    assert run.status == "retried", run.fallback_reason
    assert [r.category for r in plan.sections.risks.risks] == ["市场风险", "管理风险", "客户风险", "执行风险"]
    assert run.parts == 1 + 4 and len(model.calls) == 2 + 2 + 4


def test_a_part_that_still_fails_ends_in_the_named_fallback(example, tmp_path):
    request, figures = example
    model = ScriptedChatModel(responder=lambda m, kw: text_answer(json.dumps(
        {f: ["成本高"] * 3 for f in fields_asked(kw)}, ensure_ascii=False)))
    plan = draft_sections(request, figures, settings=settings(tmp_path), kb=StubKB(), sections=["swot"], llm=model)
    run = plan.metadata.sections["swot"]
    assert run.status == "fallback" and run.fallback_reason.startswith("分步起草仍未通过：优势(S)（strengths）")
    assert "太短" in run.fallback_reason and plan.sections.swot.strengths   # the offline text stands in


def test_parts_are_cut_from_the_sections_own_schema():
    prompts = load_prompts(Settings().prompts_dir, "v4-small")
    schema = section_schema(prompts, "market_analysis")
    assert [p.field for p in field_parts(schema)] == ["market_overview", "pest", "five_forces", "competitors",
                                                      "positioning"]
    pest = row_parts(schema, "pest")
    assert [p.pinned for p in pest] == [{"dimension": d} for d in ("政策", "经济", "社会", "技术")]
    assert row_parts(schema, "market_overview") == []          # a sentence has no rows


# ---------------------------------------------------------------- what goes into a grammar


def test_the_grammar_gets_the_shape_and_the_checks_get_the_lengths():
    prompts = load_prompts(Settings().prompts_dir, "v4-small")
    schema = section_schema(prompts, "risks")
    shape = grammar_schema(schema)
    risks = shape["properties"]["risks"]
    assert risks["minItems"] == 4 and risks["items"]["properties"]["category"]["enum"]     # shape stays
    assert "maxLength" not in json.dumps(shape) and "title" not in json.dumps(shape)        # content goes
    assert "maxLength" in json.dumps(schema)                                                # (the prompt keeps it)


# ---------------------------------------------------------------- the plan's deadline


def test_the_plan_deadline_leaves_time_for_the_summary_and_says_which_sections_it_cost(example, tmp_path):
    request, figures = example
    s = settings(tmp_path, llm_plan_timeout=8.0, prompt_version="v1")
    prompts = load_prompts(s.prompts_dir, "v1")

    def responder(messages, kwargs):
        key = section_of(messages)
        return text_answer(json.dumps(good_args(key, request, figures, prompts), ensure_ascii=False))

    model = ScriptedChatModel(responder=responder, delay=0.5)
    plan = draft_sections(request, figures, settings=s, kb=StubKB(), llm=model)
    runs = plan.metadata.sections
    timed_out = [k for k, r in runs.items() if r.status == "fallback"]
    assert timed_out and all("方案总时限8秒" in runs[k].fallback_reason for k in timed_out)
    assert runs["executive_summary"].status == "done"        # the summary's reserve was kept
    assert len(model.calls) < len(SECTION_KEYS)


def test_the_repair_round_spends_what_the_draft_left_and_no_more(example, tmp_path):
    request, figures = example
    s = settings(tmp_path, llm_plan_timeout=4.0, prompt_version="v1")
    model = ScriptedChatModel(responder=lambda m, kw: text_answer("{}"))
    clock = PlanClock(s, ModelMemory(tmp_path / "m.json").get("x"), started=0.001)   # started long ago
    plan = draft_sections(request, figures, settings=s, kb=StubKB(), sections=["swot"], llm=model, clock=clock)
    again = redraft_sections(plan, {"swot": ["太笼统"]}, settings=s, kb=StubKB(), llm=model, clock=clock)
    assert model.calls == []
    assert "方案总时限" in plan.metadata.sections["swot"].fallback_reason
    assert any("重写失败" in n for n in again.metadata.notes)


# ---------------------------------------------------------------- how many requests at once


def _tiny(n, body):
    return sse("销售漏斗是从线索到成交的逐级筛选过程。", size=4, gap=0.15)


@pytest.mark.parametrize("serial, cut, expected", [
    (False, False, 4),     # a server that serves both at once (vLLM, a hosted API)
    (True, False, 1),      # one slot: the second waits until the first is done
    (False, True, 1),      # llama-cpp-python: the first answer is ended when the second request arrives
])
def test_the_concurrency_is_what_the_server_really_serves(tmp_path, serial, cut, expected):
    def script(n, body):
        return sse("销售漏斗从线索开始", size=4, finish=None) if cut and n == 0 else _tiny(n, body)

    with FakeEndpoint(script, serial=serial) as ep:
        model = make_chat_model(Settings(llm_base_url=ep.url, llm_model="m", llm_max_retries=0))
        n, note = probe_concurrency(model, limits=Limits(connect=5, first_token=5, stall=5), gap=0.3)
    assert n == expected, note
    assert ep.requests == 2


def test_the_measured_concurrency_is_remembered_per_model(example, tmp_path):
    request, figures = example
    with FakeEndpoint(lambda n, body: sse("销售漏斗从线索开始", size=4, finish=None) if n == 0 else _tiny(n, body)) as ep:
        s = Settings(data_dir=tmp_path / "data", llm_base_url=ep.url, llm_model="m", llm_max_retries=0,
                     prompt_version="v1")
        from assistant.drafting.llm import StructuredLLM

        first = StructuredLLM(s).concurrency()
        second = StructuredLLM(s).concurrency()
    assert first[:2] == second[:2] and first[0] == 1 and "中断" in first[1]
    assert ep.requests == 2                                    # measured once
    saved = json.loads((tmp_path / "data" / "llm_methods.json").read_text(encoding="utf-8"))
    assert saved[f"m@{ep.url.split('/')[2]}"]["concurrency"] == 1


# ---------------------------------------------------------------- prompt classes


@pytest.mark.parametrize("model, url, cls", [
    ("local-qwen", "http://127.0.0.1:8765/v1", "small"),
    ("qwen2.5-7b-instruct", "http://10.0.0.3:8000/v1", "small"),
    ("deepseek-r1:14b", "http://localhost:11434/v1", "small"),
    ("Qwen2.5-72B-Instruct", "http://10.1.1.1/v1", "strong"),
    ("deepseek-chat", "https://api.deepseek.com/v1", "strong"),
    ("qwen-max", "https://dashscope.aliyuncs.com/compatible-mode/v1", "strong"),
    ("my-model", "https://llm.example.com/v1", "strong"),
    ("my-model", "http://192.168.1.20:8000/v1", "small"),
])
def test_the_prompt_class_is_guessed_from_the_model_name_then_the_address(model, url, cls):
    s = Settings(llm_model=model, llm_base_url=url)
    assert s.prompt_version == f"v4-{cls}"
    assert guess_class(model, url, {"small_max_billions": 14, "strong": ["deepseek", "qwen-max"],
                                    "small": ["local"]})[0] == cls


def test_a_class_or_a_version_set_by_the_user_wins():
    assert Settings(llm_model="local-qwen", llm_base_url="http://127.0.0.1/v1",
                    prompt_class="strong").prompt_version == "v4-strong"
    assert Settings(llm_model="deepseek-chat", prompt_version="v1").prompt_version == "v1"
    strong = load_prompts(Settings().prompts_dir, "v4-strong")
    small = load_prompts(Settings().prompts_dir, "v4-small")
    assert (strong.model_class, small.model_class) == ("strong", "small")
    assert strong.param("k") > small.param("k") and strong.param("max_chunk_chars") > 300
