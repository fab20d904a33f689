"""What a chat message on a drafted plan asks for: productivity, team size, targets, budget, seasonality, channels,
other facts, or better wording — and whether it must be confirmed before it is applied.

    read_revision("我们每人每月能签4家左右", request_fields)
    -> intents [productivity], changes {productivity: {value: 4, unit: 家, per: 月}}  (capacity, never headcount)
    read_revision("团队扩到40人", {... team: 8 reps ...})
    -> intents [team], changes {team: [40 reps]}, confirm True, question 「要把团队从8人改成40人吗？」

Facts are read by the same rule reader as the first message (mode="revision": "再加2个" is a hire, the team said
before is updated rather than replaced). Only plain data in, plain data out: revision.py applies the changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..request import FIELD_LABELS
from ..schema import SECTION_KEYS, SECTIONS
from . import patterns as pat
from .rule_reader import read_message, show

CONFIRM_SHARE = 0.30  # a change that moves headcount, target or budget by more than this is asked first
INTENT_OF_FIELD = {"productivity": "productivity", "team": "team", "revenue_target": "target",
                   "budget_total": "budget", "budget_split": "budget", "seasonality": "seasonality",
                   "channels": "channels"}
INTENT_ORDER = ("productivity", "team", "target", "budget", "seasonality", "channels", "facts", "wording")
TEXT_FIELDS = ("company", "region", "product", "industry", "competitors", "channels", "notes")

def named_sections(text: str) -> list[str]:
    """Sections a chat instruction names: by title, or by the words the section table (knowledge/checklist.yaml,
    `mentions`) lists for it; case-insensitive substrings."""
    from ..validation.checklist import read_checklist

    low = text.lower()
    table = read_checklist().sections
    return [key for key in SECTION_KEYS
            if SECTIONS[key].title in text or any(k.lower() in low for k in table[key].mentions)]


@dataclass
class RevisionReading:
    intents: list[str] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)  # sections named by a wording request
    confirm: bool = False
    question: str = ""  # the confirmation question when `confirm`
    notes: list[str] = field(default_factory=list)  # what was understood / refused, in Chinese
    rejected: list[str] = field(default_factory=list)


def _headcount(team: Any) -> int:
    return sum(int(r.get("count", 0)) for r in team or [] if isinstance(r, dict))


def _big_moves(before: dict[str, Any], changes: dict[str, Any], unit: str) -> list[str]:
    """Questions for every change of headcount, target or budget by more than CONFIRM_SHARE."""
    asks = []
    if "team" in changes:
        old, new = _headcount(before.get("team")), _headcount(changes["team"])
        if old and abs(new - old) / old > CONFIRM_SHARE:
            asks.append(f"团队从{old}人改成{new}人")
    for name in ("revenue_target", "budget_total"):
        old, new = before.get(name), changes.get(name)
        if isinstance(old, (int, float)) and isinstance(new, (int, float)) and old and abs(new - old) / old > CONFIRM_SHARE:
            asks.append(f"{FIELD_LABELS[name]}从{show(name, old, unit)}改成{show(name, new, unit)}")
    return asks


def read_revision(text: str, before: dict[str, Any], today: date | None = None) -> RevisionReading:
    """Read one revision message against the request it revises (request-file form)."""
    reading = RevisionReading()
    unit = str(before.get("currency_unit") or "万元")
    wording = bool(pat.INSTRUCTION_RE.search(text))
    reader = read_message(text, before, today, mode="revision")
    reading.notes += [n for n in reader.notes if "还缺销售额目标" not in n and "没有识别出" not in n]
    reading.rejected = list(reader.rejected)
    numbers_read = any(f not in TEXT_FIELDS for f in reader.values)
    for name, value in reader.values.items():
        if name in ("notes", "industry") or before.get(name) == value:
            continue
        if wording and name in TEXT_FIELDS and not numbers_read:
            continue  # "市场分析写得太空了，要有西北电价政策": a wording request, not a new region
        reading.changes[name] = value
    spoken = [f for f in reader.mentioned if f in INTENT_OF_FIELD or f in reader.refused]  # said, changed or not
    intents = {INTENT_OF_FIELD.get(f, "facts") for f in [*reading.changes, *spoken]
               if f not in ("notes", "industry") and not (wording and f in TEXT_FIELDS and not numbers_read)}
    if wording:
        intents.add("wording")
        reading.sections = named_sections(text)
    reading.intents = [i for i in INTENT_ORDER if i in intents]
    asks = _big_moves(before, reading.changes, unit)
    if asks:
        reading.confirm = True
        reading.question = "要把" + "，".join(asks) + "吗？回复「确认」照此修改，或直接说新的数字。"
    for name, value in reading.changes.items():
        old = before.get(name)
        label = FIELD_LABELS.get(name, name)
        reading.notes.append(f"{label}：{show(name, old, unit)} → {show(name, value, unit)}"
                             if old not in (None, "", []) else f"{label}：设为 {show(name, value, unit)}")
    unchanged = [f for f in reader.mentioned if f not in reading.changes and f in before and f not in ("notes",)]
    if not reading.changes and unchanged and not wording and not reading.rejected:
        reading.notes.append("、".join(f"{FIELD_LABELS.get(f, f)}仍为{show(f, before[f], unit)}" for f in unchanged)
                             + "，方案未改动。")
    return reading
