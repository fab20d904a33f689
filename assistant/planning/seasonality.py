"""Seasonality said in words -> monthly weights that honour exactly what was said.

`parse_seasonality("暑期旺季，7-9月约占全年35%，其他月份平均分", year=2027)` reads the sentence into statements
(a share of the year or of the period for some months; months that are peak / low / the heaviest; "the rest equal"),
and `season_weights(...)` turns statements plus the playbook's curve into one weight per plan month. Shares are met
exactly; peak/low statements reshape the curve only as far as needed; what is left comes from the playbook curve
(or is equal when the user said so). Pure functions; used by the numbers engine and by chat revisions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from ..quantities import cn_to_number

# Lunar New Year's day (春节) by year; outside this table the festival month is taken as February.
SPRING_FESTIVAL: dict[int, date] = {
    2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 6),
    2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3), 2031: date(2031, 1, 23),
    2032: date(2032, 2, 11), 2033: date(2033, 1, 31), 2034: date(2034, 2, 19), 2035: date(2035, 2, 8),
}

Kind = Literal["share", "peak", "low", "max", "min"]


@dataclass(frozen=True)
class Statement:
    """One thing the user said about some months."""

    months: tuple[int, ...]  # calendar months 1..12
    kind: Kind
    text: str  # the clause it came from
    share: float | None = None  # for kind == "share"
    basis: tuple[int, ...] | None = None  # share of these months (上半年…); None = of the whole year
    of_period: bool = False  # share of the plan period (这段时间, 本季度…) rather than of the year

    def describe(self) -> str:
        span = month_span(self.months)
        if self.kind == "share":
            of = "计划期" if self.of_period else "全年" if self.basis is None else month_span(self.basis)
            return f"{span}合计占{of}{self.share:.0%}"
        return {"peak": f"{span}为旺季", "low": f"{span}为淡季", "max": f"{span}业绩最重",
                "min": f"{span}业绩最轻"}[self.kind]


@dataclass
class SeasonalityText:
    text: str
    statements: list[Statement] = field(default_factory=list)
    rest: Literal["curve", "equal"] = "curve"
    flat: bool = False  # "各月差不多": every month equal
    unread: list[str] = field(default_factory=list)  # clauses with a season word we could not turn into numbers
    problems: list[str] = field(default_factory=list)  # contradictions (shares over 100% ...)

    @property
    def understood(self) -> bool:
        return bool(self.statements) or self.flat


def spring_festival(year: int) -> date:
    return SPRING_FESTIVAL.get(year, date(year, 2, 10))


def month_span(months: tuple[int, ...] | list[int]) -> str:
    ms = sorted(set(months))
    if len(ms) > 2 and ms == list(range(ms[0], ms[-1] + 1)):
        return f"{ms[0]}-{ms[-1]}月"
    return "、".join(f"{m}月" for m in ms)


# ---------------------------------------------------------------- reading

_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
           "十一": 11, "十二": 12, "零": 0}
_FULLWIDTH = str.maketrans("０１２３４５６７８９％～－，；：（）", "0123456789%~-,;:()")


def _cn_int(s: str) -> int | None:
    if s.isdigit():
        return int(s)
    try:
        return int(cn_to_number(s))
    except ValueError:
        return None


_N = r"(?:\d{1,2}|十[一二]?|[一二三四五六七八九])"
_RANGE = re.compile(rf"({_N})\s*月?\s*(?:-|~|—|–|到|至)\s*({_N})\s*月(?:份)?")
_SINGLE = re.compile(rf"({_N})\s*月(?:份)?")
_QUARTER = re.compile(r"(?:Q|q)\s*([1-4])|第?([一二三四1-4])\s*季度")
_PCT = re.compile(r"(\d+(?:\.\d+)?)\s*%|百分之([一二三四五六七八九十]+)")
_CHENG = re.compile(r"([一二两三四五六七八九])\s*成\s*(半)?")
_FRACTION = re.compile(r"([一二三四五六七八九十])\s*分之\s*([一二三四五六七八九])")

# named periods -> calendar months; "春节" entries are resolved against the year
_NAMED: list[tuple[str, tuple[int, ...] | str]] = [
    ("寒暑假", (1, 2, 7, 8)), ("下半年后段", (10, 11, 12)), ("下半年后期", (10, 11, 12)),
    ("春节前", "sf_pre"), ("节前", "sf_pre"), ("年前", "sf_pre"), ("春节后", "sf_post"), ("节后", "sf_post"),
    ("春节", "sf"), ("过年", "sf"), ("年货", "sf_pre"),
    ("金三银四", (3, 4)), ("金九银十", (9, 10)), ("双十一", (11,)), ("双11", (11,)), ("618", (6,)),
    ("汇算清缴", (3, 4, 5)), ("暑期", (7, 8)), ("暑假", (7, 8)), ("寒假", (1, 2)), ("开学季", (3, 9)),
    ("国庆", (10,)), ("十一黄金周", (10,)), ("五一", (5,)), ("中秋", (9,)), ("元旦", (1,)),
    ("上半年", tuple(range(1, 7))), ("下半年", tuple(range(7, 13))), ("年中", (6, 7)),
    ("年底", (11, 12)), ("年末", (11, 12)), ("岁末", (12,)), ("年初", (1, 2)), ("开年", (2, 3)),
    ("夏天", (6, 7, 8)), ("夏季", (6, 7, 8)), ("冬天", (12, 1, 2)), ("冬季", (12, 1, 2)),
    ("春天", (3, 4, 5)), ("春季", (3, 4, 5)), ("秋天", (9, 10, 11)), ("秋季", (9, 10, 11)),
    ("高温", (7, 8)),
]
_PEAK = ("旺季", "高峰", "最忙", "忙", "集中", "冲刺", "冲量", "旺", "火爆", "爆发", "多", "好卖", "抢装", "备货",
         "大促", "金九银十", "金三银四", "双11", "双十一", "618", "年货")
_LOW = ("淡季", "低谷", "淡", "少", "停工", "放假", "清淡", "差", "冷清", "低迷", "不好卖")
_MAX = ("最重", "最高", "最多", "最大", "最旺", "最忙", "全年最好")
_MIN = ("最低", "最少", "最淡", "最差", "最轻")
_REST_EQUAL = re.compile(r"(其他|其余|剩下|剩余)(的)?(月份?|时间)?.{0,4}(平均|平分|均分|差不多|一样)")
_REST_CURVE = re.compile(r"(其他|其余|剩下|剩余).{0,6}(按行业|按曲线|按往年|正常)")
_FLAT = re.compile(r"(各月|每个?月|全年).{0,4}(差不多|平均|均匀|平稳|持平)|没有(明显的?)?(淡旺季|季节性)|比较平均|比较均匀")
_EACH = re.compile(r"各占|每月各?占|各约占|分别占")
_SPLIT = re.compile(r"[,;。；，\n]+|(?:但是|但|而且|并且|同时)")


def _share_of(clause: str) -> list[tuple[int, float]]:
    """(position, fraction) of every share written in the clause."""
    out: list[tuple[int, float]] = []
    for m in _PCT.finditer(clause):
        v = float(m.group(1)) / 100 if m.group(1) else (_cn_int(m.group(2)) or 0) / 100
        out.append((m.start(), v))
    for m in _CHENG.finditer(clause):
        out.append((m.start(), _CN_NUM[m.group(1)] / 10 + (0.05 if m.group(2) else 0)))
    for m in _FRACTION.finditer(clause):
        out.append((m.start(), _CN_NUM[m.group(2)] / (_cn_int(m.group(1)) or 1)))
    if "一半" in clause:
        out.append((clause.index("一半"), 0.5))
    return sorted(out)


def _festival_months(tag: str, year: int) -> tuple[int, ...]:
    sf = spring_festival(year)
    if tag == "sf_pre":
        return ((sf - timedelta(days=21)).month,)
    if tag == "sf_post":
        return ((sf + timedelta(days=14)).month,)
    return ((sf + timedelta(days=3)).month,)


def _month_refs(clause: str, year: int) -> list[tuple[int, tuple[int, ...], str]]:
    """(position, months, matched text) of every month reference in the clause, left to right, no overlaps."""
    refs: list[tuple[int, int, tuple[int, ...], str]] = []
    taken = [False] * (len(clause) + 1)

    def add(start: int, end: int, months: tuple[int, ...]) -> None:
        if any(taken[start:end]) or not months or any(not 1 <= m <= 12 for m in months):
            return
        for i in range(start, end):
            taken[i] = True
        refs.append((start, end, months, clause[start:end]))

    for m in _RANGE.finditer(clause):
        a, b = _cn_int(m.group(1)), _cn_int(m.group(2))
        if a and b:
            add(m.start(), m.end(), tuple(range(a, b + 1)) if a <= b else tuple(list(range(a, 13)) + list(range(1, b + 1))))
    # lists like 7、8、9月 / 7月和8月: take the run as one reference
    for m in re.finditer(rf"(?:{_N}\s*月?\s*(?:、|和|及|与)\s*)+{_N}\s*月(?:份)?", clause):
        nums = [_cn_int(x) for x in re.findall(_N, m.group(0))]
        add(m.start(), m.end(), tuple(n for n in nums if n))
    for m in _QUARTER.finditer(clause):
        q = _cn_int(m.group(1) or m.group(2))
        if q:
            add(m.start(), m.end(), tuple(range(3 * q - 2, 3 * q + 1)))
    for m in _SINGLE.finditer(clause):
        n = _cn_int(m.group(1))
        if n:
            add(m.start(), m.end(), (n,))
    for word, months in _NAMED:
        for m in re.finditer(re.escape(word), clause):
            ms = _festival_months(months, year) if isinstance(months, str) else months
            add(m.start(), m.end(), ms)
    return [(s, ms, t) for s, _, ms, t in sorted(refs)]


def _quality(clause: str) -> Kind | None:
    negated = re.search(r"不(是|算)?(旺季|忙|多|好)", clause)
    if any(w in clause for w in _MAX) and not negated:
        return "max"
    if any(w in clause for w in _MIN):
        return "min"
    if negated:
        return "low"
    if any(w in clause for w in _LOW):
        return "low"
    if any(w in clause for w in _PEAK):
        return "peak"
    return None


_BASIS = re.compile(r"占(?:了)?(全年|一年|年度|上半年|下半年|这段时间|本期|期内|计划期|这个季度|本季度|季度)")


def parse_seasonality(text: str, year: int) -> SeasonalityText:
    """Read seasonality written in words. `year` resolves 春节 to the right month."""
    out = SeasonalityText(text=text)
    norm = re.sub(r"[ \u3000]+", " ", text.translate(_FULLWIDTH))
    if _REST_EQUAL.search(norm):
        out.rest = "equal"
    last_refs: list = []
    for clause in filter(None, (c.strip() for c in _SPLIT.split(norm))):
        if _REST_EQUAL.search(clause) or _REST_CURVE.search(clause):
            continue
        if _FLAT.search(clause) and not _share_of(clause):
            out.flat = True
            continue
        refs = _month_refs(clause, year)
        shares = _share_of(clause)
        basis_m = _BASIS.search(clause)
        basis: tuple[int, ...] | None = None
        # no basis word ("占35%") means a share of the plan period; 全年 names the calendar year
        of_period = not basis_m or basis_m.group(1) in ("这段时间", "本期", "期内", "计划期", "这个季度", "本季度",
                                                            "季度")
        if basis_m and basis_m.group(1) in ("上半年", "下半年"):
            basis = tuple(range(1, 7)) if basis_m.group(1) == "上半年" else tuple(range(7, 13))
        # a basis word ("占上半年") is not itself a reference to the months being described
        if basis_m:
            refs = [r for r in refs if not (basis_m.start() <= r[0] < basis_m.end())]
        if shares and not refs and last_refs:  # "3-5月最忙，约占上半年六成": the months carry over
            refs = last_refs
        if refs:
            last_refs = refs
        if shares and refs:
            each = bool(_EACH.search(clause))
            if len(shares) > 1 and len(shares) == len(refs):
                pairs = list(zip([r[1] for r in refs], [s for _, s in shares], strict=False))
            else:
                months = tuple(sorted({m for _, ms, _ in refs for m in ms}))
                pairs = [((m,), shares[0][1]) for m in months] if each else [(months, shares[0][1])]
            for months, share in pairs:
                out.statements.append(Statement(months=tuple(sorted(set(months))), kind="share", share=share,
                                                basis=basis, of_period=of_period, text=clause))
            continue
        kind = _quality(clause)
        if refs and kind:
            months = tuple(sorted({m for _, ms, _ in refs for m in ms}))
            out.statements.append(Statement(months=months, kind=kind, text=clause))
        elif refs or shares or kind:
            out.unread.append(clause)
    if not out.understood and not out.unread and norm.strip():
        out.unread.append(norm.strip())
    _check(out)
    return out


def _check(st: SeasonalityText) -> None:
    shares = [s for s in st.statements if s.kind == "share"]
    for group in ([s for s in shares if s.basis is None and not s.of_period], [s for s in shares if s.of_period]):
        total = sum(s.share or 0 for s in group if not _nested(s, group))
        if total > 1.0 + 1e-9:
            st.problems.append(f"各段占比合计{total:.0%}，超过100%")
    for a in shares:
        for b in shares:
            if a is not b and set(a.months) & set(b.months) and not (
                    set(a.months) <= set(b.months) or set(b.months) <= set(a.months)) and a.basis == b.basis:
                msg = f"「{a.describe()}」与「{b.describe()}」的月份部分重叠"
                if msg not in st.problems and f"「{b.describe()}」与「{a.describe()}」的月份部分重叠" not in st.problems:
                    st.problems.append(msg)


def _nested(s: Statement, shares: list[Statement]) -> bool:
    """True when s lies inside another share statement (its share is then part of the outer one)."""
    return any(o is not s and o.basis == s.basis and o.of_period == s.of_period and set(s.months) < set(o.months)
               for o in shares)


# ---------------------------------------------------------------- weights

Slot = tuple[int, int]  # (year, month)


def festival_curve(curve: list[float], year: int, month: int) -> float:
    """The playbook weight for one calendar month, moved for an early Spring Festival: when the festival falls in
    January, half of January's pre-festival lift happens in the December before."""
    w = curve[month - 1]
    lift = max(0.0, curve[0] - 1.0) / 2
    if month == 1 and spring_festival(year) <= date(year, 1, 31):
        return w - lift
    if month == 12 and spring_festival(year + 1) <= date(year + 1, 1, 31):
        return w + lift
    return w


def _reshape(base: dict[Slot, float], st: Statement) -> None:
    """Move the curve as little as needed so the qualitative statement holds."""
    inside = [k for k in base if k[1] in st.months]
    outside = [k for k in base if k[1] not in st.months]
    if not inside or not outside:
        return
    mean_in = sum(base[k] for k in inside) / len(inside)
    mean_out = sum(base[k] for k in outside) / len(outside)
    if mean_in <= 0 or mean_out <= 0:
        return
    if st.kind == "peak" and mean_in < 1.2 * mean_out:
        f = 1.2 * mean_out / mean_in
    elif st.kind == "low" and mean_in > 0.75 * mean_out:
        f = 0.75 * mean_out / mean_in
    elif st.kind == "max":
        top = max(base[k] for k in outside)
        low_in = min(base[k] for k in inside)
        f = 1.1 * top / low_in if low_in < 1.1 * top else 1.0
    elif st.kind == "min":
        bottom = min(base[k] for k in outside)
        high_in = max(base[k] for k in inside)
        f = 0.9 * bottom / high_in if high_in > 0.9 * bottom else 1.0
    else:
        return
    for k in inside:
        base[k] *= f


def _distribute(w: dict[Slot, float], keys: list[Slot], total: float, shape: dict[Slot, float]) -> None:
    s = sum(shape[k] for k in keys)
    for k in keys:
        w[k] = total * (shape[k] / s if s > 0 else 1 / len(keys))


def season_weights(slots: list[Slot], fractions: list[float], curve: Callable[[int, int], float],
                   said: SeasonalityText | None) -> list[float]:
    """One weight per plan month (summing to 1) from the curve and what was said.

    `fractions` are the share of each calendar month inside the plan period (partial months at the ends).
    Shares of the year are met exactly when the plan covers the calendar year; for a shorter plan the year is shaped
    first and the plan's months keep its proportions. Shares of the period (这段时间、本季度) and of 上半年/下半年
    are met exactly within the plan.
    """
    said = said or SeasonalityText(text="")
    year0 = slots[0][0]
    shares = [s for s in said.statements if s.kind == "share"]
    year_shares = [s for s in shares if s.basis is None and not s.of_period]
    half_shares = [s for s in shares if s.basis is not None and not s.of_period]
    period_shares = [s for s in shares if s.of_period]
    # 1) the calendar year, shaped by the curve and what was said about it
    base12 = {(year0, m): (1.0 if said.flat else curve(year0, m)) for m in range(1, 13)}
    for st in said.statements:
        if st.kind != "share":
            _reshape(base12, st)
    w12 = _apply_shares(base12, year_shares, said.rest if not period_shares else "curve")
    w12 = _apply_relative(w12, half_shares)
    # 2) the plan's months keep the year's proportions (festival shifts per actual year, partial months pro rata)
    w: dict[Slot, float] = {}
    for (y, m), f in zip(slots, fractions, strict=False):
        c0 = 1.0 if said.flat else curve(year0, m)
        shape = w12[(year0, m)] / c0 if c0 > 0 else 1.0
        w[(y, m)] = w.get((y, m), 0.0) + f * shape * (1.0 if said.flat else curve(y, m))
    # 3) shares of the plan period itself
    if period_shares:
        base = dict(w)
        if said.rest == "equal":
            base = {k: f for k, f in zip(slots, fractions, strict=False)}
        w = _apply_shares(base, period_shares, said.rest)
    return _normalised([w[k] for k in slots])


def _apply_shares(base: dict[Slot, float], shares: list[Statement], rest: str) -> dict[Slot, float]:
    w = dict(base)
    if not shares:
        if rest == "equal":
            return {k: 1.0 for k in w}
        return w
    total = sum(base.values())
    outer = [s for s in shares if not _nested(s, shares)]
    said_total = sum(s.share or 0 for s in outer)
    if said_total > 1:  # contradiction: scale down, the problem is reported separately
        outer = [Statement(s.months, "share", s.text, (s.share or 0) / said_total, s.basis, s.of_period)
                 for s in outer]
        said_total = 1.0
    covered: set[Slot] = set()
    for s in outer:
        keys = [k for k in w if k[1] in s.months and k not in covered]
        inner = [i for i in shares if i is not s and set(i.months) < set(s.months)]
        inner_keys: set[Slot] = set()
        inner_total = 0.0
        for i in inner:
            ik = [k for k in keys if k[1] in i.months and k not in inner_keys]
            _distribute(w, ik, total * (i.share or 0), base)
            inner_keys.update(ik)
            inner_total += i.share or 0
        rest_keys = [k for k in keys if k not in inner_keys]
        if rest_keys:
            _distribute(w, rest_keys, total * max(0.0, (s.share or 0) - inner_total), base)
        covered.update(keys)
    others = [k for k in w if k not in covered]
    if others:
        shape = {k: 1.0 for k in others} if rest == "equal" else base
        _distribute(w, others, total * (1 - said_total), shape)
    return w


def _apply_relative(w: dict[Slot, float], rel: list[Statement]) -> dict[Slot, float]:
    w = dict(w)
    for s in rel:
        b_keys = [k for k in w if k[1] in (s.basis or ())]
        s_keys = [k for k in b_keys if k[1] in s.months]
        o_keys = [k for k in b_keys if k not in s_keys]
        tb = sum(w[k] for k in b_keys)
        shape = dict(w)
        if s_keys:
            _distribute(w, s_keys, tb * (s.share or 0), shape)
        if o_keys:
            _distribute(w, o_keys, tb * (1 - (s.share or 0)), shape)
    return w


def _normalised(weights: list[float]) -> list[float]:
    total = sum(weights)
    return [x / total for x in weights] if total > 0 else [1 / len(weights)] * len(weights)
