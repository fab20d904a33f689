"""Reading the plan period: years and their parts (明年Q3, 2027年H2, 上半年), parts said without a year (the next one
that has not started, with the assumption stated), durations said as the period (半年卖800万: six months from next
month), 今年剩下的时间 (today to the year end). Milestones (新品明年3月上市) and history (去年, 今年做了) are not the
plan period.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING

from ..quantities import months_between, parse_duration, parse_period
from . import patterns as pat
from .text import Clause

if TYPE_CHECKING:
    from .rule_reader import Reader


def _next_month(today: date) -> date:
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def _months_after(start: date, n: int) -> date:
    y, m = divmod(start.month - 1 + n, 12)
    end = date(start.year + y, m + 1, 1) - timedelta(days=1)
    return end


def _upcoming(bare: str, today: date) -> tuple[str, str]:
    """A part of a year said without the year: the next one that has not started yet."""
    for y in (today.year, today.year + 1):
        try:
            start, _, _ = parse_period(f"{y}年{bare}".replace("到", "至"), today)
        except ValueError:
            continue
        if start >= today:
            return f"{y}年{bare}", "「{said}」没有说年份，按即将到来的{label}理解，如不对请说明"
    y = today.year + 1
    return f"{y}年{bare}", "「{said}」没有说年份，按{label}理解，如不对请说明"


def read_period(r: Reader, c: Clause, past: bool, correction: bool) -> str:
    """Returns the state: 'set' (this clause set the plan period), 'inner' (a part inside it) or ''."""
    if pat.MILESTONE_RE.search(c.text) and re.search(r"\d{1,2}月|[Qq][1-4]", c.text) \
            and not pat.AMOUNT_RE.search(re.sub(r"\d{1,2}月|[Qq][1-4]|\d{4}年", "", c.text)):
        c.keep = True  # "新品明年3月上市": a milestone, kept as a note
        return ""
    today = r.today
    rest = pat.REST_OF_YEAR_RE.search(c.text)
    if rest:
        end = date(today.year, 12, 31)
        c.mask_match(rest)
        return _set(r, today, end, f"{today.year}年{today.month}月{today.day}日至{end.year}年12月31日",
                    f"「{rest.group(0)}」按今天（{today.month}月{today.day}日）到{today.year}年底理解", correction)
    start_said = START_RE.search(c.text)
    if start_said:  # "明年3月开始（做到年底）": from that month to the year end, or to the month said
        return _from_month(r, c, start_said, correction)
    m = pat.PERIOD_RE.search(c.text)
    if m:
        return _year_or_part(r, c, m, past, correction)
    span = pat.SPAN_RE.search(c.text)
    if span and pat.AMOUNT_RE.search(c.text[span.end():]) and re.search(r"[万亿]", c.text[span.end():]):
        days = parse_duration(span.group("n").replace("一季度", "一个季度"))
        months = max(1, round(days / 30))
        start = _next_month(today)
        end = _months_after(start, months)
        c.mask_match(span)
        said = f"{start.year}年{start.month}月至{end.year}年{end.month}月"
        label = parse_period(said, today)[2]
        return _set(r, start, end, label, f"「{span.group('n')}」按从下个月起的{months}个月（{said}）理解，如不对请说明",
                    correction)
    return ""


START_RE = re.compile(r"(?P<y>今年|明年|后年|\d{4}\s*年)?\s*(?P<m>\d{1,2})\s*月份?(?:开始|起|起步)"
                      r"(?:[^\d]{0,6}?(?:到|至)\s*(?P<e>\d{1,2})\s*月)?")


def _from_month(r: Reader, c: Clause, m: re.Match, correction: bool) -> str:
    today = r.today
    said_year = m.group("y")
    year = int(parse_period(said_year.replace(" ", ""), today)[0].year) if said_year else today.year
    month = int(m.group("m"))
    if not said_year and date(year, month, 1) < today.replace(day=1):
        year += 1
    end_month = int(m.group("e")) if m.group("e") else 12
    c.mask_match(m)
    try:
        start, end, label = parse_period(f"{year}年{month}月至{year}年{end_month}月", today)
    except ValueError:
        return ""
    note = None if m.group("e") else f"「{m.group(0)}」按到{year}年底理解，如不对请说明结束月份"
    return _set(r, start, end, label, note, correction)


def _year_or_part(r: Reader, c: Clause, m: re.Match, past: bool, correction: bool) -> str:
    c.mask_match(m)
    today = r.today
    note = None
    if m.group("bare"):
        if past:
            return ""  # "上半年做了600万": a part of the year gone by, history
        if r.current("period") and not correction:
            return "inner"
        text, note = _upcoming(pat.quarter_months(m.group("bare")), today)
    else:
        y = m.group("y").replace(" ", "").replace("下一年", "明年").replace("下年", "明年")
        sub = (m.group("sub") or "").replace("份", "")
        text = y + pat.quarter_months(sub)
        if not sub:
            text += "全年" if text.endswith("年") else ""
    try:
        start, end, label = parse_period(text.replace("到", "至"), today)
    except ValueError:
        return ""
    if end < today.replace(day=1) or (past or r.history_this_year(c)) and start <= today:
        return ""  # history ("2025年做了900万", "今年做了3000万"), not the plan period
    if r.period_range and not correction:
        a, b = r.period_range
        if a <= start and end <= b and (start, end) != (a, b):
            return "inner"
    if m.group("sub") and re.fullmatch(r"\d{1,2}月", (m.group("sub") or "").replace("份", "")) and r.current("period"):
        return "inner"  # "2027年3月底前" is a milestone, not the plan period
    return _set(r, start, end, label, note.format(said=m.group(0), label=label) if note else None, correction)


def _set(r: Reader, start: date, end: date, label: str, note: str | None, correction: bool) -> str:
    if note:
        r.notes.append(note)
    r.period_range = (start, end)
    r.put("period", label)
    return "set"


def period_months(label: str | None, today: date) -> int | None:
    if not label:
        return None
    try:
        start, end, _ = parse_period(label, today)
    except ValueError:
        return None
    return len(months_between(start, end))
