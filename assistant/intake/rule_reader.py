"""Rule-based free-text intake: what a sales manager types in a chat -> request-file fields.

    extract_fields("我们是做工业润滑油的，明年江苏要做到1200万，6个销售，预算150万")
    -> fields {product: 工业润滑油, period: 2027年全年, region: 江苏, revenue_target: 1200, team: [6 reps],
               budget_total: 150}, missing [company], notes [...]

The text is cut into clauses; each clause is read by a fixed sequence of passes (company, lists, period, rates,
day counts, head counts, amounts, region, product/industry). A pass masks what it consumed, so one number is never
read twice. Later statements win over earlier ones and a Chinese note says so; a message merges onto `previous`
(a chat accumulates). Nothing is invented: a value is only set when the user said it; derived values (target from
"增长20%") carry a note. A clause asking for better wording ("竞争对手部分写详细些") yields no names or lists; "预算还没定"
puts the field in `unknown` (not asked again). Only the stdlib, pydantic and parsing/request are imported: the UI and the LLM extractor
(which returns the same IntakeResult) import this module cheaply.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from ..quantities import cn_to_number, format_rate, parse_amount, parse_period, parse_rate
from ..request import FIELD_LABELS, REQUIRED_FIELDS
from . import patterns as pat
from .patterns import AMOUNT_FIELDS, LIST_FIELDS, MASK, QUESTIONS, RATE_FIELDS  # noqa: F401 (re-exported)

MAX_CHARS = 20_000  # a chat message longer than this is cut (1 MB of text is still answered in milliseconds)
KEY_REACH = 40  # an amount's key ("目标", "预算") is looked for this many characters around it
amount_of = parse_amount  # one amount parser (reads "一千二百万" too); ui.session and intake.model_reader import this name


class IntakeResult(BaseModel):
    """Fields in request-file form (amounts in the request's unit, rates as fractions, period as its label).

    `unknown` names fields the user said are not known yet ("预算还没定"): not asked again, left unset so the draft
    lists them as open questions. Pass it back as `extract_fields(..., unknown=)` / `next_questions(..., unknown=)`."""

    fields: dict[str, Any] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    unknown: list[str] = Field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


# ---------------------------------------------------------------- small helpers

def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else round(v, 4)


def _int_of(token: str) -> int:
    return int(token) if token.isdigit() else int(cn_to_number(token))


def _short_unit(unit: str) -> str:
    return unit.removesuffix("元") or "元"


def show(field: str, value: Any, unit: str = "万元") -> str:
    """A field value as a user would write it (for notes and confirmations)."""
    if field in AMOUNT_FIELDS and isinstance(value, (int, float)):
        return f"{_num(value)}{_short_unit(unit)}"
    if field in RATE_FIELDS and isinstance(value, (int, float)):
        return format_rate(value)
    if field == "team" and isinstance(value, list):
        return "、".join(f"{r.get('role', '销售')}{r.get('count')}人" for r in value if isinstance(r, dict))
    if field == "sales_cycle_days":
        return f"{value}天"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _list_items(text: str) -> list[str]:
    items = [pat.LIST_NOISE.sub("", p).strip(" :") for p in pat.LIST_SPLIT.split(text.replace(MASK, ""))]
    return [p for p in items if 1 <= len(p) <= 20 and not re.search(r"\d", p) and not pat.NOT_A_NAME.search(p)]


def _label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


class _Reader:
    """Reads one message clause by clause into `values` (later wins, with a note)."""

    def __init__(self, previous: dict[str, Any], today: date):
        self.prev = previous
        self.today = today
        self.unit = previous.get("currency_unit", "万元")
        self.values: dict[str, Any] = {}
        self.additive: set[str] = set()
        self.notes: list[str] = []
        self.extra: dict[str, float] = {}  # growth / collection rate / expense ratio, used after reading
        self.last_amount_field: str | None = None
        self.period_range: tuple[date, date] | None = None
        self.bare_unit_noted = False
        self.negated_field: str | None = None
        self.last_list: str | None = None
        self.unknown: list[str] = []  # fields the user said are not known yet

    # -- recording
    def put(self, field: str, value: Any, additive: bool = False) -> None:
        old = self.values.get(field)
        if additive and isinstance(value, list):
            merged = list(dict.fromkeys([*(old or []), *value]))
            self.values[field] = merged
            self.additive.add(field)
            return
        if old is not None and old != value:
            self.notes.append(f"后一句的{_label(field)}（{show(field, value, self.unit)}）覆盖了前面的 "
                              f"{show(field, old, self.unit)}")
        self.values[field] = value

    def current(self, field: str) -> Any:
        return self.values.get(field, self.prev.get(field))

    # -- the passes, in order
    def read(self, clause: str) -> None:
        s = clause
        if self._unknown(s):
            return
        past = bool(pat.PAST.search(s))
        correction = bool(pat.CORRECTION.search(s))
        # "竞争对手部分写详细些" asks for better writing: numbers in it still count, names and lists do not
        wording = bool(pat.INSTRUCTION_RE.search(s))
        if not wording:
            s = self._company(s)
            if self._lists(s):
                return
            more = pat.CONTINUE_RE.match(s)
            if self.last_list and more and not re.search(r"\d", s):  # "竞争对手是壳牌，其次是美孚和嘉实多"
                items = _list_items(more.group(1))
                if items:
                    self.put(self.last_list, items, additive=True)
                    return
        self.last_list = None
        s, period_state = self._period(s, past, correction) if not pat.SEASON_RE.search(s) else (s, "")
        s = self._rates(s)
        s = self._cycle(s)
        s = self._counts(s)
        s = self._amounts(s, past, correction, period_state)
        if wording:
            return
        s = self._region(s)
        self._product(s)
        if pat.SEASON_RE.search(clause):
            text = clause.strip()
            old = self.values.get("seasonality")
            self.values["seasonality"] = f"{old}；{text}" if isinstance(old, str) and text not in old else text

    @staticmethod
    def _mask(s: str, m: re.Match) -> str:
        return s[:m.start()] + MASK * (m.end() - m.start()) + s[m.end():]

    def _company(self, s: str) -> str:
        for rx in pat.COMPANY_RES:
            m = rx.search(s)
            if m and not pat.COMPANY_STOP.match(m.group(1)) \
                    and m.group(1) not in ("公司", "集团") and not m.group(1).endswith(("分公司", "子公司")):
                self.put("company", m.group(1).strip("()"))
                return self._mask(s, m)
        return s

    def _lists(self, s: str) -> bool:
        for field, patterns in (("competitors", pat.COMPETITOR_RES), ("channels", pat.CHANNEL_RES)):
            for i, rx in enumerate(patterns):
                m = rx.search(s)
                if not m:
                    continue
                items = _list_items(m.group(1))
                if items:
                    self.last_list = field
                    reverse = field == "competitors" and i == 1  # "长城是我们最大的竞争对手" adds one
                    additive = reverse or bool(pat.LIST_ADDS.search(s[:m.start(1) + 2]))
                    self.put(field, items, additive=additive)
                    return True
        return False

    def _period(self, s: str, past: bool, correction: bool) -> tuple[str, str]:
        """Returns (masked clause, state): 'set', 'inner' (a breakdown inside the plan period) or ''."""
        m = pat.PERIOD_RE.search(s)
        if not m:
            return s, ""
        s2 = self._mask(s, m)
        if m.group("bare"):
            if self.current("period"):
                return s2, "inner"
            text, note = self._upcoming(pat.quarter_months(m.group("bare")))
        else:
            y = m.group("y").replace(" ", "").replace("下一年", "明年").replace("下年", "明年")
            text, note = y + pat.quarter_months((m.group("sub") or "").replace("份", "")), None
            if text.endswith("年") and not m.group("sub"):
                text += "全年"
        try:
            start, end, label = parse_period(text.replace("到", "至"), self.today)
        except ValueError:
            return s2, ""
        if end < self.today.replace(day=1) or past and start <= self.today:
            return s2, ""  # history ("2025年做了900万", "今年做了3000万"), not the plan period
        if self.period_range and not correction:
            a, b = self.period_range
            if a <= start and end <= b and (start, end) != (a, b):
                return s2, "inner"
        if m.group("sub") and re.fullmatch(r"\d{1,2}月", m.group("sub").replace("份", "")) and self.current("period"):
            return s2, "inner"  # "2027年3月底前" is a milestone, not the plan period
        if note:
            self.notes.append(note.format(label=label))
        self.period_range = (start, end)
        self.put("period", label)
        return s2, "set"

    def _upcoming(self, bare: str) -> tuple[str, str]:
        """A period said without a year: the next one that has not started yet."""
        for y in (self.today.year, self.today.year + 1):
            try:
                start, _, _ = parse_period(f"{y}年{bare}".replace("到", "至"), self.today)
            except ValueError:
                continue
            if start >= self.today:
                return f"{y}年{bare}", f"「{bare}」没有说年份，按即将到来的{{label}}理解，如不对请说明"
        y = self.today.year + 1
        return f"{y}年{bare}", f"「{bare}」没有说年份，按{{label}}理解，如不对请说明"

    def _rates(self, s: str) -> str:
        for m in list(pat.STAGE_RE.finditer(s)):
            r = pat.RATE_RE.search(s, m.end())
            if r and r.start() - m.end() <= 4:
                stages = list(self.values.get("stage_conversion") or [])
                name = f"{m.group(1)}→{m.group(2)}"
                stages = [st for st in stages if st["name"] != name] + [{"name": name, "rate": self._rate(r)}]
                self.values["stage_conversion"] = stages
                s = self._mask(self._mask(s, r), m)
        for r in list(pat.RATE_RE.finditer(s)):
            keys = list(pat.RATE_KEY_RE.finditer(s, max(0, r.start() - KEY_REACH), r.start()))
            key = keys[-1] if keys else pat.RATE_KEY_RE.search(s, r.end(), r.end() + KEY_REACH)
            if not key:
                continue
            value = self._rate(r)
            if key.lastgroup.startswith("_"):
                self.extra[key.lastgroup] = value
            elif 0 < value <= 1:
                self.put(key.lastgroup, round(value, 4))
            s = self._mask(s, r)
        return s

    @staticmethod
    def _rate(m: re.Match) -> float:
        if m.group(1):
            return float(m.group(1)) / 100
        if m.group(2):
            return parse_rate(f"百分之{m.group(2)}")
        return parse_rate(f"{m.group(3)}成") + (0.05 if m.group(4) else 0.0)

    def _cycle(self, s: str) -> str:
        m = pat.CYCLE_RE.search(s)
        if m:
            n, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            days = _int_of(n) * {"天": 1, "日": 1, "周": 7, "星期": 7, "个月": 30, "月": 30}[unit]
            if 0 < days <= 1500:
                self.put("sales_cycle_days", days)
            s = self._mask(s, m)
        return s

    def _counts(self, s: str) -> str:
        for rx in pat.NEW_CUSTOMER_RES:
            m = rx.search(s)
            if m:
                self.put("new_customers", _int_of(m.group(1)))
                s = self._mask(s, m)
                break
        hires = None
        for rx in pat.HIRE_RES:
            m = rx.search(s)
            if m:
                hires, s = _int_of(m.group(1)), self._mask(s, m)
                break
        count, role = None, "销售代表"
        for rx in pat.TEAM_RES:
            m = rx.search(s)
            if m:
                count = _int_of(m.group(1))
                if (m.lastindex or 0) >= 2 and m.group(2) not in ("销售", "销售人员", "业务员", "BD", "bd"):
                    role = m.group(2)
                s = self._mask(s, m)
                break
        if count is None and not hires:
            return s
        team = self.current("team") or []
        existing = sum(r.get("count", 0) for r in team)
        if count is not None and role != "销售代表" and existing > count and re.search(r"其中|包括|包含|含", s):
            # "团队有15个人，包括3个销售经理": the 3 are part of the 15
            self.values["team"] = [{"role": "销售代表", "count": existing - count}, {"role": role, "count": count}]
            return s
        row = dict(team[0]) if count is None and team else {}
        row.setdefault("role", role)
        if count is not None:
            row["count"] = count
        if hires:
            before = row.get("count", 0)
            if re.search(r"其中|包括|包含|含", s):  # "8个销售，其中2个新人": the 2 are part of the 8
                row["count"] = max(before, hires)
            else:
                row["count"] = before + hires
                if before:
                    self.notes.append(f"团队按现有{before}人加新招{hires}人，共{row['count']}人计")
            row["new_hires"] = hires
        if count is None:
            self.values["team"] = [row]  # more detail on the team already described: no "覆盖" note
        else:
            self.put("team", [row])
        return s

    def _amounts(self, s: str, past: bool, correction: bool, period_state: str) -> str:
        for m in list(pat.AMOUNT_RE.finditer(s)):
            bare = m.group("num") is not None and not m.group("unit")
            if bare:
                # a bare number is an amount only right after an amount key ("预算150"), never a count or a year
                before = re.search(r"(?:" + pat.AMOUNT_KEY_RE.pattern + r")(?:是|为|要|约|大约|大概|:|在|\s)*$",
                                   s[max(0, m.start() - 16):m.start()])
                if not before or re.match(r"\s*[%天个月年日周名位人家户次倍成号]", s[m.end():]):
                    continue
            token = m.group(0).lstrip("¥￥")
            try:
                if m.group("cn"):
                    value = amount_of(token, self.unit)
                else:
                    one = lambda n, bare=bare, m=m: float(n) if bare else amount_of(n + m.group("unit"), self.unit)  # noqa: E731
                    value = (one(m.group("lo")) + one(m.group("num"))) / 2 if m.group("lo") else one(m.group("num"))
            except (ValueError, KeyError):
                continue
            if bare and not self.bare_unit_noted:
                self.notes.append(f"「{token}」没有写单位，按{self.unit}理解")
                self.bare_unit_noted = True
            field = self._amount_field(s, m, past, correction, period_state)
            s = self._mask(s, m)
            if field is None:
                self.notes.append(f"没看出「{token}」指哪项金额，未采用；可以说「目标{token}」或「预算{token}」")
                continue
            if field == "negated":
                continue
            if field == "skip":
                self.notes.append(f"「{token}」看起来是分期或分项目标，未当作总目标")
                continue
            if m.group("lo"):
                self.notes.append(f"{_label(field)}说的是区间「{token}」，按中值{show(field, _num(value), self.unit)}计")
            elif m.group("more"):
                self.notes.append(f"「{token}」按{show(field, _num(value), self.unit)}计（实际略高）")
            self.put(field, _num(round(value, 4)))
            self.last_amount_field = field
        return s

    def _amount_field(self, s: str, m: re.Match, past: bool, correction: bool, period_state: str) -> str | None:
        keys = list(pat.AMOUNT_KEY_RE.finditer(s, max(0, m.start() - KEY_REACH), m.start()))
        key = keys[-1] if keys else pat.AMOUNT_KEY_RE.search(s, m.end(), m.end() + KEY_REACH)
        field = key.lastgroup if key else None
        if s[:m.start()].rstrip(MASK).endswith("不是"):
            self.negated_field = field or self.last_amount_field
            return "negated"
        if field in (None, "revenue_target") and (period_state == "inner" or pat.BREAKDOWN.search(s)):
            return "skip"
        if field is None:
            if self.negated_field and s.lstrip(MASK).startswith("是") or correction and self.last_amount_field:
                return self.negated_field or self.last_amount_field
            if period_state == "set" and not past:
                return "revenue_target"
            if past:
                return "baseline_revenue"
            return None
        if past and field == "revenue_target" and period_state != "set":
            return "baseline_revenue"
        return field

    def _region(self, s: str) -> str:
        names = [m.group(0) for m in pat.PLACE_RE.finditer(s)]
        key = pat.REGION_KEY_RE.search(s) if not names else None
        if key:  # "区域改成西部大区": the name after the key, not a known place
            names = [re.sub(r"(?:大区|片区|区域)$", "", key.group(1)) or key.group(1)]
        if not names:
            m = pat.NAMED_AREA_RE.search(s)
            if m and m.group(1) not in pat.AREA_STOP and not any(w in m.group(1) for w in pat.AREA_STOP):
                names = [m.group(1)]
        if names:
            self.put("region", "、".join(dict.fromkeys(names)))
            s = pat.PLACE_RE.sub(lambda m: MASK * len(m.group(0)), s)
        return s

    def _product(self, s: str) -> None:
        for field, patterns in (("industry", pat.INDUSTRY_RES), ("product", pat.PRODUCT_RES)):
            for rx in patterns:
                m = rx.search(s)
                if m and not re.search(r"计划|方案|目标|销售额|市场|多少", m.group(1)):
                    self.put(field, m.group(1).strip(":"))
                    s = self._mask(s, m)
                    break

    def _unknown(self, s: str) -> bool:
        """'预算还没定', '不清楚竞争对手有哪些': remember the field as not known yet (True: the clause is read)."""
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
        target, base = self.current("revenue_target"), self.current("baseline_revenue")
        g = self.extra.get("_growth")
        if g is not None and "revenue_target" not in self.values and base:
            self.put("revenue_target", _num(round(base * (1 + g), 2)))
            self.notes.append(f"销售额目标按去年{show('baseline_revenue', base, unit)}增长{format_rate(g)}算得"
                              f"{show('revenue_target', self.values['revenue_target'], unit)}")
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


def _clauses(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # 1,200万 -> 1200万
    return [c.strip() for c in re.split(r"[。!?;\n,]+", text) if c.strip()]


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
        if old not in (None, "", []) and old != value:
            notes.append(f"新说的{_label(field)}（{show(field, value, unit)}）替换了之前的 {show(field, old, unit)}")
        merged[field] = value
    return merged, notes


def missing_fields(fields: dict[str, Any]) -> list[str]:
    return [f for f in REQUIRED_FIELDS if fields.get(f) in (None, "", [])]


def extract_fields(text: str, previous: dict[str, Any] | None = None, today: date | None = None,
                   unknown: list[str] | None = None) -> IntakeResult:
    """Read one message; merge onto `previous` (the fields gathered so far in this conversation). `unknown`: the
    previous result's `unknown` (fields the user does not know yet), carried forward until a value is given."""
    previous = dict(previous or {})
    notes: list[str] = []
    if not isinstance(text, str) or not text.strip():
        return IntakeResult(fields=previous, missing=missing_fields(previous), unknown=list(unknown or []),
                            notes=["没有收到内容，请用一两句话描述公司、区域、计划周期和销售目标"])
    if len(text) > MAX_CHARS:
        notes.append(f"内容过长（共{len(text):,}字），只读取了前{MAX_CHARS:,}字；建议只贴关键信息")
        text = text[:MAX_CHARS]
    reader = _Reader(previous, today or date.today())
    for clause in _clauses(text):
        reader.read(clause)
    reader.derive()
    merged, merge_notes = merge_fields(previous, reader.values, reader.additive)
    notes += reader.notes + merge_notes
    if not reader.values and not reader.notes:
        notes.append("这段话里没有识别出计划信息（公司、区域、周期、目标金额等）")
    still_unknown = [f for f in dict.fromkeys([*(unknown or []), *reader.unknown]) if merged.get(f) in (None, "", [])]
    return IntakeResult(fields=merged, missing=missing_fields(merged), notes=list(dict.fromkeys(notes)),
                        unknown=still_unknown)


def next_questions(fields: dict[str, Any], k: int = 2, unknown: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Chinese follow-up questions for the most important facts still missing, at most k. Facts the user said
    are not known yet (`unknown`) are not asked again."""
    asked = [q for keys, q in QUESTIONS
             if all(fields.get(f) in (None, "", []) for f in keys) and not any(f in unknown for f in keys)]
    return asked[:max(0, k)]
