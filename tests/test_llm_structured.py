"""The chat-model layer's control flow with LangChain-style fake chat models: method fallback and memory, re-asks
with the error fed back, answer cleaning, the response cache and accounting. No network."""

from __future__ import annotations

import httpx
import openai
import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.drafting.llm import (
    AnswerError,
    StructuredLLM,
    clean_text,
    make_chat_model,
    parse_json_answer,
    redact,
    validation_problems,
)
from support.fakes import ScriptedChatModel, method_of, text_answer, tool_answer


class Pair(BaseModel):
    name: str = Field(title="名称")
    count: int = Field(title="数量")


SCHEMA = {"type": "object", "properties": {"name": {"type": "string", "title": "名称"},
                                           "count": {"type": "integer", "title": "数量"}},
          "required": ["name", "count"]}
MESSAGES = [SystemMessage(content="规则"), HumanMessage(content="请给出名称和数量")]


def rejected(status: int = 400, text: str = "response_format json_schema is not supported") -> Exception:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx.Response(status, request=request, json={"error": {"message": text}})
    cls = openai.BadRequestError if status == 400 else openai.InternalServerError
    return cls(text, response=response, body=None)


def settings(tmp_path, **kw) -> Settings:
    return Settings(data_dir=tmp_path / "data", llm_price_in=0.002, llm_price_out=0.006, **kw)


def ask(llm: StructuredLLM, **kw):
    return llm.structured(MESSAGES, name="pair", schema=SCHEMA, build=Pair.model_validate,
                          reask=lambda problems: "请改正：" + "；".join(problems), format_instructions="只输出JSON", **kw)


# ---------------------------------------------------------------- answer cleaning


def test_reasoning_and_code_fences_are_stripped_before_the_json_is_read():
    answer = "<think>先想一想……{不是答案}</think>\n好的：\n```json\n{\"name\": \"润滑油\", \"count\": 3}\n```\n以上。"
    assert clean_text(answer).startswith("{")
    assert parse_json_answer(answer) == {"name": "润滑油", "count": 3}


@pytest.mark.parametrize("answer, problem", [
    ("", "回答是空的"),
    ("我不知道", "没有JSON对象"),
    ('{"name": "润滑油", "count": ', "被截断"),
    ('{"name": 润滑油}', "JSON格式错误"),
])
def test_an_unusable_answer_is_explained_in_chinese(answer, problem):
    with pytest.raises(AnswerError) as err:
        parse_json_answer(answer)
    assert problem in str(err.value)


def test_a_wrapped_answer_is_unwrapped():
    wrapped = '{"name": "pair", "arguments": {"name": "润滑油", "count": 2}}'
    assert parse_json_answer(wrapped, expected={"count"}) == {"name": "润滑油", "count": 2}


# ---------------------------------------------------------------- methods


def test_auto_falls_back_from_json_schema_to_json_object_with_schema_and_remembers_it(tmp_path):
    # llama-cpp-python: json_schema is refused, json_object + schema is accepted and constrains decoding
    def responder(messages, kwargs):
        if method_of(kwargs) == "json_schema":
            return rejected()
        return text_answer('{"name": "润滑油", "count": 3}')

    s = settings(tmp_path)
    model = ScriptedChatModel(responder=responder)
    out = ask(StructuredLLM(s, model=model))
    assert out.ok and out.value == Pair(name="润滑油", count=3)
    assert out.method == "json_object_schema"
    assert [method_of(kw) for _, kw in model.calls] == ["json_schema", "json_object_schema"]
    assert "JSON Schema 结构化输出不被支持" in out.errors[0]
    # the grammar gets the shape; titles (and lengths) stay out of it, the output budget is the classic field
    sent = model.calls[1][1]
    assert sent["response_format"]["schema"]["required"] == ["name", "count"]
    assert "title" not in str(sent["response_format"]["schema"])
    assert sent["extra_body"] == {"max_tokens": 1500} and "max_tokens" not in sent

    # a new run (another process, same data dir) goes straight to what works
    again = ScriptedChatModel(responder=responder)
    assert ask(StructuredLLM(s, model=again), use_cache=False).method == "json_object_schema"
    assert [method_of(kw) for _, kw in again.calls] == ["json_object_schema"]


def test_a_local_server_that_answers_500_about_response_format_counts_as_a_rejection(tmp_path):
    # llama-cpp-python answers an unknown response_format with HTTP 500 and a validation message; a server that
    # does neither schema form moves on to function calling
    def responder(messages, kwargs):
        if method_of(kwargs) in ("json_schema", "json_object_schema"):
            return rejected(500, "Input should be 'text' or 'json_object' (response_format.type)")
        return tool_answer("pair", {"name": "润滑油", "count": 3})

    out = ask(StructuredLLM(settings(tmp_path), model=ScriptedChatModel(responder=responder)))
    assert out.ok and out.method == "function_calling"


def test_json_mode_puts_the_schema_in_the_prompt_and_asks_for_a_json_object(tmp_path):
    model = ScriptedChatModel(responder=lambda m, kw: text_answer('```json\n{"name": "润滑油", "count": 1}\n```'))
    out = ask(StructuredLLM(settings(tmp_path, llm_structured_method="json_mode"), model=model))
    assert out.ok
    messages, kwargs = model.calls[0]
    assert kwargs["response_format"] == {"type": "json_object"}
    assert messages[-1].content.endswith("只输出JSON")        # format instructions appended to the last message
    assert messages[0].content == "规则"                        # the shared prefix is untouched


def test_function_calling_that_answers_in_text_is_still_read(tmp_path):
    model = ScriptedChatModel(responder=lambda m, kw: text_answer('{"name": "润滑油", "count": 4}'))
    out = ask(StructuredLLM(settings(tmp_path, llm_structured_method="function_calling"), model=model))
    assert out.value == Pair(name="润滑油", count=4)


def test_plain_text_extraction_is_the_last_resort(tmp_path):
    def responder(messages, kwargs):
        if method_of(kwargs) != "text":
            return rejected()
        return text_answer('好的，结果如下：{"name": "润滑油", "count": 5}')

    model = ScriptedChatModel(responder=responder)
    out = ask(StructuredLLM(settings(tmp_path), model=model))
    assert out.method == "text" and out.value.count == 5
    assert [method_of(kw) for _, kw in model.calls] == ["json_schema", "json_object_schema", "function_calling",
                                                         "json_mode", "text"]


# ---------------------------------------------------------------- re-ask


def test_a_wrong_type_is_fed_back_and_the_second_answer_is_used(tmp_path):
    answers = iter([tool_answer("pair", {"name": "润滑油", "count": "三个"}),
                    tool_answer("pair", {"name": "润滑油", "count": 3})])
    model = ScriptedChatModel(responder=lambda m, kw: next(answers))
    events = []
    out = ask(StructuredLLM(settings(tmp_path, llm_structured_method="function_calling"), model=model),
              on_event=lambda status, detail: events.append((status, detail)))
    assert out.value.count == 3 and out.attempts == 2 and out.reasks == 1
    reask = model.calls[1][0]
    assert reask[-2].type == "ai" and "三个" in reask[-2].content        # the model sees its own answer
    assert "数量（count）：应为整数" in reask[-1].content                  # and the problem, naming the field
    assert events == [("retried", "数量（count）：应为整数（收到 '三个'）")]


def test_after_the_last_re_ask_the_failure_is_reported_not_hidden(tmp_path):
    model = ScriptedChatModel(responder=lambda m, kw: tool_answer("pair", {"name": "润滑油"}))
    out = ask(StructuredLLM(settings(tmp_path, llm_structured_method="function_calling", llm_reask_attempts=2),
                            model=model))
    assert not out.ok and len(model.calls) == 3
    assert out.failure.startswith("重问2次后仍未通过检查") and "数量（count）：缺少此项" in out.failure
    assert len(out.errors) == 3


def test_an_endpoint_failure_is_not_re_asked(tmp_path):
    boom = openai.APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions"))
    model = ScriptedChatModel(responder=lambda m, kw: boom)
    out = ask(StructuredLLM(settings(tmp_path), model=model))
    assert not out.ok and out.unavailable and len(model.calls) == 1
    assert "无法连接模型服务" in out.failure


# ---------------------------------------------------------------- cache and accounting


def test_the_same_request_is_answered_from_disk_the_second_time(tmp_path):
    s = settings(tmp_path, llm_structured_method="function_calling")
    model = ScriptedChatModel(responder=lambda m, kw: tool_answer("pair", {"name": "润滑油", "count": 3},
                                                                   tokens_in=1000, tokens_out=500))
    first = ask(StructuredLLM(s, model=model))
    second = ask(StructuredLLM(s, model=model))
    assert len(model.calls) == 1
    assert second.value == first.value and second.usage.cached_calls == 1
    assert second.usage.cost == 0 and first.usage.cost == pytest.approx(0.002 + 0.003)
    assert first.usage.tokens_in == 1000 and first.usage.tokens_out == 500

    ask(StructuredLLM(s, model=model), use_cache=False)              # --no-cache
    ask(StructuredLLM(s, model=model), max_tokens=99)                # other parameters: another key
    assert len(model.calls) == 3


def test_keys_never_appear_in_error_messages(tmp_path):
    s = Settings(data_dir=tmp_path, llm_base_url="http://127.0.0.1:9/v1", llm_model="m",
                 llm_api_key="sk-secret-0123456789")
    assert "sk-secret" not in redact("Incorrect API key provided: sk-secret-0123456789", s)
    chat = make_chat_model(s)
    assert "sk-secret" not in repr(chat) and "sk-secret" not in str(chat.model_dump())


def test_pydantic_errors_become_chinese_lines_naming_the_field():
    with pytest.raises(Exception) as err:
        Pair.model_validate({"name": "x", "count": "many"})
    assert validation_problems(err.value, SCHEMA) == ["数量（count）：应为整数（收到 'many'）"]
