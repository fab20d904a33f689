"""Recorded model answers for evals: the chain's own response cache (assistant.drafting.llm.ResponseCache — same key of
model, messages, parameters and method, same file format), salted with the repeat index so repeats stay
independent samples, stored per prompt version under evals/recordings/<version>/.

Modes: record (answer from the recording, else call the model and record), replay (recording or fail loudly —
never a network call), live (the user's normal cache). The cache also keeps, per draft, the recorded tokens and
model latency of every answer it served, so a replayed run reports recorded latency, not replay time.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from ..drafting.llm import ResponseCache
from ..files import atomic_write

# the recordings' method: local-qwen (llama-cpp-python) rejects json_schema and constrains decoding to a schema given
# with json_object — the same grammar as tool calling, without the tool text in the prompt (~390 tokens a call)
DEFAULT_METHOD = "json_object_schema"

INDEX = "MANIFEST.yaml"


class ReplayMiss(BaseException):
    """A model call with no recording in replay mode. A BaseException on purpose: the drafting chain catches
    Exception to fall back to the offline drafter per section, and a missing recording must never be silently
    replaced by a fallback."""


RECORD_WITH_YOUR_MODEL = (
    "用你自己的模型服务录制（任何 OpenAI 兼容接口：Ollama、vLLM、llama.cpp、DeepSeek、通义千问……），"
    "先设置地址与模型名，例如：\n"
    "  export PLAN_LLM_BASE_URL=http://127.0.0.1:11434/v1 PLAN_LLM_MODEL=qwen2.5:7b-instruct PLAN_LLM_API_KEY=<密钥>\n"
    "再运行：\n  ")


def record_command(versions: list[str], sections: list[str] | None, repeats: dict[str, int], cases_dir: str | None,
                   only_cases: list[str] | None = None, reask: int | None = None) -> str:
    """How to record the missing answers with the user's own model endpoint, and the exact command."""
    parts = [".venv/bin/planassist eval run --mode record"]
    parts += [f"--prompts {v}" for v in versions]
    if sections:
        parts.append(f"--sections {','.join(sections)}")
    parts += [f"--repeats {v}={n}" for v, n in repeats.items() if v in versions and n != 1]
    if reask is not None:
        parts.append(f"--reask {reask}")
    if cases_dir:
        parts.append(f"--cases {cases_dir}")
    parts += [f"--case {c}" for c in only_cases or []]
    return RECORD_WITH_YOUR_MODEL + " ".join(parts)


class DraftTally:
    """What the cache served or recorded for one draft."""

    def __init__(self) -> None:
        self.tokens_in = 0
        self.tokens_out = 0
        self.latency_s = 0.0
        self.live_calls = 0
        self.replayed = 0

    def add(self, value: dict[str, Any], live: bool) -> None:
        usage = value.get("usage") or {}
        self.tokens_in += int(usage.get("input_tokens", 0))
        self.tokens_out += int(usage.get("output_tokens", 0))
        self.latency_s += float(value.get("latency_s", 0.0))
        self.live_calls += int(live)
        self.replayed += int(not live)


class RecordingCache(ResponseCache):
    """A ResponseCache whose keys carry the repeat index and which can refuse to miss (replay)."""

    def __init__(self, folder: Path, *, mode: str, repeat: int = 0, record_hint: str = ""):
        super().__init__(folder)
        self.mode = mode
        self.repeat = repeat
        self.record_hint = record_hint
        self.tally = DraftTally()
        self.misses: list[str] = []
        self.live_total = 0  # live calls over the cache's life (the tally is per draft)
        self.used: set[str] = set()  # recordings this cache served or wrote (the rest are stale)
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()

    def salted(self, key: str) -> str:
        return ResponseCache.key({"call": key, "repeat": self.repeat})

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        salted = self.salted(key)
        value = super().get(salted)
        with self._lock:
            if value is not None:
                self.tally.add(value, live=False)
                self.used.add(salted)
                return value
            if self.mode == "replay":
                self.misses.append(salted)
                raise ReplayMiss(f"回放模式下缺少录制的模型回答（{self.folder.name}/{salted[:12]}…）。"
                                 f"提示词、用例或参数与录制时不同。请重新录制：\n{self.record_hint}")
        self.begin(key)
        return None

    def begin(self, key: str) -> None:
        """A live call for `key` starts now (its latency is recorded with the answer)."""
        with self._lock:
            self._started[self.salted(key)] = time.perf_counter()

    def put(self, key: str, value: dict[str, Any]) -> None:
        salted = self.salted(key)
        with self._lock:
            started = self._started.pop(salted, None)
            value = {**value, "repeat": self.repeat, "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                     "latency_s": round(time.perf_counter() - started, 3) if started else 0.0}
            self.tally.add(value, live=True)
            self.live_total += 1
            self.used.add(salted)
        super().put(salted, value)

    def new_draft(self, repeat: int) -> DraftTally:
        """Start counting a new draft (the runner drafts one plan at a time)."""
        with self._lock:
            self.repeat = repeat
            self.tally = DraftTally()
            return self.tally


def has_recordings(folder: Path) -> bool:
    return Path(folder).is_dir() and any(Path(folder).glob("*.json"))


def write_index(folder: Path, info: dict[str, Any], run: dict[str, Any]) -> None:
    """What was recorded, with what (read by people and by the CI gate's error message): the version's prompt hash,
    model and method, plus one entry per distinct recording session (sections, cases, repeats, re-asks, repair)."""
    import yaml

    files = sorted(Path(folder).glob("*.json"))
    seconds = 0.0
    for p in files:
        try:
            seconds += float(json.loads(p.read_text(encoding="utf-8")).get("latency_s", 0.0))
        except (OSError, ValueError):
            continue
    old = read_index(folder)
    same = lambda r: {k: v for k, v in r.items() if k != "updated_at"}  # noqa: E731
    runs = [r for r in old.get("runs", []) if isinstance(r, dict) and same(r) != same(run)] \
        if old.get("prompt_hash") == info.get("prompt_hash") else []
    atomic_write(Path(folder) / INDEX, yaml.safe_dump(
        {**info, "answers": len(files), "server_seconds": round(seconds, 1), "runs": [*runs, run]},
        allow_unicode=True, sort_keys=False))


def read_index(folder: Path) -> dict[str, Any]:
    """A recordings folder's MANIFEST.yaml ({} when there is none yet)."""
    import yaml

    try:
        return yaml.safe_load((Path(folder) / INDEX).read_text(encoding="utf-8")) or {}
    except (OSError, ValueError):
        return {}


def open_cache(recordings: Path, data_dir: Path, name: str, mode: str, record_hint: str) -> RecordingCache:
    """Record/replay modes keep answers in the committed recordings folder; live runs in the data dir's cache."""
    folder = Path(recordings) / name if mode in ("record", "replay") else Path(data_dir) / "cache" / "eval" / name
    return RecordingCache(folder, mode="replay" if mode == "replay" else "record", record_hint=record_hint)
