"""Rule-based free-text intake: what a sales manager types in a chat -> request-file fields, no model needed.

    extract_fields("江苏明年1200万，6个销售，预算150万")
    -> fields {region: 江苏, period: 2027年全年, revenue_target: 1200, team: [6 reps], budget_total: 150}

The text is cut into clauses (text.py); seasonality clauses are set aside verbatim first (season.py); each other
clause is read by a fixed sequence of passes (names.py, people.py, periods.py, figures.py). A pass masks what it
consumed, so one number is never read twice; a clause with a fact no field took is kept verbatim in `notes`.
Later statements win over earlier ones and a Chinese note says so; a message merges onto `previous` (a chat
accumulates). Nothing is invented: a value is only set when the user said it; derived values (target from
"增长20%", from price × volume) carry a note. Values outside the request's bounds are refused by field name
(`rejected`). Only the stdlib, pydantic, yaml and quantities/request are imported: the UI imports this cheaply.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from ..quantities import format_rate, parse_amount
from ..request import FIELD_LABELS, REQUIRED_FIELDS, bound_problem
from . import figures, names, people, periods, season
from . import patterns as pat
from .patterns import AMOUNT_FIELDS, LIST_FIELDS, QUESTIONS, RATE_FIELDS  # noqa: F401 (re-exported)
from .text import Clause, split_clauses

MAX_CHARS = 20_000  # a chat message longer than this is cut (1 MB of text is still answered in milliseconds)
MAX_CLAUSES = 400  # a message of more clauses is a pasted document: the first ones are read
amount_of = parse_amount  # one amount parser (reads "一千二百万" too); the UI form and the model reader use it


class IntakeResult(BaseModel):
    """Fields in request-file form (amounts in the request's unit, rates as fractions, period as its label).

    `unknown`: fields the user said are not known yet ("预算还没定"), not asked again. `rejected`: values refused
    by the request's bounds, each naming its field ("赢单率必须…，收到 150%"). `uncertain`: fields read with a
    guess (a model reading may replace them)."""

    fields: dict[str, Any] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    unknown: list[str] = Field(default_factory=list)
    rejected: list[str] = Field(default_factory=list)
    refused: list[str] = Field(default_factory=list)  # the fields of `rejected`
    uncertain: list[str] = Field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else round(v, 4)


def show(field: str, value: Any, unit: str = "万元") -> str:
    """A field value as a user would write it (for notes and confirmations)."""
    short = unit.removesuffix("元") or "元"
    if field in AMOUNT_FIELDS and isinstance(value, (int, float)):
        return f"{_num(value)}{short}"
    if field in RATE_FIELDS and isinstance(value, (int, float)):
        return format_rate(value)
    if field == "team" and isinstance(value, list):
        return "、".join(f"{r.get('role', '销售代表')}{r.get('count')}人"
                        + (f"（含新招{r['new_hires']}人）" if r.get("new_hires") else "")
                        + ("（不背指标）" if r.get("quota_bearing") is False else "")
                        for r in value if isinstance(r, dict))
    if field == "productivity" and isinstance(value, dict):
        return f"每人每{value.get('per', '月')}{_num(value.get('value', 0))}{value.get('unit', '单')}"
    if field == "volume_target" and isinstance(value, dict):
        return f"{value.get('count')}{value.get('unit', '')}"
    if field == "sales_cycle_days":
        return f"{value}天"
    if field in ("budget_split", "stage_conversion") and isinstance(value, list):
        return "、".join(f"{r.get('item') or r.get('name')} {format_rate(r.get('share') or r.get('rate') or 0)}"
                        for r in value if isinstance(r, dict))
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


class Reader:
    """Reads one message clause by clause into `values` (later wins, with a note)."""

    def __init__(self, previous: dict[str, Any], today: date, mode: str = "chat"):
        self.prev, self.today, self.mode = previous, today, mode
        self.unit = previous.get("currency_unit", "万元")
        self.values: dict[str, Any] = {}
        self.additive: set[str] = set()
        self.notes: list[str] = []  # messages to the user
        self.kept: list[str] = []  # clauses kept for the request's notes
        self.extra: dict[str, float] = {}  # growth / collection rate / expense ratio, used after reading
        self.unknown: list[str] = []
        self.rejected: list[str] = []
        self.refused: list[str] = []
        self.uncertain: set[str] = set()
        self.mentioned: set[str] = set()  # fields the message spoke about, changed or not
        self.growth_words = ""
        self.last_amount_field: str | None = None
        self.last_key_field: str | None = None
        self.negated_field: str | None = None
        self.negated_role: str | None = None
        self.last_list: str | None = None
        self.list_field: str | None = None
        self.split_rows: list[dict[str, Any]] | None = None
        self.subject_role: str | None = None
        self.stage_context = False
        self.in_breakdown = False
        self.period_range: tuple[date, date] | None = None
        self.future = False
        self.clause_index = 0
        self.amount_starts: list[int] = []
        self.company_words: str | None = None
        self.industry_words: list[str] = []
        self.industry_said = False
        self.team_rows: list[dict[str, Any]] = []
        self.correcting = False
        self.dangling_key: str | None = None
        self.carried_key: str | None = None
        self.described = False  # a competitor list mentioned unnamed ones (一些本地小公司)

    # -- recording
    def put(self, field: str, value: Any, additive: bool = False) -> None:
        self.mentioned.add(field)
        old = self.values.get(field)
        if additive and isinstance(value, list):
            base = old if old is not None else list(self.prev.get(field) or [])
            self.values[field] = list(dict.fromkeys([*base, *value]))
            return
        if additive and field == "region" and isinstance(value, str):
            base = old or self.prev.get(field) or ""
            self.values[field] = "、".join(dict.fromkeys([p for p in f"{base}、{value}".split("、") if p]))
            return
        if isinstance(value, list) and isinstance(old, list) and field in LIST_FIELDS:
            value = list(dict.fromkeys([*old, *value]))  # several list clauses in one message add up
        elif old is not None and old != value:
            self.notes.append(f"后一句的{_label(field)}（{show(field, value, self.unit)}）覆盖了前面的 "
                              f"{show(field, old, self.unit)}")
        self.values[field] = value

    def remove_items(self, field: str, items: list[str]) -> None:
        self.mentioned.add(field)
        current = list(self.values.get(field, self.prev.get(field)) or [])
        self.values[field] = [x for x in current if x not in items]

    def current(self, field: str) -> Any:
        return self.values.get(field, self.prev.get(field))

    def num(self, value: float) -> int | float:
        return _num(value)

    def bound(self, field: str, value: Any, said: str) -> str | None:
        """The field's bound problem (also recorded and told), or None when the value is fine."""
        problem = bound_problem(field, value, self.unit)
        if problem:
            self.mentioned.add(field)
            self.refused.append(field)
            self.rejected.append(problem)
            self.notes.append(f"{problem}（原话「{said}」），未采用")
        return problem

    def rate(self, field: str, value: float, said: str) -> None:
        if self.bound(field, value, said) is None:
            self.put(field, round(value, 4))

    def stage(self, name: str, value: float) -> None:
        if self.bound("rate", value, f"{name} {format_rate(value)}") is None:
            stages = [s for s in self.values.get("stage_conversion") or [] if s["name"] != name]
            self.put("stage_conversion", stages + [{"name": name, "rate": round(value, 4)}])
            self.stage_context = True

    def period_months(self) -> int | None:
        return periods.period_months(self.current("period"), self.today)

    def history_this_year(self, c: Clause) -> bool:
        """'今年做了…' or '今年4500万' in a message that plans next year: this year is history."""
        return "今年" in c.text and self.future and not pat.REST_OF_YEAR_RE.search(c.text)

    def closest_amount_field(self, m: re.Match) -> str | None:
        """'不对，是1500万' after a chat that gave several amounts: the one closest in size."""
        try:
            new = parse_amount(m.group(0), self.unit)
        except ValueError:
            return None
        known = [(f, v) for f in AMOUNT_FIELDS if isinstance(v := self.current(f), (int, float)) and v > 0]
        if not known or new <= 0:
            return None
        import math

        return min(known, key=lambda fv: abs(math.log(new / fv[1])))[0]

    def is_part_line(self, c: Clause) -> bool:
        """'清泉水目标5000万' / '江苏3000万' when several products or regions were named: one part of the whole."""
        for name in ("product", "region"):
            parts = [p for p in str(self.current(name) or "").split("、") if p]
            if len(parts) >= 2 and any(c.raw.startswith(p) for p in parts):
                return True
        return False

    # -- reading
    def read(self, clauses: list[Clause], text: str) -> None:
        self.future = bool(pat.FUTURE_RE.search(text))
        seasonality = season.mark_seasonality(clauses)
        if seasonality:
            self.put("seasonality", "；".join(seasonality))
        for i, c in enumerate(clauses):
            self.clause_index = i
            self.amount_starts = []
            if "season" not in c.tags:
                self._read_clause(c)
        figures.finish_budget_split(self)
        people.finish_team(self, text)
        names.infer_industry(self)
        season.keep_notes(self, clauses)

    def _read_clause(self, c: Clause) -> None:
        if self._unknown(c):
            c.tags.add("unknown")
            return
        wording = bool(pat.INSTRUCTION_RE.search(c.text))
        if wording:
            c.tags.add("wording")
        if re.fullmatch(r"\s*(?:不对|错了|说错了|更正一下|更正|纠正一下)\s*", c.text):
            self.correcting = True  # "不对，是1500万": the next clause corrects
            return
        past = bool(pat.PAST.search(c.text)) or self.history_this_year(c)
        correction = bool(pat.CORRECTION.search(c.text)) or self.correcting
        self.correcting = False
        dangling, self.dangling_key = self.dangling_key, None
        said_key = None
        for key in pat.AMOUNT_KEY_RE.finditer(c.text):
            if key.lastgroup != "verb":
                self.last_key_field = said_key = key.lastgroup
        self.carried_key = dangling
        if not wording:
            names.read_company(self, c)
            if names.read_competitors(self, c):
                return
            more = pat.CONTINUE_RE.match(c.text)
            if self.last_list and more and not re.search(r"\d", c.text):  # "竞争对手是壳牌，其次是美孚和嘉实多"
                items = names.list_items(more.group(1), self, brands=self.last_list == "competitors")
                if items:
                    self.put(self.last_list, items, additive=True)
                    c.mask(0, len(c.text))
                    return
            self.last_list = None
        if figures.read_budget_split(self, c) or figures.channel_breakdown(self, c):
            return
        if not self.in_breakdown or not pat.BREAKDOWN.search(c.text):
            self.in_breakdown = bool(pat.BREAKDOWN.search(c.text))
        people.read_productivity(self, c)
        people.read_counts(self, c)
        people.read_team(self, c)
        if not wording:
            names.read_channels(self, c)
        period_state = periods.read_period(self, c, past, correction)
        figures.read_rates(self, c)
        figures.read_cycle(self, c)
        if not wording:
            names.read_region(self, c)
        figures.read_amounts(self, c, past, correction, period_state)
        if said_key and not self.amount_starts and not wording:
            self.dangling_key = said_key  # "明年目标别那么高，1000万就行": the amount comes in the next clause
        if not wording:
            names.read_product(self, c)

    def _unknown(self, c: Clause) -> bool:
        """'预算还没定', '不清楚竞争对手有哪些': remember the field as not known yet (True: the clause is read)."""
        s = c.text
        w = pat.UNKNOWN_RE.search(s)
        if not w or re.search(r"\d", s):
            return False
        before = list(pat.FIELD_KEY_RE.finditer(s, max(0, w.start() - pat.UNKNOWN_REACH), w.start()))
        key = before[-1] if before else pat.FIELD_KEY_RE.search(s, w.end(), w.end() + pat.UNKNOWN_REACH)
        if not key:
            return False
        field = key.lastgroup
        if self.current(field) not in (None, "", []):
            self.notes.append(f"{_label(field)}已记录为{show(field, self.current(field), self.unit)}，仍按此起草；"
                              "如要去掉，请在右侧表单里清空")
        else:
            self.unknown.append(field)
            self.notes.append(f"已记下：{_label(field)}暂未确定，先不追问，方案里会列为待确认事项")
        return True

    # -- after the whole message
    def derive(self) -> None:
        unit = self.unit
        short = unit.removesuffix("元") or "元"
        base = self.current("baseline_revenue")
        g = self.extra.get("_growth")
        if g is not None and "revenue_target" not in self.values and base is not None:
            target = _num(round(base * (1 + g), 2))
            if self.bound("revenue_target", target, self.growth_words) is None:
                self.put("revenue_target", target)
                self.notes.append(f"销售额目标按去年{show('baseline_revenue', base, unit)}"
                                  f"{self.growth_words or '增长' + format_rate(g)}算得{target}{short}")
        price = self.current("avg_deal_size")
        for count, what in (((self.values.get("volume_target") or {}).get("count"), "销量"),
                            (self.values.get("new_customers"), "新客户数")):
            if count and price and "revenue_target" not in self.values and not self.prev.get("revenue_target"):
                target = _num(round(price * count, 2))
                if bound_problem("revenue_target", target, unit) is None:
                    self.put("revenue_target", target)
                    self.notes.append(f"销售额目标按平均客单价{show('avg_deal_size', price, unit)}×{what}{count}"
                                      f"算得{target}{short}，如不对请告诉我目标金额")
        target = self.current("revenue_target")
        for key, field, what in (("_collection_rate", "collection_target", "回款率"),
                                 ("_expense_ratio", "budget_total", "费用率")):
            r = self.extra.get(key)
            if r is not None and field not in self.values and not target:
                self.notes.append(f"{what}{format_rate(r)}需要先知道销售额目标才能算出{_label(field)}，请告诉我目标")
            if r is not None and field not in self.values and target:
                self.put(field, _num(round(target * r, 2)))
                self.notes.append(f"{_label(field)}按销售额目标×{what}{format_rate(r)}算得"
                                  f"{show(field, self.values[field], unit)}")
        if self.kept:
            old = self.prev.get("notes") or ""
            new = [k for k in dict.fromkeys(self.kept) if k not in old]
            if new:
                self.values["notes"] = "；".join([p for p in [old, *new] if p])


def merge_fields(previous: dict[str, Any] | None, new: dict[str, Any],
                 additive: set[str] | frozenset[str] = frozenset()) -> tuple[dict[str, Any], list[str]]:
    """New values over previous ones; a changed value gets a note. Lists named in `additive` are unioned."""
    merged = dict(previous or {})
    notes: list[str] = []
    unit = merged.get("currency_unit", "万元")
    for field, value in new.items():
        old = merged.get(field)
        if field in additive and isinstance(old, list) and isinstance(value, list):
            merged[field] = list(dict.fromkeys([*old, *value]))
            continue
        if old not in (None, "", []) and old != value and field != "notes":
            notes.append(f"新说的{_label(field)}（{show(field, value, unit)}）替换了之前的 {show(field, old, unit)}")
        merged[field] = value
    return merged, notes


def missing_fields(fields: dict[str, Any]) -> list[str]:
    return [f for f in REQUIRED_FIELDS if fields.get(f) in (None, "", [])]


NEEDED = "要起草方案，至少需要销售额目标（如「明年目标1200万」）；最好再告诉我公司名称、区域、计划周期、销售人数和预算。"


def read_message(text: str, previous: dict[str, Any] | None = None, today: date | None = None,
                 mode: str = "chat") -> Reader:
    """The Reader after one message (extract_fields and the revision reader build on it)."""
    reader = Reader(dict(previous or {}), today or date.today(), mode)
    clauses = split_clauses(text)
    if len(clauses) > MAX_CLAUSES:
        reader.notes.append(f"内容分句太多（共{len(clauses):,}句），只读取了前{MAX_CLAUSES}句；建议只贴关键信息")
        clauses = clauses[:MAX_CLAUSES]
    reader.read(clauses, text)
    reader.derive()
    return reader


def extract_fields(text: str, previous: dict[str, Any] | None = None, today: date | None = None,
                   unknown: list[str] | None = None) -> IntakeResult:
    """Read one message; merge onto `previous` (the fields gathered so far in this conversation). `unknown`: the
    previous result's `unknown` (fields the user does not know yet), carried forward until a value is given."""
    previous = dict(previous or {})
    notes: list[str] = []
    if not isinstance(text, str) or not text.strip():
        return IntakeResult(fields=previous, missing=missing_fields(previous), unknown=list(unknown or []),
                            notes=["没有收到内容。" + NEEDED])
    if len(text) > MAX_CHARS:
        notes.append(f"内容过长（共{len(text):,}字），只读取了前{MAX_CHARS:,}字；建议只贴关键信息")
        text = text[:MAX_CHARS]
    reader = read_message(text, previous, today)
    merged, merge_notes = merge_fields(previous, reader.values, reader.additive)
    notes += reader.notes + merge_notes
    if not reader.values and not reader.notes and not reader.unknown:
        notes.append("这段话里没有识别出计划信息。" + NEEDED)
    elif "revenue_target" not in merged and not reader.unknown:
        notes.append("还缺销售额目标：" + NEEDED)
    still_unknown = [f for f in dict.fromkeys([*(unknown or []), *reader.unknown]) if merged.get(f) in (None, "", [])]
    return IntakeResult(fields=merged, missing=missing_fields(merged), notes=list(dict.fromkeys(notes)),
                        unknown=still_unknown, rejected=reader.rejected, refused=reader.refused,
                        uncertain=sorted(reader.uncertain))


def next_questions(fields: dict[str, Any], k: int = 2, unknown: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Chinese follow-up questions for the most important facts still missing, at most k. Facts the user said
    are not known yet (`unknown`) are not asked again."""
    asked = [q for keys, q in QUESTIONS
             if all(fields.get(f) in (None, "", []) for f in keys) and not any(f in unknown for f in keys)]
    return asked[:max(0, k)]
