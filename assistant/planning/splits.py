"""Splitting amounts exactly, and splitting what the user listed: sub-regions, product lines and channels (by role),
with the shares they stated.

A region such as 「华东（上海、江苏、浙江、安徽）」 or 「江苏、浙江」 becomes one line per place; a product field naming
two products becomes two lines; shares written in the notes (「招聘系统占收入约六成」「广州占四成」) are honoured,
the rest is split equally and marked 待确认. Channels are matched to the playbook's channel roles: revenue channels
share the target, lead sources are planned in leads.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass


def allocate(total: float, weights: list[float]) -> list[float]:
    """Split `total` by `weights` to 0.01 precision; the parts sum to the total exactly (largest remainder)."""
    cents = round(total * 100)
    wsum = sum(weights)
    if not weights:
        return []
    if wsum <= 0:
        weights, wsum = [1.0] * len(weights), float(len(weights))
    raw = [cents * w / wsum for w in weights]
    parts = [math.floor(r) for r in raw]
    remainder = cents - sum(parts)
    order = sorted(range(len(raw)), key=lambda i: (raw[i] - parts[i], weights[i]), reverse=True)
    for i in order[:remainder]:
        parts[i] += 1
    return [p / 100 for p in parts]

_SEP = re.compile(r"[、,，/;；]|和|及|与")
_PLACE_NOISE = ("市场", "新进入", "进入", "区域", "地区", "为主", "以外", "除外", "重点", "三大区", "大区")
_SHARE = re.compile(r"(\d+(?:\.\d+)?)\s*%|([一二两三四五六七八九])\s*成(半)?|一半")
_CN = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


@dataclass
class Part:
    name: str
    share: float | None  # None until resolved
    stated: bool  # the share came from the user


_REGION_SUFFIX = re.compile(r"(?:[两三四五六七八九几]个?大区|等地?|地区|片区)$")


def _items(text: str) -> list[str]:
    out = []
    for p in _SEP.split(text):
        p = _REGION_SUFFIX.sub("", p.strip(" （）()"))
        if p:
            out.append(p)
    return out


def sub_regions(region: str) -> tuple[str, list[Part]]:
    """(parent label, parts) for a region that lists places; parts empty when it names one place."""
    text = region.strip()
    m = re.match(r"^(.*?)[（(](.+)[）)]\s*$", text)
    parent, inner = (m.group(1).strip(), m.group(2)) if m else ("", text)
    candidates = _items(re.sub(r"\d+(?:\.\d+)?\s*%|[一二两三四五六七八九]成半?", "", inner))
    places = [c for c in candidates if 2 <= len(c) <= 8 and not any(n in c for n in _PLACE_NOISE)]
    if len(places) < 2 or len(places) != len(candidates):
        return text, []
    parts = [Part(p, _share_near(inner, p), False) for p in places]
    for part in parts:
        part.stated = part.share is not None
    return parent or "、".join(places), parts


_PRODUCT_HEADS = ("水", "油", "料", "剂", "材", "阀", "管", "漆", "板", "课", "程", "统", "台", "服务", "设备", "仪", "机",
                  "车", "柜", "盒", "奶", "茶", "酒", "药", "针", "器", "件", "品", "包", "脂", "液")
_AND = re.compile(r"与|和|及")


def _split_and(item: str) -> list[str]:
    """「工业齿轮油与液压油」 names two products; 「收银与会员小程序」 and 「工程机械与农机用轴承」 name one."""
    if "（" in item or "(" in item:
        return [item]
    parts = [p.strip() for p in _AND.split(item)]
    if len(parts) == 2 and all(len(p) >= 2 for p in parts) and (
            parts[0][-1] == parts[1][-1] or all(p.endswith(_PRODUCT_HEADS) for p in parts)):
        return parts
    return [item]


def product_lines(product: str | None) -> list[Part]:
    if not product:
        return []
    # "…（按年订阅）" qualifies one product; only split at separators outside brackets
    depth, buf, items = 0, "", []
    for ch in product:
        depth += ch in "（("
        depth -= ch in "）)"
        if depth == 0 and (ch in "、,，/;；"):
            items.append(buf)
            buf = ""
        else:
            buf += ch
    items.append(buf)
    names = [n for i in items for n in _split_and(i.strip()) if len(n) >= 2]
    if len(names) < 2:
        return []
    return [Part(n, None, False) for n in names]


def _aliases(name: str) -> list[str]:
    """How a name is shortened in notes: 「招聘管理系统」 -> 招聘系统, 招聘."""
    out = [name]
    short = re.sub(r"管理|服务|产品|业务", "", name)
    if short != name and len(short) >= 2:
        out.append(short)
    if len(name) > 2:
        out.append(name[:2])
    return out


def _share_near(text: str, name: str) -> float | None:
    """A share written right after a name: 「广州40%」「招聘系统占收入约六成」."""
    for alias in _aliases(name):
        s = _share_after(text, alias)
        if s is not None:
            return s
    return None


def _share_after(text: str, name: str) -> float | None:
    for m in re.finditer(re.escape(name), text):
        window = text[m.end(): m.end() + 12]
        window = re.split(r"[、,，;；。]", window)[0]
        s = _SHARE.search(window)
        if s:
            if s.group(1):
                return float(s.group(1)) / 100
            if s.group(2):
                return _CN[s.group(2)] / 10 + (0.05 if s.group(3) else 0)
            return 0.5
    return None


def resolve_shares(parts: list[Part], notes: str | None) -> list[str]:
    """Fill each part's share: stated in the region/product text or the notes, rest equal. Returns notes (Chinese)
    describing what was assumed."""
    for p in parts:
        if p.share is None and notes:
            s = _share_near(notes, p.name)
            if s is not None:
                p.share, p.stated = s, True
    stated = sum(p.share for p in parts if p.stated)
    open_parts = [p for p in parts if not p.stated]
    out: list[str] = []
    if stated > 1 + 1e-9:
        for p in parts:
            if p.stated:
                p.share = p.share / stated
        stated = 1.0
        out.append("给出的占比合计超过100%，已按比例缩放")
    if open_parts:
        rest = max(0.0, 1 - stated)
        for p in open_parts:
            p.share = rest / len(open_parts)
        out.append(f"{'、'.join(p.name for p in open_parts)}的占比未给出，暂按{'平均' if not stated else '剩余部分平均'}分配")
    elif abs(stated - 1) > 1e-6 and parts:
        for p in parts:
            p.share = p.share / stated
        out.append("给出的占比合计不是100%，已按比例换算")
    return out


# ---------------------------------------------------------------- channels by role

_LEAD_WORDS = re.compile(r"展|会|峰会|博览|论坛|沙龙|抖音|快手|视频号|直播|小红书|投放|广告|信息流|推荐|转介绍|官网|公众号|"
                         r"SEO|SEM|垂媒|汽车之家|懂车帝|易车|线索|内容|地推|活动")


@dataclass
class ChannelMatch:
    name: str
    role: str  # revenue | lead_source | both
    share: float | None  # typical revenue share (mid) when the playbook knows the channel
    lead_share: float | None
    actions: str
    known: bool


def match_channel(name: str, channels) -> ChannelMatch:  # noqa: ANN001 - playbook Channel list
    """The playbook channel a request channel is (longest alias wins); unknown channels get a role by their words."""
    best, best_len = None, 0
    for ch in channels:
        for alias in ch.aliases:
            if alias in name and len(alias) > best_len:
                best, best_len = ch, len(alias)
    if best is not None:
        return ChannelMatch(name, best.role, best.share.mid if best.share else None,
                            best.lead_share.mid if best.lead_share else None, best.actions, True)
    role = "lead_source" if _LEAD_WORDS.search(name) else "revenue"
    return ChannelMatch(name, role, None, None, "", False)


def _normalise(values: list[float | None]) -> list[float]:
    known = [v for v in values if v]
    fill = sum(known) / len(known) if known else 1.0
    filled = [v if v else fill for v in values]
    total = sum(filled) or 1.0
    return [v / total for v in filled]


def _primary(channels, team_roles: list[str]):  # noqa: ANN001, ANN202
    """The revenue channel the sales team itself works: one whose aliases name a team role, else the playbook's
    first revenue channel."""
    revenue = [ch for ch in channels if ch.role == "revenue"]
    for ch in revenue:
        if any(a in role for role in team_roles for a in ch.aliases if len(a) >= 2):
            return ch
    return revenue[0]


def channel_split(names: list[str], channels, target: float, top_leads: int,  # noqa: ANN001, ANN201
                  team_roles: list[str] | None = None):
    """ChannelSplit rows (revenue channels share the target, lead sources share the leads) and notes/questions.
    When the listed channels are only lead sources and partners, the team's own selling channel carries the rest."""
    from ..schema import ChannelSplit

    notes, questions = [], []
    matches = [match_channel(n, channels) for n in names]
    primary = _primary(channels, team_roles or [])
    has_primary = any(m.known and m.actions == primary.actions for m in matches)
    if not has_primary and not any(m.role == "revenue" and not m.known for m in matches):
        matches.insert(0, ChannelMatch(primary.label, primary.role, primary.share.mid if primary.share else None,
                                       primary.lead_share.mid if primary.lead_share else None, primary.actions,
                                       True))
        if not names:
            notes.append(f"未提供渠道，按行业手册暂以「{primary.label}」承接目标")
            questions.append("现有销售渠道有哪些，各渠道去年的销售占比是多少")
        else:
            notes.append(f"列出的渠道里没有团队自己成交的渠道，按行业手册加上「{primary.label}」承接目标")
    revenue = [m for m in matches if m.role in ("revenue", "both")]
    leads = [m for m in matches if m.role in ("lead_source", "both")]
    r_shares = _normalise([m.share for m in revenue])
    l_shares = _normalise([m.lead_share for m in leads])
    amounts = allocate(target, r_shares)
    lead_counts = _largest_remainder(top_leads, l_shares) if leads else []
    rows = []
    for m in matches:
        row = ChannelSplit(channel=m.name, role=m.role, actions=m.actions,
                           basis="行业手册常见占比取中值后按渠道数归一（待确认）" if m.known else "手册无此渠道，按其他渠道平均（待确认）")
        if m in revenue:
            i = revenue.index(m)
            row.share, row.amount = round(r_shares[i], 4), amounts[i]
        if m in leads:
            i = leads.index(m)
            row.lead_share, row.leads = round(l_shares[i], 4), lead_counts[i]
        rows.append(row)
    if len(revenue) > 1:
        questions.append("各收入渠道去年的销售占比（当前按行业常见占比估算）")
    return rows, notes, questions


def _largest_remainder(total: int, shares: list[float]) -> list[int]:
    raw = [total * s for s in shares]
    parts = [math.floor(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[: total - sum(parts)]:
        parts[i] += 1
    return parts
