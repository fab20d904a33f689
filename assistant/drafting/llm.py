"""The chat-model layer: any OpenAI-compatible endpoint through LangChain's ChatOpenAI, structured output with
method fallback, re-ask on a bad answer, an on-disk response cache, and token / cost / latency accounting.

    llm = StructuredLLM(settings)                        # or StructuredLLM(settings, model=<any BaseChatModel>)
    outcome = llm.structured(messages, name="swot", schema=json_schema, build=to_section, reask=reask_text)

Methods, tried in this order in auto mode and remembered per model (data_dir/llm_methods.json): json_schema (OpenAI,
vLLM, Ollama >= 0.5, llama.cpp's own server), json_object + schema (llama-cpp-python: it rejects json_schema but
constrains decoding to a schema given this way), function calling, JSON mode, plain text. The constrained methods get
the schema's shape only (required fields, enums, list sizes, dates): lengths and content are checked afterwards,
because a grammar that forces a length makes a small model pad with junk (measured: evals/README.md).

Every call is streamed and watched (drafting.endpoint): a slow server that keeps writing is never "unavailable".
`build(dict)` turns the model's JSON into the caller's object or raises (pydantic ValidationError or AnswerError);
its message is fed back to the model for up to `settings.llm_reask_attempts` re-asks. The caller decides what a
failed outcome means (the drafting chain decomposes the section, then falls back to the offline drafter). API keys
never leave `make_chat_model`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import ValidationError

from ..config import Settings, strip_url_credentials, url_host
from ..files import atomic_write
from .call_log import CallLog
from .endpoint import (
    CallFailed,
    EmptyStream,
    Interrupted,
    Limits,
    LLMUnavailable,
    ModelMemory,
    NoAnswer,
    Stalled,
    Timing,
    native_streaming,
    on_response_headers,
    watched_call,
)
from .json_answer import AnswerError, clean_text, parse_json_answer, unwrap, validation_problems

log = logging.getLogger(__name__)

TRUNCATED = "回答超出了输出长度上限被截断，请写得更简短（每条一句话），并输出完整的JSON"
METHODS = ("json_schema", "json_object_schema", "function_calling", "json_mode", "text")
METHOD_LABELS = {"json_schema": "JSON Schema 结构化输出", "json_object_schema": "JSON 模式 + Schema 约束解码",
                 "function_calling": "函数调用", "json_mode": "JSON 模式", "text": "纯文本 JSON 提取"}
CONSTRAINED = ("json_schema", "json_object_schema", "function_calling")
# words in an API error that mean "this endpoint does not do that structured-output method"
_METHOD_WORDS = re.compile(r"response_format|json_schema|json_object|tool_choice|tools|function", re.I)
# schema keywords that shape the answer's content rather than its structure: checked after the answer, not by a
# grammar (a forced length makes a small model pad: "市场风险”，  ")
CONTENT_KEYWORDS = ("minLength", "maxLength", "pattern", "title", "description", "examples")


class MethodUnsupported(RuntimeError):
    """The endpoint rejected a structured-output method; the next method is tried."""


__all__ = ["AnswerError", "LLMUnavailable", "MethodUnsupported", "StructuredLLM", "clean_text", "make_chat_model",
           "parse_json_answer", "validation_problems"]


# ---------------------------------------------------------------- model factory


def make_chat_model(settings: Settings, **overrides: Any) -> BaseChatModel:
    """ChatOpenAI for the configured endpoint (OpenAI, DeepSeek, DashScope, Ollama, vLLM, llama.cpp ...).

    httpx's own timeouts only bound a call the watchdog has given up on (drafting.endpoint decides, per phase);
    a response hook tells the watchdog when the server has answered at all."""
    import httpx
    from langchain_openai import ChatOpenAI

    if not settings.llm_configured:
        raise LLMUnavailable("未配置大模型（需要 PLAN_LLM_BASE_URL 和 PLAN_LLM_MODEL），请使用离线模式")
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
    bound = max(settings.llm_first_token_timeout, settings.llm_stall_timeout, settings.llm_connect_timeout) + 30
    timeout = httpx.Timeout(connect=min(settings.llm_connect_timeout, 30.0), read=bound, write=60.0, pool=bound)
    params: dict[str, Any] = dict(base_url=settings.llm_base_url, api_key=key, model=settings.llm_model,
                                  temperature=settings.llm_temperature, timeout=timeout,
                                  max_retries=settings.llm_max_retries, stream_usage=True,
                                  http_client=httpx.Client(timeout=timeout,
                                                           event_hooks={"response": [on_response_headers]}))
    params.update(overrides)
    return ChatOpenAI(**params)


def model_id(settings: Settings, model: BaseChatModel | None = None, configured: bool | None = None) -> str:
    """`model@host` — what the cache, the method memory and the UI may show (never the key)."""
    if settings.llm_configured if configured is None else configured:
        return f"{settings.llm_model}@{url_host(settings.llm_base_url)}"
    return f"{type(model).__name__}@local" if model is not None else "offline"


def redact(text: str, settings: Settings) -> str:
    for secret in (settings.llm_api_key, settings.embedding_api_key):
        value = secret.get_secret_value() if secret else ""
        if len(value) >= 4:
            text = text.replace(value, "***")
    return re.sub(r"\b(sk-|Bearer\s+)[A-Za-z0-9._\-]{8,}", r"\1***", strip_url_credentials(text))


def grammar_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema's shape for constrained decoding: types, required, enums, list sizes and date formats;
    content keywords (lengths, patterns, titles) are left to the checks after the answer."""
    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            # a keyword's value is never an object; a property that happens to be named "title" is
            return {k: strip(v) for k, v in node.items() if k not in CONTENT_KEYWORDS or isinstance(v, dict)}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node
    return strip(copy.deepcopy(schema))


# ---------------------------------------------------------------- accounting, cache, method memory


@dataclass
class Usage:
    calls: int = 0
    cached_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0
    cost: float = 0.0
    timing: Timing | None = field(default=None, repr=False, compare=False)  # the call's own timing, when one call

    def add(self, other: Usage) -> Usage:
        for name in ("calls", "cached_calls", "tokens_in", "tokens_out", "latency_s", "cost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.latency_s, self.cost = round(self.latency_s, 3), round(self.cost, 6)
        return self


def cost_of(tokens_in: int, tokens_out: int, settings: Settings) -> float:
    return round(tokens_in / 1000 * settings.llm_price_in + tokens_out / 1000 * settings.llm_price_out, 6)


class ResponseCache:
    """Model answers on disk (data_dir/cache/llm), keyed by a hash of model, messages, parameters and method."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    @staticmethod
    def key(payload: dict[str, Any]) -> str:
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, value: dict[str, Any]) -> None:
        try:
            atomic_write(self._path(key), json.dumps(value, ensure_ascii=False))
        except OSError as exc:  # a cache that cannot be written never fails a draft
            log.warning("response cache not written: %s", exc)


# ---------------------------------------------------------------- structured calls


@dataclass
class StructuredResult:
    """What one structured request produced: the value (None when every attempt failed) and how."""

    value: Any = None
    method: str | None = None
    attempts: int = 0          # model calls, re-asks included
    reasks: int = 0
    errors: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    failure: str | None = None  # Chinese reason when value is None
    unavailable: bool = False   # the endpoint itself did not answer (refused, no response, no first token)
    stopped: CallFailed | None = None  # what ended a call (deadline, stall, plan time): smaller calls may fit
    timings: list[Timing] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.value is not None


AttemptListener = Callable[[str, str], None]  # (status "retried" | "method", detail)
LimitsFor = Callable[[], Limits]  # the limits for the next call (the caller's plan clock); may raise CallFailed


class StructuredLLM:
    """Structured output from any chat model, with method fallback, re-asks, cache and accounting."""

    def __init__(self, settings: Settings, *, model: BaseChatModel | None = None, use_cache: bool = True):
        self.settings = settings
        self.model = model if model is not None else make_chat_model(settings)
        # the configured endpoint, or a model injected by evals/tests: what the cache, the method memory and a
        # plan's metadata name
        configured = settings.llm_configured
        self.id = model_id(settings, model, configured)
        self.host = self.id.rsplit("@", 1)[-1] if configured else None
        self.label = settings.endpoint_label() if configured else self.id
        data_dir = Path(settings.data_dir)
        self.cache = ResponseCache(data_dir / "cache" / "llm") if use_cache and settings.llm_cache else None
        self.memory = ModelMemory(data_dir / "llm_methods.json")
        self.calls = CallLog.in_dir(data_dir) if settings.llm_call_log else None
        self._discovery = threading.Lock()

    # -- method order and concurrency
    def methods(self) -> list[str]:
        wanted = self.settings.llm_structured_method
        if wanted != "auto":
            return [wanted]
        profile = self.memory.get(self.id)
        order = [m for m in METHODS if m not in profile.unsupported]
        if profile.method in order:
            order.remove(profile.method)
            order.insert(0, profile.method)
        return order or ["text"]

    def needs_discovery(self) -> bool:
        """True while auto mode has not yet learned a working method for this model."""
        return self.settings.llm_structured_method == "auto" and self.memory.get(self.id).method is None

    def concurrency(self) -> tuple[int, str, str | None]:
        """(requests to send at once, why, why the endpoint is unavailable or None): the setting, or (auto) what
        the server was measured to serve — measured once per model with two tiny requests and remembered. An
        injected model (evals, tests) gets one at a time."""
        from .endpoint import probe_concurrency

        wanted = self.settings.llm_concurrency
        if wanted != "auto":
            return max(1, int(wanted)), "按设置", None
        if not self.settings.llm_configured or not self.settings.llm_stream or self.model is None:
            return 1, "未测量，一次一个请求", None
        profile = self.memory.get(self.id)
        if profile.concurrency is None:
            n, note = probe_concurrency(self.model, limits=Limits.of(self.settings))
            if n is None:
                return 1, "服务没有回应", note
            self.memory.concurrency(self.id, n, note)
            profile = self.memory.get(self.id)
        return int(profile.concurrency or 1), profile.concurrency_note, None

    # -- one raw call (cached)
    def _bind(self, method: str, name: str, schema: dict[str, Any], max_tokens: int):
        # the classic max_tokens field: llama.cpp-family servers ignore max_completion_tokens (asked for 30 tokens,
        # local-llm wrote 383), every OpenAI-compatible server reads max_tokens
        model = self.model.bind(extra_body={"max_tokens": max_tokens})
        shape = grammar_schema(schema)
        if method == "json_schema":
            return model.bind(response_format={
                "type": "json_schema", "json_schema": {"name": name, "schema": shape, "strict": False}})
        if method == "json_object_schema":
            return model.bind(response_format={"type": "json_object", "schema": shape})
        if method == "function_calling":
            tool = {"type": "function", "function": {"name": name, "description": schema.get("description", name),
                                                     "parameters": shape}}
            return self.model.bind_tools([tool], tool_choice=name).bind(extra_body={"max_tokens": max_tokens})
        if method == "json_mode":
            return model.bind(response_format={"type": "json_object"})
        return model

    def _call(self, method: str, messages: list[BaseMessage], name: str, schema: dict[str, Any],
              max_tokens: int, use_cache: bool, limits: Limits) -> tuple[AIMessage, Usage]:
        key = ResponseCache.key({"model": self.id, "method": method, "name": name, "schema": schema,
                                 "max_tokens": max_tokens, "temperature": self.settings.llm_temperature,
                                 "messages": [[m.type, m.content] for m in messages]})
        if use_cache and self.cache and (hit := self.cache.get(key)) is not None:
            return AIMessage(content=hit.get("content", ""), tool_calls=hit.get("tool_calls") or [],
                             invalid_tool_calls=hit.get("invalid_tool_calls") or []), Usage(calls=1, cached_calls=1)
        runnable = self._bind(method, name, schema, max_tokens)
        streaming = self.settings.llm_stream and native_streaming(runnable)
        for retry in range(3):  # the same request again when the server cut or lost it (never a re-ask)
            try:
                msg, timing = watched_call(runnable, messages, limits, streaming=streaming)
                break
            except CallFailed as exc:
                if exc.timing is not None and self.settings.llm_configured:
                    self.memory.timing(self.id, exc.timing)  # a cut call still measured the server's pace
                if not isinstance(exc, (Interrupted, Stalled, EmptyStream)):
                    raise
                self._log(name, method, messages, "interrupted", str(exc))
                if isinstance(exc, EmptyStream):
                    if not streaming:
                        raise
                    streaming = False  # asked again without streaming, the server says what went wrong
                elif retry == 1:
                    raise
            except LLMUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001 — classified below, never swallowed silently
                raise self._classify(exc, method) from None
        usage = Usage(calls=1, latency_s=timing.total_s, tokens_in=timing.tokens_in, tokens_out=timing.tokens_out)
        usage.cost = cost_of(usage.tokens_in, usage.tokens_out, self.settings)
        usage.timing = timing
        if self.settings.llm_configured:
            self.memory.timing(self.id, timing)
        if use_cache and self.cache:
            self.cache.put(key, {"model": self.id, "method": method, "content": msg.content,
                                 "tool_calls": msg.tool_calls, "invalid_tool_calls": msg.invalid_tool_calls,
                                 "usage": {"input_tokens": usage.tokens_in, "output_tokens": usage.tokens_out}})
        return msg, usage

    def _classify(self, exc: Exception, method: str) -> Exception:
        import openai

        text = redact(str(exc), self.settings)[:300]
        if isinstance(exc, openai.APITimeoutError):
            return NoAnswer("模型服务没有回应（网络超时）")
        if isinstance(exc, openai.APIConnectionError):
            return LLMUnavailable("无法连接模型服务（请检查模型服务地址与网络）")
        if isinstance(exc, openai.RateLimitError):
            return LLMUnavailable("模型服务限流（HTTP 429），重试后仍失败")
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return LLMUnavailable("模型服务拒绝访问（请检查 API Key 是否正确、是否有权限）")
        if isinstance(exc, openai.NotFoundError):
            return LLMUnavailable(f"模型服务找不到模型或接口（请检查模型名与地址）：{text}")
        if isinstance(exc, openai.APIStatusError):
            if "context_length" in text or "context length" in text or "context window" in text:
                return CallFailed(f"提示词超过了模型的上下文长度（HTTP {exc.status_code}）：{text[:120]}")
            rejected = exc.status_code in (400, 422) or _METHOD_WORDS.search(text)
            if method != "text" and rejected:
                return MethodUnsupported(f"{METHOD_LABELS[method]}不被支持（HTTP {exc.status_code}）")
            return LLMUnavailable(f"模型服务出错（HTTP {exc.status_code}）")
        if isinstance(exc, openai.LengthFinishReasonError):  # the answer ran into max_tokens: a bad answer, not a
            return AnswerError(TRUNCATED)                       # dead server (re-asked, then drafted in parts)
        if isinstance(exc, (openai.APIResponseValidationError, ValueError)):
            return AnswerError(f"模型返回的内容无法解析：{text}")
        return LLMUnavailable(f"模型调用失败（{type(exc).__name__}）：{text}")

    # -- answer -> dict
    @staticmethod
    def _payload(msg: AIMessage, schema: dict[str, Any]) -> tuple[dict[str, Any], str]:
        expected = set(schema.get("properties", {}))
        if msg.tool_calls:
            args = msg.tool_calls[0].get("args") or {}
            return unwrap(args, expected), json.dumps(args, ensure_ascii=False)
        if msg.invalid_tool_calls:
            raw = str(msg.invalid_tool_calls[0].get("args") or "")
            return parse_json_answer(raw, expected), raw
        content = msg.content if isinstance(msg.content, str) else json.dumps(msg.content, ensure_ascii=False)
        if (msg.response_metadata or {}).get("finish_reason") == "length" and not content.rstrip().endswith("}"):
            raise AnswerError(TRUNCATED)
        return parse_json_answer(content, expected), content

    def structured(self, messages: list[BaseMessage], *, name: str, schema: dict[str, Any],
                   build: Callable[[dict[str, Any]], Any], reask: Callable[[list[str]], str],
                   format_instructions: str = "", max_tokens: int | None = None, use_cache: bool = True,
                   on_event: AttemptListener | None = None, attempts: int | None = None,
                   limits: LimitsFor | None = None) -> StructuredResult:
        """Ask for `schema`, build the value, re-ask with the problems fed back (at most `attempts` calls, default
        1 + llm_reask_attempts); method fallback in auto mode. `limits` gives each call its time limits."""
        out = StructuredResult()
        max_tokens = max_tokens or self.settings.llm_max_tokens
        attempts = attempts or self.settings.llm_reask_attempts + 1
        limits = limits or (lambda: Limits.of(self.settings))
        lock = self._discovery if self.needs_discovery() else None
        if lock:
            lock.acquire()
        try:
            for method in self.methods():
                done = self._with_method(method, messages, name, schema, build, reask, format_instructions,
                                         max_tokens, use_cache, on_event, out, attempts, limits)
                if done:
                    return out
        finally:
            if lock:
                lock.release()
        out.failure = out.failure or "所有结构化输出方式都不被模型服务支持"
        return out

    def _with_method(self, method, messages, name, schema, build, reask, format_instructions, max_tokens,
                     use_cache, on_event, out: StructuredResult, attempts: int, limits: LimitsFor) -> bool:
        """Run one method with re-asks. True when finished (value or hard failure); False -> try next method."""
        convo = list(messages)
        if method in ("json_mode", "text") and format_instructions:
            last = convo[-1]
            convo[-1] = HumanMessage(content=f"{last.content}\n\n{format_instructions}")
        problems: list[str] = []
        for attempt in range(attempts):
            try:
                msg, usage = self._call(method, convo, name, schema, max_tokens, use_cache, limits())
            except MethodUnsupported as exc:
                self._log(name, method, convo, "unsupported", str(exc))
                out.errors.append(str(exc))
                if self.settings.llm_structured_method == "auto":
                    self.memory.method_unsupported(self.id, method)
                if on_event:
                    on_event("method", str(exc))
                return False
            except LLMUnavailable as exc:
                self._log(name, method, convo, "unavailable", str(exc))
                out.errors.append(str(exc))
                out.failure, out.unavailable = str(exc), True
                return True
            except CallFailed as exc:  # the model was there, this call did not finish: smaller calls may
                self._log(name, method, convo, "cut", str(exc))
                out.errors.append(str(exc))
                if exc.timing is not None:  # what the cut call consumed counts
                    out.usage.add(Usage(calls=1, latency_s=exc.timing.total_s, tokens_in=exc.timing.tokens_in,
                                        tokens_out=exc.timing.tokens_out))
                out.failure, out.stopped, out.method = str(exc), exc, method
                return True
            except AnswerError as exc:
                msg, usage, problems = None, Usage(calls=1), exc.problems
                self._log(name, method, convo, "unreadable", "；".join(problems))
            else:
                problems = []
            out.usage.add(usage)
            if usage.timing is not None:
                out.timings.append(usage.timing)
            out.attempts += 1
            out.method = method
            raw = ""
            if msg is not None:
                try:
                    data, raw = self._payload(msg, schema)
                    out.value = build(data)
                except ValidationError as exc:
                    problems = validation_problems(exc, schema)
                except AnswerError as exc:
                    problems = exc.problems
                else:
                    self._log(name, method, convo, "cached" if usage.cached_calls else "accepted", "", msg, usage)
                    if self.settings.llm_structured_method == "auto" and not usage.cached_calls:
                        if self.memory.get(self.id).method != method:
                            self.memory.method_works(self.id, method)
                    return True
                self._log(name, method, convo, "rejected", "；".join(problems), msg, usage)
            out.errors.extend(f"第{out.attempts}次：{p}" for p in problems)
            if attempt < attempts - 1:
                out.reasks += 1
                if on_event:
                    on_event("retried", "；".join(problems)[:200])
                convo = [*convo, AIMessage(content=(raw or "（无有效输出）")[:1500]),
                         HumanMessage(content=reask(problems))]
        out.failure = (f"重问{out.reasks}次后仍未通过检查：" if out.reasks else "未通过检查：") + "；".join(problems)[:300]
        return True

    def _log(self, name: str, method: str, convo: list[BaseMessage], outcome: str, detail: str,
             msg: AIMessage | None = None, usage: Usage | None = None) -> None:
        """One call into the call log (messages, answer, outcome); error texts arrive here already redacted."""
        if self.calls is None:
            return
        answer = ""
        if msg is not None:
            answer = msg.content if isinstance(msg.content, str) else json.dumps(msg.content, ensure_ascii=False)
            if msg.tool_calls or msg.invalid_tool_calls:
                calls = [{"name": c.get("name"), "args": c.get("args")}
                         for c in msg.tool_calls or msg.invalid_tool_calls]
                answer = (answer + "\n" if answer else "") + json.dumps(calls, ensure_ascii=False)
        u = usage or Usage()
        self.calls.append(model=self.id, name=name, method=method, outcome=outcome,
                          detail=redact(detail, self.settings), messages=[[m.type, m.content] for m in convo],
                          response=redact(answer, self.settings),
                          tokens_in=u.tokens_in, tokens_out=u.tokens_out, latency_s=u.latency_s)
