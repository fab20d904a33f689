"""The chat-model layer: any OpenAI-compatible endpoint through LangChain's ChatOpenAI, structured output with
method fallback, re-ask on a bad answer, an on-disk response cache, and token / cost / latency accounting.

    llm = StructuredLLM(settings)                        # or StructuredLLM(settings, model=<any BaseChatModel>)
    outcome = llm.structured(messages, name="swot", schema=json_schema, build=to_section, reask=reask_text)

`build(dict)` turns the model's JSON into the caller's object or raises (pydantic ValidationError or AnswerError);
its message is fed back to the model for up to `settings.llm_reask_attempts` re-asks. The caller decides what a
failed outcome means (the drafting chain falls back to the offline drafter). API keys never leave `make_chat_model`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
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

log = logging.getLogger(__name__)

METHODS = ("json_schema", "function_calling", "json_mode", "text")
METHOD_LABELS = {"json_schema": "JSON Schema 结构化输出", "function_calling": "函数调用", "json_mode": "JSON 模式",
                 "text": "纯文本 JSON 提取"}
# words in an API error that mean "this endpoint does not do that structured-output method"
_METHOD_WORDS = re.compile(r"response_format|json_schema|json_object|tool_choice|tools|function", re.I)


class LLMUnavailable(RuntimeError):
    """The endpoint could not answer (timeout, 429, 5xx, refused, auth) after the SDK's own retries."""


class MethodUnsupported(RuntimeError):
    """The endpoint rejected a structured-output method; the next method is tried."""


class AnswerError(ValueError):
    """The model answered, but the answer is unusable; `problems` (Chinese) are fed back on a re-ask."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("；".join(self.problems))


# ---------------------------------------------------------------- model factory


def make_chat_model(settings: Settings, **overrides: Any) -> BaseChatModel:
    """ChatOpenAI for the configured endpoint (OpenAI, DeepSeek, DashScope, Ollama, vLLM, llama.cpp ...)."""
    from langchain_openai import ChatOpenAI

    if not settings.llm_configured:
        raise LLMUnavailable("未配置大模型（需要 PLAN_LLM_BASE_URL 和 PLAN_LLM_MODEL），请使用离线模式")
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
    params: dict[str, Any] = dict(base_url=settings.llm_base_url, api_key=key, model=settings.llm_model,
                                  temperature=settings.llm_temperature, timeout=settings.llm_timeout,
                                  max_retries=settings.llm_max_retries, max_tokens=settings.llm_max_tokens)
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


# ---------------------------------------------------------------- answer text -> JSON

_THINK = re.compile(r"<think>.*?(</think>|$)", re.S | re.I)
_FENCE = re.compile(r"```[a-zA-Z]*\s*\n?(.*?)(```|$)", re.S)


def clean_text(text: str) -> str:
    """Drop <think>…</think> reasoning and Markdown code fences around an answer."""
    text = _THINK.sub("", text or "").strip()
    fenced = _FENCE.search(text)
    return fenced.group(1).strip() if fenced else text


def parse_json_answer(text: str, expected: set[str] | None = None) -> dict[str, Any]:
    """The first JSON object in a model's answer; AnswerError (Chinese) when empty, truncated or malformed."""
    body = clean_text(text)
    if not body:
        raise AnswerError("回答是空的，没有输出JSON")
    start = body.find("{")
    if start < 0:
        raise AnswerError("回答里没有JSON对象，请只输出一个JSON对象")
    try:
        value, _ = json.JSONDecoder().raw_decode(body[start:])
    except json.JSONDecodeError as exc:
        if body.count("{") > body.count("}"):
            raise AnswerError("JSON不完整（回答被截断），请写得更简短，并输出完整的JSON") from None
        raise AnswerError(f"JSON格式错误（第{exc.lineno}行第{exc.colno}列：{exc.msg}）") from None
    if not isinstance(value, dict):
        raise AnswerError("回答应是一个JSON对象（{...}），而不是数组或文字")
    return unwrap(value, expected)


def unwrap(value: dict[str, Any], expected: set[str] | None) -> dict[str, Any]:
    """Small models often wrap the answer: {"name": .., "arguments": {..}} or {"properties": {..}}."""
    for _ in range(2):
        if expected and expected & set(value):
            return value
        inner = [v for k, v in value.items() if k in ("arguments", "parameters", "properties", "data", "output")
                 and isinstance(v, dict)]
        if len(inner) != 1:
            return value
        value = inner[0]
    return value


# ---------------------------------------------------------------- accounting, cache, method memory


@dataclass
class Usage:
    calls: int = 0
    cached_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0
    cost: float = 0.0

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


class MethodMemory:
    """Which structured-output method works for which model, persisted in data_dir/llm_methods.json."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def get(self, model: str) -> tuple[str | None, set[str]]:
        entry = self._read().get(model) or {}
        return entry.get("method"), set(entry.get("unsupported") or [])

    def update(self, model: str, *, works: str | None = None, unsupported: str | None = None) -> None:
        with self._lock:
            data = self._read()
            entry = data.setdefault(model, {"method": None, "unsupported": []})
            if works:
                entry["method"] = works
            if unsupported and unsupported not in entry["unsupported"]:
                entry["unsupported"].append(unsupported)
                if entry.get("method") == unsupported:
                    entry["method"] = None
            try:
                atomic_write(self.path, json.dumps(data, ensure_ascii=False, indent=1))
            except OSError as exc:
                log.warning("method memory not written: %s", exc)


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
    unavailable: bool = False   # the endpoint itself failed (not the answer)

    @property
    def ok(self) -> bool:
        return self.value is not None


AttemptListener = Callable[[str, str], None]  # (status "retried" | "method", detail)


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
        self.memory = MethodMemory(data_dir / "llm_methods.json")
        self.calls = CallLog.in_dir(data_dir) if settings.llm_call_log else None
        self._discovery = threading.Lock()

    # -- method order
    def methods(self) -> list[str]:
        wanted = self.settings.llm_structured_method
        if wanted != "auto":
            return [wanted]
        known, unsupported = self.memory.get(self.id)
        order = [m for m in METHODS if m not in unsupported]
        if known in order:
            order.remove(known)
            order.insert(0, known)
        return order or ["text"]

    def needs_discovery(self) -> bool:
        """True while auto mode has not yet learned a working method for this model."""
        return self.settings.llm_structured_method == "auto" and self.memory.get(self.id)[0] is None

    # -- one raw call (cached)
    def _bind(self, method: str, name: str, schema: dict[str, Any], max_tokens: int):
        model = self.model
        if method == "json_schema":
            return model.bind(max_tokens=max_tokens, response_format={
                "type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": False}})
        if method == "function_calling":
            tool = {"type": "function", "function": {"name": name, "description": schema.get("description", name),
                                                     "parameters": schema}}
            return model.bind_tools([tool], tool_choice=name).bind(max_tokens=max_tokens)
        if method == "json_mode":
            return model.bind(max_tokens=max_tokens, response_format={"type": "json_object"})
        return model.bind(max_tokens=max_tokens)

    def _call(self, method: str, messages: list[BaseMessage], name: str, schema: dict[str, Any],
              max_tokens: int, use_cache: bool) -> tuple[AIMessage, Usage]:
        key = ResponseCache.key({"model": self.id, "method": method, "name": name, "schema": schema,
                                 "max_tokens": max_tokens, "temperature": self.settings.llm_temperature,
                                 "messages": [[m.type, m.content] for m in messages]})
        if use_cache and self.cache and (hit := self.cache.get(key)) is not None:
            return AIMessage(content=hit.get("content", ""), tool_calls=hit.get("tool_calls") or [],
                             invalid_tool_calls=hit.get("invalid_tool_calls") or []), Usage(calls=1, cached_calls=1)
        started = time.perf_counter()
        try:
            msg = self._bind(method, name, schema, max_tokens).invoke(messages)
        except Exception as exc:  # noqa: BLE001 — classified below, never swallowed silently
            raise self._classify(exc, method) from None
        usage = Usage(calls=1, latency_s=round(time.perf_counter() - started, 3))
        meta = msg.usage_metadata or {}
        usage.tokens_in, usage.tokens_out = int(meta.get("input_tokens", 0)), int(meta.get("output_tokens", 0))
        usage.cost = cost_of(usage.tokens_in, usage.tokens_out, self.settings)
        if use_cache and self.cache:
            self.cache.put(key, {"model": self.id, "method": method, "content": msg.content,
                                 "tool_calls": msg.tool_calls, "invalid_tool_calls": msg.invalid_tool_calls,
                                 "usage": {"input_tokens": usage.tokens_in, "output_tokens": usage.tokens_out}})
        return msg, usage

    def _classify(self, exc: Exception, method: str) -> Exception:
        import openai

        text = redact(str(exc), self.settings)[:300]
        if isinstance(exc, openai.APITimeoutError):
            return LLMUnavailable(f"模型响应超时（超过{self.settings.llm_timeout:g}秒）")
        if isinstance(exc, openai.APIConnectionError):
            return LLMUnavailable("无法连接模型服务（请检查 PLAN_LLM_BASE_URL 与网络）")
        if isinstance(exc, openai.RateLimitError):
            return LLMUnavailable("模型服务限流（HTTP 429），重试后仍失败")
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return LLMUnavailable("模型服务拒绝访问（请检查 API Key 是否正确、是否有权限）")
        if isinstance(exc, openai.NotFoundError):
            return LLMUnavailable(f"模型服务找不到模型或接口（请检查模型名与地址）：{text}")
        if isinstance(exc, openai.APIStatusError):
            rejected = exc.status_code in (400, 422) or _METHOD_WORDS.search(text)
            if method != "text" and rejected:
                return MethodUnsupported(f"{METHOD_LABELS[method]}不被支持（HTTP {exc.status_code}）")
            return LLMUnavailable(f"模型服务出错（HTTP {exc.status_code}）")
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
        return parse_json_answer(content, expected), content

    def structured(self, messages: list[BaseMessage], *, name: str, schema: dict[str, Any],
                   build: Callable[[dict[str, Any]], Any], reask: Callable[[list[str]], str],
                   format_instructions: str = "", max_tokens: int | None = None, use_cache: bool = True,
                   on_event: AttemptListener | None = None) -> StructuredResult:
        """Ask for `schema`, build the value, re-ask with the problems fed back; method fallback in auto mode."""
        out = StructuredResult()
        max_tokens = max_tokens or self.settings.llm_max_tokens
        lock = self._discovery if self.needs_discovery() else None
        if lock:
            lock.acquire()
        try:
            for method in self.methods():
                done = self._with_method(method, messages, name, schema, build, reask, format_instructions,
                                         max_tokens, use_cache, on_event, out)
                if done:
                    return out
        finally:
            if lock:
                lock.release()
        out.failure = out.failure or "所有结构化输出方式都不被模型服务支持"
        return out

    def _with_method(self, method, messages, name, schema, build, reask, format_instructions, max_tokens,
                     use_cache, on_event, out: StructuredResult) -> bool:
        """Run one method with re-asks. True when finished (value or hard failure); False -> try next method."""
        convo = list(messages)
        if method in ("json_mode", "text") and format_instructions:
            last = convo[-1]
            convo[-1] = HumanMessage(content=f"{last.content}\n\n{format_instructions}")
        for attempt in range(self.settings.llm_reask_attempts + 1):
            try:
                msg, usage = self._call(method, convo, name, schema, max_tokens, use_cache)
            except MethodUnsupported as exc:
                self._log(name, method, convo, "unsupported", str(exc))
                out.errors.append(str(exc))
                if self.settings.llm_structured_method == "auto":
                    self.memory.update(self.id, unsupported=method)
                if on_event:
                    on_event("method", str(exc))
                return False
            except LLMUnavailable as exc:
                self._log(name, method, convo, "unavailable", str(exc))
                out.errors.append(str(exc))
                out.failure, out.unavailable = str(exc), True
                return True
            except AnswerError as exc:
                msg, usage, problems = None, Usage(calls=1), exc.problems
                self._log(name, method, convo, "unreadable", "；".join(problems))
            else:
                problems = []
            out.usage.add(usage)
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
                        known, _ = self.memory.get(self.id)
                        if known != method:
                            self.memory.update(self.id, works=method)
                    return True
                self._log(name, method, convo, "rejected", "；".join(problems), msg, usage)
            out.errors.extend(f"第{out.attempts}次：{p}" for p in problems)
            if attempt < self.settings.llm_reask_attempts:
                out.reasks += 1
                if on_event:
                    on_event("retried", "；".join(problems)[:200])
                convo = [*convo, AIMessage(content=(raw or "（无有效输出）")[:1500]),
                         HumanMessage(content=reask(problems))]
        out.failure = f"重问{out.reasks}次后仍未通过检查：" + "；".join(problems)[:300]
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


def validation_problems(exc: ValidationError, schema: dict[str, Any] | None = None) -> list[str]:
    """Pydantic errors -> short Chinese lines naming the field by its Chinese title (fed back on a re-ask)."""
    kinds = {"missing": "缺少此项", "string_type": "应为文字", "int_parsing": "应为整数", "int_from_float": "应为整数",
             "float_parsing": "应为数字", "float_type": "应为数字", "list_type": "应为列表", "date_parsing": "日期格式应为YYYY-MM-DD",
             "date_from_datetime_parsing": "日期格式应为YYYY-MM-DD", "model_type": "应为对象", "dict_type": "应为对象",
             "literal_error": "取值不在允许范围内", "bool_parsing": "应为true或false"}
    lines = []
    for err in exc.errors()[:8]:
        path, node = [], schema or {}
        for part in err["loc"]:
            if isinstance(part, int):
                path.append(f"第{part + 1}项")
                node = node.get("items", {}) if isinstance(node, dict) else {}
            else:
                node = (node.get("properties", {}) if isinstance(node, dict) else {}).get(part, {})
                path.append(f"{node.get('title', part) if isinstance(node, dict) else part}（{part}）")
        msg = kinds.get(err["type"], err["msg"])
        if err["type"] == "literal_error":
            msg += f"，只能是：{err.get('ctx', {}).get('expected', '')}"
        got = err.get("input")
        if err["type"] != "missing" and not isinstance(got, (dict, list)):
            msg += f"（收到 {str(got)[:30]!r}）"
        lines.append(f"{' '.join(path) or '整体'}：{msg}")
    return lines
