"""Reading figures out of a clause: rates (转化率5%, 三成, 两成半), cycle durations (两个月, 一个季度), amounts read
against the field they belong to (客单价8000 in a 万元 plan is 8000元; 月费 is ×12; 每月预算 × the period's months),
and a budget split said as a list (预算：市场推广40%，学术会议30%…，总共500万).

All numbers go through the one parser (assistant.quantities) and the one set of bounds (request.check_field):
a value outside them is refused with the field's name and never stored.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..quantities import format_rate, parse_amount, parse_duration, parse_rate
from ..request import FIELD_LABELS
from . import patterns as pat
from .lexicon import lexicon
from .text import MASK, Clause

if TYPE_CHECKING:
    from .rule_reader import Reader

KEY_REACH = 40  # an amount's key ("目标", "预算") is looked for this many characters around it
SPLIT_START_RE = re.compile(r"^(?:预算|费用)(?:分配|构成|结构|里|中)?\s*[:：]\s*")
SPLIT_ITEM_RE = re.compile(r"^\s*([\u4e00-\u9fa5A-Za-z]{2,10}?)\s*(?:占|是)?\s*(\d+(?:\.\d+)?)\s*%\s*$")
FROM_TO_RE = re.compile(r"从\s*(?P<a>\d+(?:\.\d+)?)\s*(?P<au>万|亿)?\s*(?:做到|做|增长到|涨到|提升到|到)\s*"
                        r"(?P<b>\d+(?:\.\d+)?)\s*(?P<bu>万|亿)")
PER_DEAL_TAIL = re.compile(r"^\s*(?:一家|每家|一个客户|每个客户|一个|一单|每单|一位)")
DELTA_RE = re.compile(r"(?:(?P<up>再加|增加|追加|多加|再多|多给|再给|加)|(?P<down>减少|砍掉|削减|再减|减掉|降低|下调|少))\s*$")
NOUN_AFTER = re.compile(r"^[^\d]{0,2}?(回款|预算|费用)")


def _label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


# ---------------------------------------------------------------- rates


def _rate_value(m: re.Match) -> tuple[float, str | None]:
    """(value, note) of a RATE_RE match; a range is read as its midpoint with a note."""
    if m.group("double"):
        return 1.0, None
    if m.group("pct"):
        value = float(m.group("pct")) / 100
        if m.group("sign"):
            value = -value
        if m.group("lo"):
            lo = float(m.group("lo")) / 100
            return round((lo + value) / 2, 6), f"说的是区间「{m.group(0)}」，按中值{format_rate((lo + value) / 2)}计"
        return value, None
    if m.group("cnpct"):
        return parse_rate(f"百分之{m.group('cnpct')}"), None
    return parse_rate(f"{m.group('tenths')}成{'半' if m.group('half') else ''}"), None


def read_rates(r: Reader, c: Clause) -> None:
    s = c.text
    for m in list(pat.RATIO_RE.finditer(s)):  # "ROI 1:3" is neither a rate nor an amount
        c.mask_match(m)
        c.keep = True
    for m in list(pat.RATE_RE.finditer(c.text)):
        value, note = _rate_value(m)
        before = c.text[max(0, m.start() - 16):m.start()]
        stage = pat.STAGE_RE.search(before.replace(MASK, ""))
        named = list(pat.STAGE_RATE_RE.finditer(before))
        keys = list(pat.RATE_KEY_RE.finditer(c.text, max(0, m.start() - KEY_REACH), m.start()))
        key = keys[-1] if keys else pat.RATE_KEY_RE.search(c.text, m.end(), m.end() + 6)
        if m.group("double"):
            r.extra["_growth"] = 1.0
            r.growth_words = m.group(0)
        elif named:
            r.stage(pat.STAGE_RATE_NAMES[named[-1].group(0)], value)
        elif stage and ("转化" in before or r.stage_context) and (not key or key.lastgroup == "_conversion"):
            r.stage(f"{stage.group(1)}→{stage.group(2)}", value)
        elif key is None:
            continue  # a share without a key (医院占七成): left for the note
        elif key.lastgroup == "_conversion" and r.current("win_rate"):
            r.notes.append(f"「{key.group(0)}{m.group(0)}」没有说是哪一步的转化，赢单率已按{format_rate(r.current('win_rate'))}"
                           "记录，这个转化率记入备注")
            c.keep = True
            continue
        elif key.lastgroup == "_conversion":
            r.notes.append(f"「{key.group(0)}{m.group(0)}」没有说是哪一步的转化，按赢单率（商机→成交）理解；"
                           "如果指线索→成交，请说「线索到成交的转化率…」")
            r.uncertain.add("win_rate")
            r.rate("win_rate", value, m.group(0))
        elif key.lastgroup.startswith("_"):
            r.extra[key.lastgroup] = value
            if key.lastgroup == "_growth":
                r.growth_words = f"{key.group(0)}{m.group(0)}"
        else:
            r.rate(key.lastgroup, value, m.group(0))
        if note and key is not None and not key.lastgroup.startswith("_"):
            r.notes.append(f"{_label(key.lastgroup)}{note}")
        c.mask_match(m)
        if key is not None:
            c.mask(key.start(), key.end())


# ---------------------------------------------------------------- durations


def read_cycle(r: Reader, c: Clause) -> None:
    m = pat.CYCLE_RE.search(c.text)
    if not m:
        return
    token = m.group("d") or m.group("d2") or m.group("d3")
    try:
        days = parse_duration(token)
    except ValueError:
        return
    problem = r.bound("sales_cycle_days", days, token)
    if problem is None:
        r.put("sales_cycle_days", days)
    c.mask_match(m)


# ---------------------------------------------------------------- budget split


def read_budget_split(r: Reader, c: Clause) -> bool:
    """'预算：市场推广40%，学术会议30%…': rows of a split (True when the clause was one)."""
    text = c.text
    start = SPLIT_START_RE.match(text)
    if start:
        r.split_rows, r.list_field = [], "budget_total"
        text = text[start.end():]
    elif r.list_field != "budget_total" or r.split_rows is None:
        return False
    m = SPLIT_ITEM_RE.match(text)
    if not m:
        return False
    r.split_rows.append({"item": m.group(1), "share": float(m.group(2)) / 100})
    c.mask(0, len(c.text))
    return True


def finish_budget_split(r: Reader) -> None:
    rows = r.split_rows or []
    if not rows:
        return
    total = sum(row["share"] for row in rows)
    if abs(total - 1) <= 0.005:
        r.put("budget_split", rows)
    else:
        r.notes.append(f"预算分配各项合计为{format_rate(total)}，不是100%，未采用；请补全或调整各项占比")
        r.kept.append("预算分配：" + "，".join(f"{row['item']}{format_rate(row['share'])}" for row in rows))


# ---------------------------------------------------------------- amounts


def _key_before(r: Reader, s: str, start: int) -> str | None:
    """The field named before position `start`: the nearest noun key, or a verb key (做到, 冲) that stands for the
    target unless a noun key right before it (no amount in between) names another field."""
    keys = list(pat.AMOUNT_KEY_RE.finditer(s, max(0, start - KEY_REACH), start))
    if not keys:
        return None
    nearest = keys[-1]
    if nearest.lastgroup != "verb":
        return nearest.lastgroup
    for key in reversed(keys[:-1]):
        if key.lastgroup != "verb" and not any(key.end() <= a < nearest.start() for a in r.amount_starts):
            return key.lastgroup
    return "verb"


def amount_field(r: Reader, c: Clause, m: re.Match, past: bool, correction: bool, period_state: str) -> str | None:
    s = c.text
    if pat.PER_UNIT_RE.search(s[:m.start()]):
        return "per_unit"
    field = _key_before(r, s, m.start())
    after = NOUN_AFTER.match(s[m.end():])
    if field in (None, "verb") and after:  # "冲300万回款"
        field = {"回款": "collection_target"}.get(after.group(1), "budget_total")
    if field == "verb":
        verb = list(pat.AMOUNT_KEY_RE.finditer(s, max(0, m.start() - KEY_REACH), m.start()))[-1].group(0)
        total = verb in ("合计", "总共", "一共")
        field = (r.list_field or r.last_key_field or "revenue_target") if total else "revenue_target"
    if s[:m.start()].rstrip(MASK + " ").endswith("不是"):
        r.negated_field = field or r.last_amount_field
        return "negated"
    if field is None and r.carried_key:
        return r.carried_key
    if field is None:
        if r.negated_field and s.lstrip(MASK + " ").startswith("是") or correction:
            return r.negated_field or r.last_amount_field or r.closest_amount_field(m)
        if period_state == "set" and not past or c.tags & {"place"} and not past:
            return "revenue_target"
        if past:
            return "baseline_revenue"
        return None
    if field == "revenue_target" and (period_state == "inner" or pat.BREAKDOWN.search(s)):
        return "skip"
    if past and field == "revenue_target" and period_state != "set":
        return "baseline_revenue"
    return field


def _value(r: Reader, c: Clause, m: re.Match, field: str, bare: bool) -> float:
    unit = r.unit
    if m.group("cn"):
        return parse_amount(m.group("cn"), unit)
    if bare:
        number = float(m.group("num"))
        if field == "avg_deal_size" and unit == "万元" and number >= 100:  # 客单价8000 in a 万元 plan: 8000元
            r.notes.append(f"平均客单价「{m.group('num')}」没有写单位，按{m.group('num')}元（{number / 10000:g}万元）理解")
            return number / 10000
        r.notes.append(f"「{m.group('num')}」没有写单位，按{unit}理解")
        return number
    one = lambda n, u: parse_amount(n + (u or m.group("unit")), unit)  # noqa: E731
    value = one(m.group("num"), m.group("unit"))
    if m.group("sign"):
        value = -value
    if m.group("lo"):
        value = (one(m.group("lo"), m.group("lo_unit")) + value) / 2
    return value


def read_amounts(r: Reader, c: Clause, past: bool, correction: bool, period_state: str) -> None:
    f = FROM_TO_RE.search(c.text)
    if f:  # "从0做到300万": a baseline and a target
        r.put("baseline_revenue", r.num(parse_amount(f.group("a") + (f.group("au") or f.group("bu")), r.unit)))
        c.mask(f.start(), f.start("b"))
    for m in list(pat.AMOUNT_RE.finditer(c.text)):
        bare = m.group("num") is not None and not m.group("unit")
        if bare:
            # a bare number is an amount only right after an amount key ("预算150"), never a count or a year
            key = re.search(r"(?:" + pat.AMOUNT_KEY_RE.pattern + r")(?:是|为|要|约|大约|大概|其实是|:|在|\s)*$",
                            c.text[max(0, m.start() - 16):m.start()])
            if not key or key.lastgroup == "verb" or re.match(r"\s*[%天个月年日周名位人家户次倍成号台套单:]",
                                                             c.text[m.end():]):
                continue
        token = m.group(0).lstrip("¥￥")
        field = amount_field(r, c, m, past, correction, period_state)
        r.amount_starts.append(m.start())
        c.mask_match(m)
        tail = PER_DEAL_TAIL.match(c.text[m.end():])
        if tail:
            c.mask(m.end(), m.end() + tail.end())
        if field == "per_unit" or r.is_part_line(c):
            c.keep = True
            continue
        if field is None and pat.BREAKDOWN.search(c.text):
            field = "skip"
        if field is None:
            r.notes.append(f"没看出「{token}」指哪项金额，未采用；可以说「目标{token}」或「预算{token}」")
            continue
        if field == "negated":
            continue
        if field == "skip":
            c.keep = True
            r.notes.append(f"「{token}」看起来是分期或分项目标，未当作总目标，已记入备注")
            continue
        try:
            value = _value(r, c, m, field, bare)
        except (ValueError, KeyError):
            continue
        monthly = pat.MONTHLY_RE.search(c.text[:m.start()])
        if monthly and field == "avg_deal_size":
            r.notes.append(f"「{token}」是月费，平均客单价按年计：{r.num(value * 12)}{r.unit.removesuffix('元')}")
            value *= 12
        elif monthly and field in ("budget_total", "revenue_target"):
            months = r.period_months() or 12
            r.notes.append(f"{_label(field)}说的是「每月{token}」，按{months}个月计为{r.num(value * months)}"
                           f"{r.unit.removesuffix('元')}")
            value *= months
        current = r.current(field)
        delta = DELTA_RE.search(c.text[:m.start()].replace(MASK, ""))
        if delta and isinstance(current, (int, float)):  # "预算再加50万": on top of what was said before
            sign = -1 if delta.group("down") else 1
            r.notes.append(f"{_label(field)}{delta.group(0).strip()}{token}：{r.num(current)} → {r.num(current + sign * value)}"
                           f"{r.unit.removesuffix('元')}")
            value = current + sign * value
        if m.group("lo"):
            r.notes.append(f"{_label(field)}说的是区间「{token}」，按中值{r.num(value)}{r.unit.removesuffix('元')}计")
        elif m.group("more"):
            r.notes.append(f"「{token}」按{r.num(value)}{r.unit.removesuffix('元')}计（实际略高）")
        if r.bound(field, value, token) is None:
            r.put(field, r.num(round(value, 4)))
            r.last_amount_field = field


def channel_breakdown(r: Reader, c: Clause) -> bool:
    """'其中工程4000万，零售2000万': a channel's share of the target, kept as a note with the channel listed."""
    if not (pat.BREAKDOWN.search(c.text) or r.in_breakdown):
        return False
    m = re.match(rf"^(?:其中)?\s*({lexicon().channel_re.pattern})\s*(?:\d|[{pat.CN_NUM}])", c.text)
    if not m:
        return False
    r.in_breakdown = True
    r.put("channels", [m.group(1)], additive=True)
    c.mask(0, len(c.text))
    c.keep = True
    return True
