"""Parsing what people write: amounts ("1200万", "1.2亿", "一千二百万"), rates ("65%", "0.65") and periods
("2027年Q2", "2027年3月-2027年8月", "明年上半年"). Pure functions; errors are ValueError with a Chinese message.
"""

from __future__ import annotations

import calendar
import math
import re
from datetime import date

UNIT_YUAN: dict[str, float] = {"元": 1.0, "千元": 1e3, "万元": 1e4, "百万元": 1e6, "千万元": 1e7, "亿元": 1e8}
_SUFFIX_YUAN: dict[str, float] = {
    "": 0.0,  # 0 = the request's own unit
    "元": 1.0, "块": 1.0, "千": 1e3, "k": 1e3, "万": 1e4, "w": 1e4, "百万": 1e6, "m": 1e6,
    "千万": 1e7, "亿": 1e8,
}
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "两": 2, "贰": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
              "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
_CN_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
CN_NUMBER_CHARS = "".join(_CN_DIGITS) + "".join(_CN_SMALL) + "".join(_CN_BIG) + "点"


def normalise_unit(unit: str) -> str:
    u = unit.strip().replace("人民币", "").lower()
    aliases = {"元": "元", "rmb": "元", "yuan": "元", "千元": "千元", "万": "万元", "万元": "万元",
               "百万": "百万元", "百万元": "百万元", "千万": "千万元", "千万元": "千万元", "亿": "亿元", "亿元": "亿元"}
    if u not in aliases:
        raise ValueError(f"不认识的金额单位「{unit}」，可用：元、千元、万元、百万元、千万元、亿元")
    return aliases[u]


def cn_to_number(text: str) -> float:
    """Chinese numerals to a number: 一千二百 -> 1200, 一亿二千万 -> 120000000, 三点五 -> 3.5, 三点五亿 -> 350000000,
    and the spoken shorthand 一亿二 -> 120000000, 一万二 -> 12000, 三千五 -> 3500."""
    text = text.strip()
    if "点" in text:
        scale = 1
        while text and text[-1] in _CN_BIG:  # 三点五亿: the fraction belongs to the last big unit
            scale *= _CN_BIG[text[-1]]
            text = text[:-1]
        whole, frac = text.split("点", 1)
        if any(c not in _CN_DIGITS for c in frac):
            raise ValueError(f"无法识别的中文数字「{text}」")
        digits = "".join(str(_CN_DIGITS[c]) for c in frac)
        return (cn_to_number(whole or "零") + (float("0." + digits) if digits else 0.0)) * scale
    if len(text) >= 3 and text[-1] in _CN_DIGITS and text[-2] in {**_CN_BIG, "千": 1000, "仟": 1000, "百": 100, "佰": 100}:
        unit = {**_CN_BIG, **_CN_SMALL}[text[-2]]  # 一亿二 = 一亿二千万: the last digit is one order below
        return cn_to_number(text[:-1]) + _CN_DIGITS[text[-1]] * unit / 10
    total, section, number = 0, 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            number = _CN_DIGITS[ch]
        elif ch in _CN_SMALL:
            section += (number or 1) * _CN_SMALL[ch]
            number = 0
        elif ch in _CN_BIG:
            section += number
            total = (total + section) * _CN_BIG[ch] if _CN_BIG[ch] > 10_000 else total + section * _CN_BIG[ch]
            section, number = 0, 0
        else:
            raise ValueError(f"无法识别的中文数字「{text}」")
    return float(total + section + number)


def finite(value: float, what: str = "数值") -> float:
    """The value itself, or ValueError when it is NaN or infinite (".inf", "NaN", "Infinity" in a request)."""
    if not math.isfinite(value):
        raise ValueError(f"{what}必须是有限的数字，收到「{value}」")
    return value


_AMOUNT_RE = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*(百万|千万|亿|万|千|k|w|m|元|块)?\s*(?:元|块)?(?:人民币)?$", re.I)
_NOT_FINITE = re.compile(r"^[+-]?(?:\.?inf(?:inity)?|nan)$", re.I)


def parse_amount(value: object, unit: str = "万元") -> float:
    """An amount in the request's currency unit. Bare numbers are taken as already in that unit. The sign is kept
    ("-200万" is -200: bounds, not the parser, decide what is allowed); NaN and infinities are refused."""
    if isinstance(value, bool):
        raise ValueError("应为金额，例如 1200 或「1200万」")
    if isinstance(value, (int, float)):
        return finite(float(value), "金额")
    if not isinstance(value, str) or not value.strip():
        raise ValueError("应为金额，例如 1200 或「1200万」")
    text = value.strip().replace(",", "").replace("，", "").replace(" ", "").replace("人民币", "")
    text = text.removeprefix("¥").removeprefix("￥").replace("个亿", "亿")
    if _NOT_FINITE.match(text):
        raise ValueError(f"金额必须是有限的数字，收到「{value}」")
    sign = -1.0 if text.startswith(("负", "-", "－")) and len(text) > 1 else 1.0
    if text.startswith("负"):
        text = text[1:]
    m = _AMOUNT_RE.match(text)
    if m:
        number, suffix = float(m.group(1)), (m.group(2) or "").lower()
    else:
        cn = re.fullmatch(rf"([{CN_NUMBER_CHARS}]+)(?:元|块)?", text.lstrip("-－"))
        if not cn:
            raise ValueError(f"无法识别的金额「{value}」，请写成如 1200万、1.2亿、1,200万元")
        body = cn.group(1)
        number = sign * cn_to_number(body)
        # "一千二百万" carries its own 万/亿 and so is in 元; a bare "一千二百" is in the request's unit
        suffix = "元" if any(c in body for c in "万亿") or text.endswith(("元", "块")) else ""
    if m and sign < 0 and number > 0:
        number = -number
    scale = _SUFFIX_YUAN[suffix]
    if scale == 0.0:
        return finite(number, "金额")
    return finite(number * scale / UNIT_YUAN[normalise_unit(unit)], "金额")


def parse_rate(value: object) -> float:
    """A rate as a fraction: "65%" -> 0.65, 0.65 -> 0.65, 65 -> 0.65 (numbers above 1 are percentages), "三成" -> 0.3,
    "两成半" -> 0.25. The sign is kept; NaN and infinities are refused."""
    if isinstance(value, bool):
        raise ValueError("应为比例，例如 25% 或 0.25")
    if isinstance(value, str):
        text = value.strip().replace("％", "%").replace(" ", "")
        if _NOT_FINITE.match(text.rstrip("%")):
            raise ValueError(f"比例必须是有限的数字，收到「{value}」")
        try:
            if text.endswith("%"):
                return finite(float(text[:-1]) / 100, "比例")
            if text.startswith("百分之"):
                rest = text[3:]
                return (float(rest) if re.fullmatch(r"\d+(\.\d+)?", rest) else cn_to_number(rest)) / 100
            half = 0.05 if text.endswith("成半") else 0.0
            if text.endswith(("成", "成半")) and len(text) >= 2:
                head = text[:text.rindex("成")]
                tenths = float(head) if re.fullmatch(r"\d+(\.\d+)?", head) else cn_to_number(head)
                return round(tenths / 10 + half, 10)
            value = float(text)
        except ValueError:
            raise ValueError(f"无法识别的比例「{value}」，请写成如 25% 或 0.25") from None
    if not isinstance(value, (int, float)):
        raise ValueError("应为比例，例如 25% 或 0.25")
    v = finite(float(value), "比例")
    return v / 100 if v > 1 else v


def format_number(value: float, *, grouped: bool = True, trim: bool = True, decimals: int = 2) -> str:
    """The one formatter of amounts: two decimals, thousands separators (`grouped`), trailing zeros dropped (`trim`)
    as people write them: 1,200 / 1,200.5; table cells keep the zeros (1,200.00), CSV cells drop the separators."""
    text = f"{value:,.{decimals}f}" if grouped else f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if trim and "." in text else text


def format_amount(value: float, unit: str) -> str:
    """An amount with its unit: 1,200万元."""
    return f"{format_number(value)}{unit}"


def format_rate(value: float) -> str:
    """A fraction as a percentage with at most one decimal: 0.255 -> 25.5%."""
    return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"


# ---------------------------------------------------------------- durations

DURATION_DAYS: dict[str, int] = {"天": 1, "日": 1, "周": 7, "星期": 7, "月": 30, "季度": 90, "季": 90, "年": 365}
_DURATION_RE = re.compile(rf"^(?P<n>\d+(?:\.\d+)?|[{CN_NUMBER_CHARS}]{{1,4}}?|半)(?P<half>个半)?个?"
                          r"(?P<unit>天|日|周|星期|月|季度|季|年)(?P<tail>半)?$")


def parse_duration(text: str) -> int:
    """A duration as days: "两个月" -> 60, "90天" -> 90, "一个季度" -> 90, "半年" -> 180, "一个半月" -> 45,
    "三四个月" -> 105 (the midpoint of two neighbouring numbers). ValueError when it is not a duration."""
    t = str(text).strip().replace(" ", "").removesuffix("左右").removesuffix("之内").removesuffix("内")
    pair = re.match(r"^([一二两三四五六七八])([二三四五六七八九])(个?(?:天|周|月|季度|年))$", t)
    if pair and _CN_DIGITS[pair.group(2)] - _CN_DIGITS[pair.group(1)] == 1:
        low, high = (parse_duration(pair.group(i) + pair.group(3)) for i in (1, 2))
        return round((low + high) / 2)
    m = _DURATION_RE.match(t)
    if not m:
        raise ValueError(f"无法识别的时长「{text}」，请写成如 45天、两个月、一个季度、半年")
    n = m.group("n")
    number = 0.5 if n == "半" else float(n) if re.fullmatch(r"[\d.]+", n) else cn_to_number(n)
    if m.group("half") or m.group("tail"):
        number += 0.5
    finite(number, "时长")
    if m.group("unit") == "年":  # whole years of 365 days, a half year of 6 months
        return int(number) * 365 + round((number - int(number)) * 12) * 30
    return round(number * DURATION_DAYS[m.group("unit")])


# ---------------------------------------------------------------- periods

CN_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _relative_years(text: str, today: date) -> str:
    for word, delta in (("今年", 0), ("本年", 0), ("明年", 1), ("来年", 1), ("后年", 2), ("去年", -1)):
        text = text.replace(word, f"{today.year + delta}年")
    return text


def _parse_day(text: str) -> date | None:
    m = re.fullmatch(r"(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?", text)
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    return date(y, mo, d)


def _parse_month(text: str, default_year: int | None = None) -> tuple[int, int] | None:
    m = re.fullmatch(r"(?:(\d{4})\s*[年./-]\s*)?(\d{1,2})\s*月?", text)
    if not m or (m.group(1) is None and default_year is None):
        return None
    year = int(m.group(1)) if m.group(1) else default_year
    month = int(m.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"月份「{month}」不在1到12之间")
    return year, month  # type: ignore[return-value]


def parse_period(text: str, today: date | None = None) -> tuple[date, date, str]:
    """Returns (start, end, label) for what people write as a plan period."""
    today = today or date.today()
    raw = text
    t = _relative_years(str(text).strip(), today).replace(" ", "").replace("（", "(").replace("）", ")")
    t = t.replace("～", "~").replace("—", "-").replace("–", "-").replace("到", "至")
    t = re.sub(r"(\d{4})年?[Hh]([12])$", lambda m: f"{m.group(1)}年{'上下'[int(m.group(2)) - 1]}半年", t)
    m = re.fullmatch(r"(\d{4})年?(?:全年|年度|整年)?", t)
    if m:
        y = int(m.group(1))
        return date(y, 1, 1), date(y, 12, 31), f"{y}年全年"
    m = re.fullmatch(r"(\d{4})年?(?:Q|q|第)?([一二三四1-4])(?:季度|季)?", t)
    if m and ("Q" in t.upper() or "季" in t):
        y, q = int(m.group(1)), CN_QUARTER[m.group(2)]
        return date(y, 3 * q - 2, 1), _month_end(y, 3 * q), f"{y}年第{'一二三四'[q - 1]}季度"
    m = re.fullmatch(r"(\d{4})年?(上|下)半年", t)
    if m:
        y = int(m.group(1))
        if m.group(2) == "上":
            return date(y, 1, 1), date(y, 6, 30), f"{y}年上半年"
        return date(y, 7, 1), date(y, 12, 31), f"{y}年下半年"
    parts = re.split(r"至|~|-(?=\d{4}[年./-]|\d{1,2}月)|(?<=[月日])-", t)
    if len(parts) == 2:
        a, b = parts
        da, db = _parse_day(a), _parse_day(b)
        if da and not db and re.fullmatch(r"\d{1,2}月\d{1,2}日?", b):
            db = _parse_day(f"{da.year}年{b}")
        if da and db:
            start, end = da, db
        else:
            ma = _parse_month(a)
            mb = _parse_month(b, ma[0] if ma else None)
            if not (ma and mb):
                raise ValueError(f"无法识别的计划周期「{raw}」")
            start, end = date(ma[0], ma[1], 1), _month_end(*mb)
        if end < start:
            raise ValueError(f"计划周期的结束日期（{end}）早于开始日期（{start}）")
        return start, end, f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"
    single = _parse_month(t)
    if single and "月" in t:
        y, mo = single
        return date(y, mo, 1), _month_end(y, mo), f"{y}年{mo}月"
    raise ValueError(
        f"无法识别的计划周期「{raw}」，可写成：2027年、2027年Q2、2027年第三季度、2027年上半年、2027年H2、"
        "2027年3月-2027年8月、2027年1月1日至2027年12月31日"
    )


def months_between(start: date, end: date) -> list[tuple[int, int]]:
    """Calendar months (year, month) touched by the period, in order."""
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
