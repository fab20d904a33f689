"""Seasonality said in words, kept verbatim (the playbooks' parser turns it into monthly weights), and the clauses
kept as notes: facts no field holds (重点客户, 客户都是工厂, 新品3月上市, 医院占七成, 获客成本200一个 …).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .lexicon import lexicon
from .patterns import CN_NUM, CN_SMALL
from .text import Clause

if TYPE_CHECKING:
    from .rule_reader import Reader

SEASON_WORD_RE = re.compile(r"旺季|淡季|高峰|低谷|大促|季节性|最忙|最闲|平均分|金九银十|春节|暑期|暑假|寒假|双11|双十一|618|"
                            r"(?<!到)(?:年底|年初|年末)(?!前)|国庆|中秋|节假日")
PERIOD_WORD = (r"(?:\d{1,2}\s*[-~到至]\s*\d{1,2}月|\d{1,2}月|[Qq][1-4]|第?[一二三四]季度|上半年|下半年|夏天|冬天|夏季|冬季|"
               r"春季|秋季|暑期|寒假|暑假|这两个月|这几个月)")
PERIOD_WORD_RE = re.compile(PERIOD_WORD)
SHARE_RE = re.compile(r"占(?:全年)?的?\s*(?:约|大概|大约)?\s*(?:\d+(?:\.\d+)?%|[一二三四五六七八九]成|一半)|全年的?\s*\d+%|各占|"
                      r"合计占|只占|只有平时|平时的?一半")
MONTH_SHARE_RE = re.compile(r"^\s*\d{1,2}月\s*(?:占)?\s*\d+(?:\.\d+)?%\s*$")
BUSY_RE = re.compile(rf"{PERIOD_WORD}[^，,]{{0,6}}?(?:多|少|忙|闲|旺|淡|集中|高峰)")
OTHER_MONTHS_RE = re.compile(r"其他月份|其余月份|其他月|其余月|剩下的月份")
MONEY_RE = re.compile(rf"(?<![\d.])\d++(?:\.\d+)?\s*(?:万|亿)|(?<![{CN_NUM}])[{CN_SMALL}]*+[万亿]")


def _seasonal(text: str, inside: bool, breakdown: bool) -> bool:
    money = bool(MONEY_RE.search(text))
    if breakdown:  # "其中上半年500万，下半年700万": the target split over parts of the period
        return bool(PERIOD_WORD_RE.search(text) and money)
    if money:
        return False
    if SEASON_WORD_RE.search(text) or MONTH_SHARE_RE.match(text) or BUSY_RE.search(text):
        return True
    if PERIOD_WORD_RE.search(text) and SHARE_RE.search(text):
        return True
    return inside and bool(PERIOD_WORD_RE.search(text) or SHARE_RE.search(text) or OTHER_MONTHS_RE.search(text))


def mark_seasonality(clauses: list[Clause]) -> list[str]:
    """Tag the clauses that describe seasonality; returns their groups as the user wrote them."""
    groups: list[list[str]] = []
    inside = breakdown = False
    for c in clauses:
        starts_breakdown = bool(re.match(r"^其中", c.text)) and bool(PERIOD_WORD_RE.search(c.text))
        if _seasonal(c.text, inside, breakdown or starts_breakdown):
            if not inside:
                groups.append([])
            groups[-1].append(re.sub(r"^其中", "", c.raw).strip())
            c.tags.add("season")
            c.mask(0, len(c.text))
            inside, breakdown = True, breakdown or starts_breakdown
        else:
            inside = breakdown = False
    return ["，".join(g) for g in groups]


DIGITISH_RE = re.compile(rf"\d|(?<![{CN_NUM}])[{CN_NUM}]++(?:个|家|次|批|成|倍|台|套|单|人|条|项|天|周|年|月|万|亿)|%|半年|一半")
IGNORED_RE = re.compile(r"4S店?|双11|双十一|618|7-11|[Qq][1-4]|[Hh][12]|一般|一些|一起|一直|一定|一下|一点|万科|万家|三一|统一|"
                        r"第一|一线|一体|唯一|之一|一家|一个|一年|每年|每月|一个月|每个月|每季度")
LEFTOVER_MAIN_RE = re.compile(r"([\u4e00-\u9fa5]{2,8})为主")


def worth_keeping(c: Clause) -> bool:
    """A clause states a fact no field took: something flagged by a pass, a trigger word, a number left unread,
    or a customer type said as 'X为主'."""
    if c.tags & {"season", "wording", "unknown"}:
        return False
    if c.keep or any(w in c.raw for w in lexicon().note_triggers):
        return True
    if DIGITISH_RE.search(IGNORED_RE.sub("", c.unread)):
        return True
    return bool(LEFTOVER_MAIN_RE.search(c.text))


def keep_notes(r: Reader, clauses: list[Clause]) -> None:
    for c in clauses:
        if worth_keeping(c):
            r.kept.append(c.raw)
