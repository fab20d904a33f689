"""Benchmark the LLM drafting chain: concurrency, prompt size, shared prefix; optionally one real draft.

    python evals/bench_drafting.py                          # fixed-delay endpoint on 127.0.0.1, delay 1.0 s
    python evals/bench_drafting.py --delay 2 --concurrency 1,4,8,16
    python evals/bench_drafting.py --tokenizer http://127.0.0.1:8765   # count tokens with local-llm's tokenizer
    python evals/bench_drafting.py --real http://127.0.0.1:8765/v1 --model local-qwen   # one real full draft

1. Concurrency: a tiny OpenAI-compatible endpoint (127.0.0.1 only) answers every chat call after a fixed delay with
   a valid tool call for the requested section (the offline drafter's text). Full-plan wall time is compared with
   the slowest single call. Target ≤ 1.5×; note the floor is 2 calls deep because 执行摘要 is drafted from the
   other sections, so the body phase (15 sections) is reported separately.
2. Prompt size: characters (and tokens with --tokenizer) per section and per plan, and the share of each section's
   prompt that is the prefix shared by all sections (system message: rules + request + figures + section map).
3. --real: one full draft against a real endpoint: wall time, tokens, retries, fallbacks, validator score.
Prints figures only.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from assistant.drafting.chain import _Chain, draft_sections  # noqa: E402
from assistant.drafting.offline import draft_section  # noqa: E402
from assistant.drafting.prompts import load_prompts, section_schema  # noqa: E402
from assistant.planning.engine import compute_figures  # noqa: E402
from assistant.request import load_request  # noqa: E402
from assistant.schema import SECTION_KEYS, SECTIONS, SectionRun  # noqa: E402

EXAMPLE = ROOT / "assistant" / "examples" / "example_request.yaml"


class Chunk:
    def __init__(self, i: int, key: str):
        self.id, self.source, self.title = f"bench-{key}-{i}", f"knowledge/bench-{key}.md", f"{key}方法{i}"
        self.text = f"{SECTIONS[key].title}的方法要点{i}：" + "目标要具体、可衡量、有时限，并与资源匹配。" * 6


class BenchKB:
    def search(self, query, k=5, section=None):
        return [Chunk(i, section or "plan") for i in range(1, k + 1)]


def delay_endpoint(delay: float, request, figures, settings):
    """127.0.0.1 endpoint: after `delay` s, a tool call with the offline section's fields (json_schema -> 400)."""
    prompts = load_prompts(settings.prompts_dir, settings.prompt_version)
    calls: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            started = time.perf_counter()
            if (body.get("response_format") or {}).get("type") == "json_schema":
                self._send(400, {"error": {"message": "response_format json_schema not supported"}})
                return
            key = body["tool_choice"]["function"]["name"]
            props = section_schema(prompts, key)["properties"]
            args = {k: v for k, v in draft_section(key, request, figures).model_dump(mode="json").items()
                    if k in props}
            for field, n in prompts.sections[key].min_items.items():
                rows = args.get(field) or []
                while rows and len(rows) < n:
                    rows.append(rows[0] if not isinstance(rows[0], str) else f"{rows[0]}（{len(rows)}）")
            time.sleep(delay)
            prompt_chars = sum(len(m["content"]) for m in body["messages"])
            self._send(200, {"id": "b", "object": "chat.completion", "created": 0, "model": "bench", "choices": [
                {"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None,
                 "tool_calls": [{"id": "c", "type": "function", "function": {
                     "name": key, "arguments": json.dumps(args, ensure_ascii=False)}}]}}],
                "usage": {"prompt_tokens": prompt_chars, "completion_tokens": 100, "total_tokens": prompt_chars}})
            calls.append(time.perf_counter() - started)

        def _send(self, status, payload):
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1", calls


def bench_concurrency(delay: float, levels: list[int]) -> None:
    request = load_request(EXAMPLE)
    figures = compute_figures(request)
    print(f"== concurrency: endpoint answers after {delay:g} s (127.0.0.1) ==")
    print(f"{'并发':>4} {'整份方案(s)':>11} {'最慢单次调用(s)':>14} {'比值':>6} {'正文阶段比值':>10} {'调用数':>6}")
    for level in levels:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(data_dir=tmp, llm_base_url="", llm_model="bench", llm_api_key="x",
                                llm_concurrency=level, llm_max_retries=0, llm_cache=False)
            server, url, calls = delay_endpoint(delay, request, figures, settings)
            settings = settings.model_copy(update={"llm_base_url": url})
            try:
                # warm run teaches auto mode the method (json_schema -> 400 -> function calling); then measure
                draft_sections(request, figures, settings=settings, kb=BenchKB(), sections=["swot"], use_cache=False)
                calls.clear()
                events: list[tuple[float, str, str]] = []
                t0 = time.perf_counter()
                plan = draft_sections(request, figures, settings=settings, kb=BenchKB(), use_cache=False,
                                      progress=lambda e, events=events: events.append((time.perf_counter(), e.section,
                                                                                     e.status)))
                wall = time.perf_counter() - t0
            finally:
                server.shutdown()
            slowest = max(calls)
            body_end = max(t for t, s, st in events if s != "executive_summary" and st in ("done", "fallback"))
            body = body_end - t0
            bad = [k for k, r in plan.metadata.sections.items() if r.status != "done"]
            print(f"{level:>4} {wall:>11.2f} {slowest:>14.2f} {wall / slowest:>6.2f} {body / slowest:>10.2f} "
                  f"{len(calls):>6}" + (f"  未完成: {bad}" if bad else ""))


def bench_prompts(tokenizer: str | None) -> None:
    request = load_request(EXAMPLE)
    figures = compute_figures(request)
    settings = Settings(data_dir=tempfile.mkdtemp())
    chain = _Chain(request, figures, settings=settings, kb=BenchKB(), progress=None, use_cache=False, llm=object())
    count = _counter(tokenizer)
    unit = "tokens" if tokenizer else "chars"
    print(f"\n== prompt size per section ({unit}; system = shared prefix; tool schema sent separately) ==")
    total = shared_total = 0
    shared = count(chain.system)
    for key in SECTION_KEYS:
        run = SectionRun()
        digest = "（其他章节要点约700字）" * 40 if key == "executive_summary" else ""
        messages = chain.messages(key, chain.retrieve(key, run), digest=digest[:700])
        schema = json.dumps(section_schema(chain.prompts, key), ensure_ascii=False, separators=(",", ":"))
        own = count(messages[1].content) + count(schema)
        size = shared + own
        total += size
        shared_total += shared
        print(f"{SECTIONS[key].title:<12} prompt {size:>6}  shared prefix {shared:>5} ({shared / size:.0%})  "
              f"section part {own:>5} (schema {count(schema)})")
    print(f"per plan: {total} {unit} of prompt; shared prefix {shared_total / total:.0%} of all prompt {unit} "
          f"(a prefix cache evaluates it once per plan instead of 16 times)")


def _counter(tokenizer: str | None):
    if not tokenizer:
        return len
    import httpx

    def count(text: str) -> int:
        r = httpx.post(f"{tokenizer.rstrip('/')}/extras/tokenize", json={"input": text}, timeout=600)
        r.raise_for_status()
        return len(r.json()["tokens"])

    return count


def bench_real(url: str, model: str, concurrency: int) -> None:
    from assistant.validation import validate_plan

    request = load_request(EXAMPLE)
    figures = compute_figures(request)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=tmp, llm_base_url=url, llm_model=model, llm_api_key="local",
                            llm_concurrency=concurrency, llm_timeout=1800, llm_cache=False)
        from assistant.retrieval import get_knowledge_base

        kb = get_knowledge_base(settings)
        kb.ensure_builtin()
        t0 = time.perf_counter()
        plan = draft_sections(request, figures, settings=settings, kb=kb, use_cache=False,
                              progress=lambda e: print(f"  {time.perf_counter() - t0:7.1f}s {e.section} {e.status}",
                                                       flush=True) if e.status != "waiting" else None)
        wall = time.perf_counter() - t0
    print_real(plan, wall)
    print(f"validator score: {validate_plan(plan).score:.1f}")


def print_real(plan, wall: float | None = None) -> None:
    m = plan.metadata
    runs = m.sections
    statuses = {s: sum(r.status == s for r in runs.values()) for s in ("done", "retried", "fallback", "offline")}
    print(f"\n== real draft: {m.model} ==")
    if wall is not None:
        print(f"wall time {wall:.1f} s")
    print(f"tokens in {m.tokens_in}, out {m.tokens_out}; calls {sum(r.attempts for r in runs.values())}; "
          f"re-asks {sum(max(r.attempts - 1, 0) for r in runs.values())}; sections {statuses}")
    for key, r in runs.items():
        print(f"  {SECTIONS[key].title:<12} {r.status:<8} calls {r.attempts}  in {r.tokens_in:>5} out {r.tokens_out:>4}"
              f"  {r.latency_s:7.1f}s" + (f"  回退原因: {r.fallback_reason[:60]}" if r.fallback_reason else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--delay", type=float, default=1.0)
    ap.add_argument("--concurrency", default="1,4,8,16")
    ap.add_argument("--tokenizer", help="base URL of a llama.cpp server (uses /extras/tokenize)")
    ap.add_argument("--real", help="OpenAI-compatible base URL for one real full draft")
    ap.add_argument("--model", default="local-qwen")
    args = ap.parse_args()
    if args.real:
        bench_real(args.real, args.model, 2)
        return
    bench_concurrency(args.delay, [int(x) for x in args.concurrency.split(",")])
    bench_prompts(args.tokenizer)


if __name__ == "__main__":
    main()
