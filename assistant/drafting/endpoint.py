"""One model call, watched: the answer is streamed and the call is judged by tokens arriving, not by a total time.

    message, timing = watched_call(runnable, messages, Limits.of(settings, deadline=clock.call_deadline()),
                                   streaming=True)

- no response at all within `connect` seconds (not even headers) -> NoAnswer (the model is unavailable);
- headers, but no first token within `first_token` seconds (queue + reading the prompt) -> NoAnswer;
- tokens stop for `stall` seconds -> Stalled; the call's deadline passes while it is still writing -> TimedOut
  (neither means "unavailable": a slow server that keeps writing is alive);
- a stream that ends without a finish reason was cut by the server (llama-cpp-python ends a running stream when
  another request arrives) -> Interrupted; an empty stream (e.g. a prompt over the context window) -> EmptyStream.

Measured on local-llm (see evals/README.md): first tokens 0.3 s with the shared prompt prefix cached, 70-160 s
for a cold 1.8k-token prompt on a busy 2-core box; gaps between tokens up to 17 s under load.
The module also keeps what was learnt per model (method, speeds, served concurrency) in data_dir/llm_methods.json
and can measure whether a server serves two requests at once.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage

from ..config import Settings
from ..files import atomic_write

log = logging.getLogger(__name__)

PARALLEL = 4  # requests at once against a server that was measured to serve several
TOKENS_PER_CHAR = 0.7  # Qwen tokenizer on our prompts: 2,207 chars -> 1,499 tokens (/extras/tokenize)


class LLMUnavailable(RuntimeError):
    """The endpoint could not answer (refused, no response, no first token, 429/5xx after retries, auth)."""


class NoAnswer(LLMUnavailable):
    """Connected, but no response or no first token within its limit."""


class CallFailed(RuntimeError):
    """The model was answering, but this call did not finish (stalled, deadline, cut by the server); `timing`
    says how far it got (its tokens were spent all the same)."""

    timing: Timing | None = None


class Stalled(CallFailed):
    pass


class TimedOut(CallFailed):
    pass


class Interrupted(CallFailed):
    pass


class EmptyStream(CallFailed):
    pass


@dataclass
class Limits:
    """Seconds allowed for each phase of one call; `deadline` is absolute (time.monotonic()) or None."""

    connect: float = 30.0
    first_token: float = 300.0
    stall: float = 90.0
    deadline: float | None = None

    @classmethod
    def of(cls, settings: Settings, *, deadline: float | None = None, first_token: float | None = None) -> Limits:
        own = time.monotonic() + settings.llm_timeout if settings.llm_timeout > 0 else None
        ends = [d for d in (own, deadline) if d is not None]
        return cls(connect=settings.llm_connect_timeout,
                   first_token=first_token or settings.llm_first_token_timeout,
                   stall=settings.llm_stall_timeout, deadline=min(ends) if ends else None)


@dataclass
class Timing:
    """How one call went: when headers / the first token / the end came (seconds from the start)."""

    headers_s: float | None = None
    first_token_s: float | None = None
    total_s: float = 0.0
    chunks: int = 0          # chunks that carried text or tool arguments (one token each on llama.cpp servers)
    finish_reason: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    estimated: bool = False  # the server reported no usage (streams on llama.cpp): tokens were estimated

    @property
    def out_tps(self) -> float | None:
        gen = self.total_s - (self.first_token_s or 0)
        return self.tokens_out / gen if self.first_token_s is not None and gen > 0.5 and self.tokens_out > 3 \
            else None


# ---------------------------------------------------------------- the watched call

_current = threading.local()  # the Watch of the call running in this thread (for the httpx response hook)


class _Watch:
    def __init__(self) -> None:
        self.events: queue.Queue = queue.Queue()
        self.cancelled = False
        self.failure: Exception | None = None  # why the watchdog ended the call (read by recorders)
        self.started = time.monotonic()


def on_response_headers(response: Any) -> None:
    """httpx event hook: the endpoint has answered (headers arrived) — it is alive, the call is queued or running."""
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch.events.put(("headers", None))


def native_streaming(model: Any) -> bool:
    """True when the model streams for real (chunks as tokens arrive), not one chunk at the end."""
    inner = getattr(model, "bound", model)
    return isinstance(inner, BaseChatModel) and type(inner)._stream is not BaseChatModel._stream


def _has_payload(chunk: AIMessageChunk) -> bool:
    return bool(chunk.content) or any(c.get("args") for c in chunk.tool_call_chunks or [])


def watched_call(runnable: Any, messages: list[BaseMessage], limits: Limits, *, streaming: bool) -> tuple[
        AIMessage, Timing]:
    """Run one call in a worker thread and watch it; returns the whole answer and its timing, or raises."""
    watch = _Watch()

    def work() -> None:
        _current.watch = watch
        got = 0
        try:
            if not streaming:
                watch.events.put(("message", runnable.invoke(messages)))
                return
            stream = runnable.stream(messages)
            for chunk in stream:
                if watch.cancelled:
                    stream.close()  # closes the connection (the server stops generating) while this call is current
                    return
                got += 1
                watch.events.put(("chunk", chunk))
            watch.events.put(("end", None))
        except (ValueError, AssertionError) as exc:
            # a stream with no chunk at all: LangChain says "No generation chunks", the OpenAI SDK's structured
            # stream helper (used with response_format) fails an assertion on its missing snapshot
            empty = not got and (isinstance(exc, AssertionError) or "No generation chunks" in str(exc))
            watch.events.put(("end", None) if empty else ("error", exc))
        except BaseException as exc:  # noqa: BLE001 — handed to the caller's thread
            watch.events.put(("error", exc))
        finally:
            _current.watch = None

    threading.Thread(target=work, daemon=True, name="llm-call").start()
    timing, merged = Timing(), None
    last_token = None
    try:
        while True:
            now = time.monotonic()
            elapsed = now - watch.started
            if not streaming:
                wait, why = _until(limits.deadline, now), "deadline"
            elif timing.first_token_s is None:
                phase = limits.first_token if timing.headers_s is not None else limits.connect
                wait, why = min(watch.started + phase - now, _until(limits.deadline, now)), \
                    "first" if timing.headers_s is not None else "connect"
                if _until(limits.deadline, now) < watch.started + phase - now:
                    why = "deadline"
            else:
                wait = min(last_token + limits.stall - now, _until(limits.deadline, now))
                why = "deadline" if _until(limits.deadline, now) < last_token + limits.stall - now else "stall"
            try:
                kind, value = watch.events.get(timeout=None if wait == math.inf else max(0.0, wait))
            except queue.Empty:
                timing.total_s = round(time.monotonic() - watch.started, 3)
                error = watch.failure = _expired(why, limits, elapsed, timing)
                if isinstance(error, CallFailed):
                    error.timing = timing
                    _count(merged or AIMessage(content=""), messages, timing)
                raise error from None
            now = time.monotonic()
            if kind == "headers":
                timing.headers_s = timing.headers_s or round(now - watch.started, 3)
            elif kind == "chunk":
                merged = value if merged is None else merged + value
                if _has_payload(value):
                    timing.chunks += 1
                    last_token = now
                    if timing.first_token_s is None:
                        timing.first_token_s = round(now - watch.started, 3)
                        timing.headers_s = timing.headers_s or timing.first_token_s
            elif kind == "message":
                merged = value
                break
            elif kind == "end":
                break
            else:
                raise value
    finally:
        watch.cancelled = True
    timing.total_s = round(time.monotonic() - watch.started, 3)
    if merged is None:
        raise EmptyStream("模型服务返回了空的回答（可能是提示词超过了模型的上下文长度）")
    message = merged if isinstance(merged, AIMessage) and not isinstance(merged, AIMessageChunk) else AIMessage(
        content=merged.content, tool_calls=merged.tool_calls, invalid_tool_calls=merged.invalid_tool_calls,
        usage_metadata=merged.usage_metadata, response_metadata=merged.response_metadata)
    timing.finish_reason = (message.response_metadata or {}).get("finish_reason")
    if streaming and timing.finish_reason is None and native_streaming(runnable):
        cut = Interrupted(f"模型服务中途结束了回答（收到{timing.chunks}个词元后没有结束标记，"
                          "通常是服务端同时收到了别的请求）")
        _count(message, messages, timing)
        cut.timing = timing
        raise cut
    _count(message, messages, timing)
    return message, timing


def _until(deadline: float | None, now: float) -> float:
    return math.inf if deadline is None else deadline - now


def _expired(why: str, limits: Limits, elapsed: float, timing: Timing) -> Exception:
    if why == "connect":
        return NoAnswer(f"模型服务接受了连接，但{limits.connect:g}秒内没有任何回应")
    if why == "first":
        return NoAnswer(f"模型服务{elapsed:.0f}秒内没有开始输出（排队或读取提示词超过{limits.first_token:g}秒）")
    if why == "stall":
        return Stalled(f"模型输出中断：已输出{timing.chunks}个词元后{limits.stall:g}秒没有新内容")
    return TimedOut(f"超过本次调用的时限（已用{elapsed:.0f}秒，输出{timing.chunks}个词元时仍未写完）")


def _count(message: AIMessage, messages: list[BaseMessage], timing: Timing) -> None:
    """Tokens from the server's usage when it reports it; otherwise counted (output chunks) and estimated (prompt)."""
    meta = message.usage_metadata or {}
    timing.tokens_in, timing.tokens_out = int(meta.get("input_tokens") or 0), int(meta.get("output_tokens") or 0)
    if not timing.tokens_out:
        timing.tokens_out = timing.chunks or estimate_tokens(_text_of(message))
        timing.estimated = True
    if not timing.tokens_in:
        timing.tokens_in = estimate_tokens("".join(str(m.content) for m in messages))
        timing.estimated = True


def _text_of(message: AIMessage) -> str:
    args = "".join(json.dumps(c.get("args"), ensure_ascii=False) for c in message.tool_calls or [])
    return (message.content if isinstance(message.content, str) else "") + args


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) * TOKENS_PER_CHAR)


# ---------------------------------------------------------------- what is learnt per model


@dataclass
class Profile:
    """One model's entry in data_dir/llm_methods.json."""

    method: str | None = None
    unsupported: list[str] = field(default_factory=list)
    concurrency: int | None = None           # measured: how many requests the server really serves at once
    concurrency_note: str = ""
    first_token_s: float | None = None       # running average of first-token times
    first_token_max_s: float | None = None
    out_tps: float | None = None             # running average of output tokens per second


class ModelMemory:
    """What works for which model and how fast it is, persisted in data_dir/llm_methods.json."""

    ALPHA = 0.3  # weight of the newest call in the running averages

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def get(self, model: str) -> Profile:
        entry = self._read().get(model) or {}
        known = {k: v for k, v in entry.items() if k in Profile.__dataclass_fields__}
        return Profile(**known)

    def _update(self, model: str, change) -> None:
        with self._lock:
            data = self._read()
            profile = Profile(**{k: v for k, v in (data.get(model) or {}).items() if k in Profile.__dataclass_fields__})
            change(profile)
            data[model] = profile.__dict__
            try:
                atomic_write(self.path, json.dumps(data, ensure_ascii=False, indent=1))
            except OSError as exc:
                log.warning("model memory not written: %s", exc)

    def method_works(self, model: str, method: str) -> None:
        def change(p: Profile) -> None:
            p.method = method
        self._update(model, change)

    def method_unsupported(self, model: str, method: str) -> None:
        def change(p: Profile) -> None:
            if method not in p.unsupported:
                p.unsupported.append(method)
            if p.method == method:
                p.method = None
        self._update(model, change)

    def timing(self, model: str, t: Timing) -> None:
        if t.first_token_s is None and t.out_tps is None:
            return

        def avg(old: float | None, new: float | None) -> float | None:
            if new is None:
                return old
            return round(new if old is None else (1 - self.ALPHA) * old + self.ALPHA * new, 3)

        def change(p: Profile) -> None:
            p.first_token_s = avg(p.first_token_s, t.first_token_s)
            if t.first_token_s is not None:
                p.first_token_max_s = round(max(p.first_token_max_s or 0, t.first_token_s), 3)
            p.out_tps = avg(p.out_tps, t.out_tps)
        self._update(model, change)

    def concurrency(self, model: str, n: int, note: str) -> None:
        def change(p: Profile) -> None:
            p.concurrency, p.concurrency_note = n, note
        self._update(model, change)


# ---------------------------------------------------------------- how many requests a server really serves


def probe_concurrency(model: BaseChatModel, *, limits: Limits, gap: float = 0.5) -> tuple[int | None, str]:
    """Two tiny streamed requests, the second `gap` seconds after the first. A server that serves both at once
    finishes both with overlapping token times; a single-slot server queues the second (it starts after the first
    ends) or cuts the first short (llama-cpp-python). Returns (1 or PARALLEL, what was seen in Chinese), or
    (None, why) when the server did not answer (nothing to remember; the caller treats it as unavailable)."""
    from langchain_core.messages import HumanMessage

    runnable = model.bind(max_tokens=24, extra_body={"max_tokens": 24})
    results: list[Any] = [None, None]

    def ask(i: int) -> None:
        started = time.monotonic()
        try:
            _, t = watched_call(runnable, [HumanMessage(content=f"用一句话说明什么是销售漏斗。（{i + 1}）")], limits,
                                streaming=True)
            results[i] = (started, t)
        except Exception as exc:  # noqa: BLE001 — what failed is the answer
            results[i] = exc

    threads = [threading.Thread(target=ask, args=(i,), daemon=True) for i in range(2)]
    threads[0].start()
    time.sleep(gap)
    threads[1].start()
    for t in threads:
        t.join()
    first, second = results
    if isinstance(first, Interrupted) or isinstance(second, Interrupted):
        return 1, "服务端在收到第二个请求时中断了正在输出的回答：一次只服务一个请求"
    if isinstance(first, LLMUnavailable) and isinstance(second, LLMUnavailable):
        return None, str(first)
    if isinstance(first, Exception) or isinstance(second, Exception):
        bad = first if isinstance(first, Exception) else second
        return 1, f"测量失败（{bad}），按一次一个请求"
    (s1, t1), (s2, t2) = first, second
    end1 = s1 + t1.total_s
    start2 = s2 + (t2.first_token_s or t2.total_s)
    if start2 >= end1 - 0.05:
        return 1, f"第二个请求在第一个结束后才开始输出（排队 {start2 - s2:.1f} 秒）：一次只服务一个请求"
    return PARALLEL, f"两个请求同时输出（第二个 {t2.first_token_s:.1f} 秒出首个词元）：可并发"
