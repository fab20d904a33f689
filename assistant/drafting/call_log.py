"""The call log: every model call (messages, response, method, tokens, latency, outcome) appended to
data_dir/calls.sqlite3, so a section that fell back can be inspected afterwards (`planassist logs`, `logs show ID`).

SQLite (stdlib) makes each append one atomic transaction, safe from threads and processes at once. What is stored
is what the model saw and said; API keys never reach it (they are not in messages, and error texts are redacted by
the model layer before they are logged). A log that cannot be written never fails a draft.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LOG_FILE = "calls.sqlite3"
_SCHEMA = """CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    model TEXT NOT NULL,
    name TEXT NOT NULL,
    method TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    tokens_in INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    latency_s REAL NOT NULL DEFAULT 0,
    messages TEXT NOT NULL,
    response TEXT NOT NULL DEFAULT ''
)"""
OUTCOME_LABELS = {"accepted": "通过", "rejected": "未通过检查（重问）", "cached": "缓存", "unavailable": "服务不可用",
                  "unsupported": "方式不被支持", "unreadable": "无法解析", "interrupted": "中途被服务端结束（重发）",
                  "cut": "超时或中断（未写完）"}


@dataclass
class CallRecord:
    id: int
    at: str
    model: str
    name: str
    method: str
    outcome: str
    detail: str
    tokens_in: int
    tokens_out: int
    latency_s: float
    messages: list[list[str]]
    response: str


class CallLog:
    """Append-only log of model calls in one SQLite file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def in_dir(cls, data_dir: str | Path) -> CallLog:
        return cls(Path(data_dir) / LOG_FILE)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30)
        con.execute(_SCHEMA)
        return con

    def append(self, *, model: str, name: str, method: str, outcome: str, messages: list[Any], response: str = "",
               detail: str = "", tokens_in: int = 0, tokens_out: int = 0, latency_s: float = 0.0) -> int | None:
        """One call; returns its id (None when the log cannot be written — the draft goes on)."""
        row = (datetime.now().isoformat(timespec="seconds"), model, name, method, outcome, detail, int(tokens_in),
               int(tokens_out), float(latency_s), json.dumps(messages, ensure_ascii=False), response)
        try:
            with self._connect() as con:
                cur = con.execute("INSERT INTO calls (at, model, name, method, outcome, detail, tokens_in, tokens_out,"
                                  " latency_s, messages, response) VALUES (?,?,?,?,?,?,?,?,?,?,?)", row)
                return int(cur.lastrowid or 0)
        except (OSError, sqlite3.Error) as exc:
            log.warning("call log not written: %s", exc)
            return None

    def recent(self, limit: int = 20, name: str | None = None) -> list[CallRecord]:
        """The latest calls, newest first (optionally of one section / purpose)."""
        if not self.path.is_file():
            return []
        query = "SELECT * FROM calls" + (" WHERE name = ?" if name else "") + " ORDER BY id DESC LIMIT ?"
        with self._connect() as con:
            rows = con.execute(query, (name, limit) if name else (limit,)).fetchall()
        return [_record(r) for r in rows]

    def get(self, call_id: int) -> CallRecord | None:
        if not self.path.is_file():
            return None
        with self._connect() as con:
            row = con.execute("SELECT * FROM calls WHERE id = ?", (call_id,)).fetchone()
        return _record(row) if row else None


def _record(row: tuple) -> CallRecord:
    values = list(row)
    values[10] = json.loads(values[10])
    return CallRecord(*values)
