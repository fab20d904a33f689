"""Generic clean-up of scraped and converted text: web boilerplate, repeated blocks, ruby/pinyin residue.

Rules are general (view counters, breadcrumbs, copyright and download notices, related-article lists, metadata
lines, truncated excerpts that repeat the body), never rules for one file. Patterns are matched against the
normalised (Simplified) form of each line, so Traditional pages are cleaned by the same rules; the original line
is what is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import TABLE_ROW, normalize

# "設(shè)計(jì)": pinyin readings pasted after each character by some converters
_PINYIN_AFTER_HAN = re.compile(
    r"(?<=[\u4e00-\u9fff])[(（]([a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ][a-zü]*)[)）]"
)
_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")
_BR_RESIDUE = re.compile(r"【\s*/?\s*br\s*/?\s*】|<\s*br\s*/?\s*>", re.I)

_CJK_OR_WORD = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")

# a whole line that is page furniture (matched on the normalised line)
_FURNITURE = [
    re.compile(p)
    for p in (
        r"^\d+\s*(人|次)(看过|浏览|阅读|观看|收藏|点赞|下载|关注)",
        r"^(阅读|浏览|点击|下载|收藏|评论|点赞)(量|数|次数)?\s*[:：]?\s*\d+\s*(次)?$",
        r"^(当前位置|您的位置|你的位置|所在位置|位置)\s*[:：]",
        r"^首页\s*[>›»/]",
        r"^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(\s+\d{1,2}:\d{2}(:\d{2})?)?$",
        r"^已阅读\s*\d+\s*页",
        r"^(文档|文章|全部)?评论\s*[(（]\s*\d+\s*[)）]$",
        r"^\d+\s*/\s*\d+$",
        r"^(提交评论|发表评论|查看更多|展开全文|阅读全文|收起|点击展开|加载更多|返回顶部|分享到|分享|打印)\s*[:：>»]?$",
        r"^(上一篇|下一篇)\s*[:：]",
        r"^\+?\s*关注$",
        r"^(实名认证|文档贡献者|该用户很懒.*|内容提供方|认证|举报|版权申诉)$",
        r"^(文档简介|文档介绍|文档信息|资料简介)$",
        r"^\S{0,40}\.(webp|png|jpe?g|gif|svg|bmp)\)?$",
        r"^(免费下载|立即下载|下载本文档|下载文档|下载此文档|在线阅读|立即阅读|继续阅读|继续免费阅读)$",
        r"^\d+\s*亿?\s*vip.{0,10}$",
    )
]

# page metadata ("作者:周老师", "时间:2023-05-01 ...") is only furniture near the top of a page
_HEAD_ONLY = re.compile(
    r"^(作者|来源|标签|关键词|字数|编辑|责任编辑)\s*[:：].{0,60}$"
    r"|^(发布时间|发布日期|更新时间|时间|日期)\s*[:：]\s*\d{4}[-/.年]\d{1,2}.{0,60}$"
)
_HEAD_LINES = 15

# phrases that mark site notices (copyright, download, VIP); two distinct ones make a line a notice
_NOTICE_WORDS = (
    "本站", "本网站", "本平台", "侵权", "版权", "上传", "下载", "转载", "免责", "举报", "vip", "会员下载",
    "文档贡献者", "收益归属", "所有权益", "未经授权", "未经许可", "不承担", "不退款", "联系我们", "原创力",
    "文库",
)

# a heading after which the rest of the page is a list of links or site chrome (only honoured late in the page)
_TAIL_MARKERS = re.compile(
    r"^(推荐文章|相关文章|相关文档|相关推荐|相关阅读|热门文章|热门推荐|猜你喜欢|延伸阅读|精彩推荐|为你推荐|"
    r"最新文章|最新文档|更多文章|文档评论|网友评论|温馨提示|免责声明|版权声明|版权说明)\s*[:：]?\s*(\(\d+\))?$"
)
_TAIL_FRACTION = 0.5

# a document's name shown as a line: "标题_第3页", "标题.docxVIP"
_TITLE_LINE = re.compile(
    r"^(?P<title>.{2,80}?)(_第\s*\d+\s*页|\.(docx?|pdf|pptx?|xlsx?|txt|wps|rtf)\s*(vip|免费|付费|下载)?)$"
)

_MIN_EXCERPT = 30  # a line this long that also appears inside other lines is a truncated excerpt / repeat
_MAX_LINES_FOR_EXCERPT_SCAN = 4000


def strip_pinyin(text: str) -> str:
    return _PINYIN_AFTER_HAN.sub("", text)


def basic_normalize(text: str) -> str:
    """Line endings, zero-width characters, odd spaces, <br> residue; keeps the characters themselves."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH.sub("", text)
    text = text.replace("\u00a0", " ").replace("\u3000", " ").replace("\t", " ")
    text = _BR_RESIDUE.sub("\n", text)
    text = strip_pinyin(text)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def is_furniture(norm_line: str) -> bool:
    line = norm_line.strip()
    if not line:
        return False
    if not _CJK_OR_WORD.search(line):
        return not TABLE_ROW.match(line)  # "|", "——", "…" go; a Markdown table rule "|---|---|" stays
    if any(p.search(line) for p in _FURNITURE):
        return True
    hits = {w for w in _NOTICE_WORDS if w in line}
    if len(hits) >= 2:
        return True
    return bool(hits) and len(line) <= 12 and not re.search(r"[。！？]$", line)


def _cut_tail(lines: list[str], norms: list[str]) -> int:
    """Index where the page's trailing link lists / notices begin (len(lines) if none)."""
    total = sum(len(n) for n in norms) or 1
    seen = 0
    for i, norm in enumerate(norms):
        if seen / total >= _TAIL_FRACTION and _TAIL_MARKERS.match(norm.strip()):
            return i
        seen += len(norm)
    return len(lines)


def _drop_repeats(lines: list[str], norms: list[str]) -> list[int]:
    """Indices to keep: the first copy of each repeated line, and no line that only re-quotes others.

    A long line counts as a re-quote when its text also occurs inside the rest of the document (other lines
    joined without line breaks), e.g. a page summary that is the first 100 characters of the body.
    """
    keep: list[int] = []
    seen: set[str] = set()
    keys = [re.sub(r"\s+", "", n) for n in norms]
    scan = len(lines) <= _MAX_LINES_FOR_EXCERPT_SCAN
    for i, key in enumerate(keys):
        if not key or TABLE_ROW.match(key):
            keep.append(i)
            continue
        if key in seen and len(key) >= 4:
            continue
        if scan and len(key) >= _MIN_EXCERPT:
            rest = "".join(k for j, k in enumerate(keys) if j != i and k != key)
            if key in rest:
                continue
        seen.add(key)
        keep.append(i)
    return keep


@dataclass
class Cleaned:
    text: str
    title_hint: str | None = None


def clean_text(text: str) -> Cleaned:
    """The cleaned original text (script unchanged), one paragraph per line, plus a title the page furniture
    revealed (document-viewer page captions), if any."""
    text = basic_normalize(text)
    lines = [line.strip() for line in text.split("\n")]
    norms = [normalize(line) for line in lines]
    end = _cut_tail(lines, norms)
    lines, norms = lines[:end], norms[:end]
    title_hint: str | None = None
    kept: list[tuple[str, str]] = []
    for i, (line, norm) in enumerate(zip(lines, norms, strict=False)):
        if not line:
            continue
        if i < _HEAD_LINES and _HEAD_ONLY.match(norm):
            continue
        m = _TITLE_LINE.match(norm)
        if m:
            title_hint = title_hint or line[: len(m.group("title"))].strip()
            continue
        if not is_furniture(norm):
            kept.append((line, norm))
    if not kept:
        return Cleaned("", title_hint)
    lines, norms = [k[0] for k in kept], [k[1] for k in kept]
    order = _drop_repeats(lines, norms)
    return Cleaned("\n".join(lines[i] for i in order).strip(), title_hint)
