"""Checks on written text shared by the model chain and the validator, so the chain rejects (and re-asks) exactly
what the validator would fail: placeholders such as 某某, 待定, TODO, XX, [FILL], 请填写, （待确认）; text that is not
real Chinese content (English, fragments, ellipses, copied table rows); list items too short to be a sentence; the
same sentence twice. A grammar fixes an answer's shape, never this: these run after every answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PLACEHOLDER_RE = re.compile(r"(?<![A-Za-z])[XxＸ×]{2,}(?![A-Za-z])|某某|待定|\[FILL\]|【FILL】|TODO|TBD|"
                            r"\?{3,}|？{2,}|\{\{|请填写|此处填写|（填写）|[（(][^（）()]{0,12}待确认[)）]", re.I)
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
NOT_CONTENT = re.compile(r"\.{3}|…|\||^[xX]{2,}$|XXX|待填|此处")
MIN_ITEM_CHARS = 4  # Chinese characters in a list item, below which it is a fragment ("成本高")


def has_placeholder(text: str) -> bool:
    """A template placeholder left in the text (what the validator's no_placeholders check fails)."""
    return bool(PLACEHOLDER_RE.search(text))


def not_content(s: str) -> bool:
    """Not real Chinese content: a placeholder the validator would fail (某某, 待定, TODO, …), Latin-only, a stray
    letter next to a few characters ("机会 O"), an ellipsis, a copied table row, or an "XXX" placeholder."""
    cjk, latin = len(CJK.findall(s)), len(LATIN.findall(s))
    return has_placeholder(s) or bool(NOT_CONTENT.search(s)) or (0 < latin <= 2 and cjk <= 2) or latin > 2 * cjk


def content_problems(texts: Iterable[str], items: Iterable[str], prose: Iterable[str], *,
                     min_chinese_share: float = 0.6) -> list[str]:
    """What a reader would reject, in Chinese (fed back to the model on a re-ask): `texts` are all strings of an
    answer, `items` its list entries, `prose` the sentences that must not repeat (table cells such as owners and
    deadlines may)."""
    texts, problems = list(texts), []
    cjk = sum(len(CJK.findall(s)) for s in texts)
    latin = sum(len(LATIN.findall(s)) for s in texts)
    if latin and cjk / (cjk + latin) < min_chinese_share:
        problems.append("内容主要是英文，请全部改用简体中文")
    else:
        bad = list(dict.fromkeys(s for s in texts if not_content(s)))
        if bad:
            problems.append("这些内容不是完整的中文或是占位符，请改成具体的中文句子："
                            + "、".join(f"“{b[:20]}”" for b in bad) if len(bad) < 5 else
                            f"有{len(bad)}处内容是占位符、表格片段或不完整的中文，请每条都写成具体的中文句子")
    short = [s for s in items if len(CJK.findall(s)) < MIN_ITEM_CHARS]
    if short:
        problems.append(f"这些条目太短，请每条写成一句完整的话（至少{MIN_ITEM_CHARS}个汉字）："
                        + "、".join(f"“{x[:20]}”" for x in short[:4]))
    seen: dict[str, int] = {}
    for s in prose:
        if len(s) >= 4:
            seen[s] = seen.get(s, 0) + 1
    repeated = [s for s, n in seen.items() if n > 1]
    if repeated:
        problems.append("这些内容重复出现，请每条写不同的内容：" + "、".join(f"“{x[:20]}”" for x in repeated[:3]))
    return problems
