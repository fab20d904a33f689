"""The intake corpus benchmark: field-level precision and recall, and every miss (format: evals/intake/README.md).

Scoring is pure functions over plain data: an item of the corpus and what a reader made of it (fields in
request-file form for first/followup messages; {intents, changes, confirm, sections} for revisions).
`run_corpus` reads every item with the rule reader (or rules + model) and scores it; evals/intake/bench.py prints
the figures and tests/test_intake_corpus.py holds the floor.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ..quantities import parse_period

AMOUNT_FIELDS = ("revenue_target", "baseline_revenue", "collection_target", "avg_deal_size", "budget_total")
RATE_FIELDS = ("win_rate", "repurchase_rate")
ITEM_FIELDS = ("region", "product")  # strings of items joined by 、
LIST_FIELDS = ("channels", "competitors", "intents", "sections")
IGNORED = ("currency_unit",)
_PUNCT = re.compile(r"[\s，。；、,.;:：!！?？\"'“”‘’「」『』()（）]+")


def norm(text: Any) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", str(text)))


def empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


@dataclass
class Unit:
    """One scored unit: tp/fp/fn, with what was expected and what was read (for the list of misses)."""

    item: str
    field: str
    kind: str  # tp | fp | fn
    expected: Any = None
    read: Any = None


@dataclass
class Check:
    item: str
    what: str  # says | unknown
    ok: bool
    detail: str


@dataclass
class Score:
    units: list[Unit] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    items: int = 0

    def counts(self, pred: Callable[[Unit], bool] = lambda u: True) -> tuple[int, int, int]:
        tp = sum(1 for u in self.units if u.kind == "tp" and pred(u))
        fp = sum(1 for u in self.units if u.kind == "fp" and pred(u))
        fn = sum(1 for u in self.units if u.kind == "fn" and pred(u))
        return tp, fp, fn

    def precision(self, pred: Callable[[Unit], bool] = lambda u: True) -> float:
        tp, fp, _ = self.counts(pred)
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, pred: Callable[[Unit], bool] = lambda u: True) -> float:
        tp, _, fn = self.counts(pred)
        return tp / (tp + fn) if tp + fn else 1.0

    def misses(self) -> list[Unit]:
        return [u for u in self.units if u.kind != "tp"]


# ---------------------------------------------------------------- comparing one field


def _period_key(value: Any, today: date) -> Any:
    try:
        start, end, _ = parse_period(str(value), today)
    except ValueError:
        return ("unreadable", norm(value))
    return (start, end)


def _same_scalar(name: str, expected: Any, read: Any, today: date) -> bool:
    if name in AMOUNT_FIELDS:
        try:
            e, r = float(expected), float(read)
        except (TypeError, ValueError):
            return False
        return abs(e - r) <= 0.005 * abs(e) if e else abs(r) < 1e-9
    if name in RATE_FIELDS:
        try:
            return abs(float(expected) - float(read)) <= 0.0005
        except (TypeError, ValueError):
            return False
    if name == "period":
        return _period_key(expected, today) == _period_key(read, today)
    if isinstance(expected, dict) or isinstance(read, dict):
        if not (isinstance(expected, dict) and isinstance(read, dict)) or set(expected) != set(read):
            return False
        return all(norm(expected[k]) == norm(read[k]) if isinstance(expected[k], str)
                   else float(expected[k]) == float(read[k]) for k in expected)
    if isinstance(expected, bool) or isinstance(read, bool):
        return bool(expected) == bool(read)
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        try:
            return float(expected) == float(read)
        except (TypeError, ValueError):
            return False
    return norm(expected) == norm(read)


def _set_units(item: str, name: str, expected: Iterable[Any], read: Iterable[Any]) -> list[Unit]:
    exp = {norm(v): v for v in expected if not empty(v)}
    got = {norm(v): v for v in read if not empty(v)}
    units = [Unit(item, name, "tp" if k in got else "fn", expected=v, read=got.get(k)) for k, v in exp.items()]
    units += [Unit(item, name, "fp", read=v) for k, v in got.items() if k not in exp]
    return units


def _split_items(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [p for p in re.split(r"[、,，]", str(value)) if p.strip()]


def _row_key(name: str, row: dict[str, Any], keys: tuple[str, ...]) -> tuple:
    if name == "team":
        base = (norm(row.get("role", "销售代表")), int(row.get("count", 0)), int(row.get("new_hires", 0) or 0),
                bool(row.get("quota_bearing", True)))
        return base + tuple(row.get(k) for k in keys)
    label = "name" if name == "stage_conversion" else "item"
    value = "rate" if name == "stage_conversion" else "share"
    return (norm(row.get(label, "")).replace("->", "→"), round(float(row.get(value, 0)) * 2000))


def _row_units(item: str, name: str, expected: list[dict], read: list[dict]) -> list[Unit]:
    extra = tuple(k for k in ("hire_month",) if any(k in r for r in expected))
    got = [r for r in (read or []) if isinstance(r, dict)]
    got_keys = [_row_key(name, r, extra) for r in got]
    units, used = [], set()
    for row in expected:
        key = _row_key(name, row, extra)
        hit = next((i for i, k in enumerate(got_keys) if k == key and i not in used), None)
        if hit is None:
            units.append(Unit(item, name, "fn", expected=row))
        else:
            used.add(hit)
            units.append(Unit(item, name, "tp", expected=row, read=got[hit]))
    units += [Unit(item, name, "fp", read=got[i]) for i in range(len(got)) if i not in used]
    return units


def _note_units(item: str, expected: list[str], read: Any) -> list[Unit]:
    clauses = [c for c in re.split(r"[；;\n]+", str(read or "")) if norm(c)]
    if isinstance(read, list):
        clauses = [str(c) for c in read if norm(c)]
    units, matched = [], set()
    for phrase in expected:
        hit = next((i for i, c in enumerate(clauses) if norm(phrase) in norm(c)), None)
        units.append(Unit(item, "notes", "fn" if hit is None else "tp", expected=phrase,
                          read=None if hit is None else clauses[hit]))
        if hit is not None:
            matched.update(i for i, c in enumerate(clauses) if norm(phrase) in norm(c))
    units += [Unit(item, "notes", "fp", read=c) for i, c in enumerate(clauses) if i not in matched]
    return units


def compare(item: str, expected: dict[str, Any], read: dict[str, Any], today: date) -> list[Unit]:
    """Units for one item: every field expected or read."""
    units: list[Unit] = []
    names = [n for n in dict.fromkeys([*expected, *read]) if n not in IGNORED or n in expected]
    for name in names:
        e, r = expected.get(name), read.get(name)
        if empty(e) and empty(r):
            continue
        if name in ITEM_FIELDS:
            units += _set_units(item, name, _split_items(e) if not empty(e) else [],
                                _split_items(r) if not empty(r) else [])
        elif name in LIST_FIELDS:
            units += _set_units(item, name, e or [], r or [])
        elif name in ("team", "stage_conversion", "budget_split"):
            units += _row_units(item, name, e or [], r or [])
        elif name == "notes":
            units += _note_units(item, e or [], r)
        elif name == "confirm":
            if e or r:
                units.append(Unit(item, name, "tp" if bool(e) == bool(r) else ("fn" if e else "fp"), e, r))
        elif empty(r):
            units.append(Unit(item, name, "fn", expected=e))
        elif empty(e):
            units.append(Unit(item, name, "fp", read=r))
        elif _same_scalar(name, e, r, today):
            units.append(Unit(item, name, "tp", expected=e, read=r))
        else:
            units += [Unit(item, name, "fn", expected=e, read=r), Unit(item, name, "fp", expected=e, read=r)]
    return units


# ---------------------------------------------------------------- the corpus


@dataclass
class Item:
    id: str
    kind: str
    text: str
    industry: str
    today: date
    expect: dict[str, Any]
    previous: dict[str, Any] = field(default_factory=dict)
    base: dict[str, Any] | None = None
    base_name: str | None = None
    unknown: list[str] = field(default_factory=list)
    says: list[str] = field(default_factory=list)
    style: list[str] = field(default_factory=list)


def load_corpus(folder: Path) -> list[Item]:
    bases = yaml.safe_load((folder / "bases.yaml").read_text(encoding="utf-8"))
    items: list[Item] = []
    for path in sorted((folder / "corpus").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for raw in data["items"]:
            today = raw.get("today", data.get("today"))
            base_name = raw.get("base")
            items.append(Item(
                id=raw["id"], kind=raw["kind"], text=raw["text"], industry=data["industry"],
                today=today if isinstance(today, date) else date.fromisoformat(str(today)),
                expect=raw.get("expect") or {}, previous=raw.get("previous") or {},
                base=bases[base_name] if base_name else None, base_name=base_name,
                unknown=raw.get("unknown") or [], says=raw.get("says") or [], style=raw.get("style") or []))
    return items


@dataclass
class Reading:
    """What a reader made of one item: fields (or revision parts), messages to the user, fields left unknown."""

    fields: dict[str, Any]
    messages: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def compare_item(it: Item, read: dict[str, Any]) -> list[Unit]:
    """Units of one item; a revision's `changes` are compared field by field like a message's fields, and a
    budget split change only on the items the user named."""
    if it.kind != "revision":
        return compare(it.id, it.expect, read, it.today)
    expected = {k: v for k, v in it.expect.items() if k != "changes"}
    got = {k: v for k, v in read.items() if k != "changes"}
    units = compare(it.id, expected, got, it.today)
    want, changes = dict(it.expect.get("changes") or {}), dict(read.get("changes") or {})
    if "budget_split" in want and isinstance(changes.get("budget_split"), list):
        named = {norm(r["item"]) for r in want["budget_split"]}
        changes["budget_split"] = [r for r in changes["budget_split"] if norm(r.get("item")) in named]
    return units + compare(it.id, want, changes, it.today)


def score_corpus(items: list[Item], read: Callable[[Item], Reading]) -> Score:
    score = Score()
    for it in items:
        reading = read(it)
        score.items += 1
        score.units += compare_item(it, reading.fields)
        said = "\n".join(reading.messages)
        for phrase in it.says:
            score.checks.append(Check(it.id, "says", phrase in said, f"「{phrase}」 in: {said[:300]}"))
        if it.unknown or reading.unknown:
            ok = sorted(it.unknown) == sorted(reading.unknown)
            score.checks.append(Check(it.id, "unknown", ok, f"expected {it.unknown}, read {reading.unknown}"))
    return score


# ---------------------------------------------------------------- reading the corpus with the product's readers

CORPUS_DIR = Path(__file__).resolve().parents[2] / "evals" / "intake"


def read_message_item(it: Item, extract: Callable[..., Any] | None = None) -> Reading:
    """A first or follow-up message read like the chat reads it; only what changed from `previous` counts."""
    from .rule_reader import extract_fields

    result = (extract or extract_fields)(it.text, dict(it.previous), it.today)
    fields = {k: v for k, v in result.fields.items() if it.previous.get(k) != v}
    return Reading(fields=fields, messages=list(result.notes), unknown=list(result.unknown))


def read_revision_item(it: Item) -> Reading:
    """A revision read like the chat reads it on a drafted plan of the item's base request."""
    from types import SimpleNamespace

    from ..planning.engine import compute_figures
    from ..request import build_request
    from .revision import RevisionError, interpret

    request = build_request(it.base)
    plan = SimpleNamespace(request=request, figures=compute_figures(request))
    try:
        rev = interpret(it.text, plan, today=it.today)  # type: ignore[arg-type]
    except RevisionError as exc:
        return Reading(fields={"intents": [], "changes": {}, "confirm": False}, messages=[str(exc)])
    sections = rev.sections if "wording" in rev.intents else []  # the corpus names sections of wording requests
    fields = {"intents": rev.intents, "changes": rev.changes, "confirm": rev.confirm, "sections": sections}
    return Reading(fields=fields, messages=[*rev.notes, rev.question])


def run_corpus(folder: Path = CORPUS_DIR, only: str | None = None,
               extract: Callable[..., Any] | None = None) -> Score:
    items = [i for i in load_corpus(folder) if only in (None, i.industry)]
    return score_corpus(items, lambda it: read_revision_item(it) if it.kind == "revision"
                        else read_message_item(it, extract))
