"""Market and customer checks: competitors (in a table, listed with their traits on one line, or one per sentence),
PEST (a table or 政策上…经济上… prose), market data, SWOT, customer needs, strategy and channels.
"""

from __future__ import annotations

import re

from .checklist import ItemSpec
from .document import Line, PlanDoc
from .facts import MONEY_RE, NUMBER_RE, RATE_RE, quote, substantive
from .prose import (
    COMP_CUE,
    channels_in_text,
    clauses,
    competitor_lead,
    competitors_in_line,
    pest_in_prose,
    sentences,
)
from .registry import Verdict, cells_matching, check, fail, first, ok, scoped, subject

COMP_HEADER = re.compile(r"竞争对手|竞品|对手|品牌|厂商|友商|竞争者")
COMP_NOISE = re.compile(r"^(竞争对手|对手|其他|等|等等|若干|多家|同行)$|待确认|不详|未知|需调研|"
                        r"^(?:竞争对手|对手|竞品|品牌|厂家|公司)\s*[A-Za-z甲乙丙丁一二三\d]$|^[A-Za-z甲乙丙丁]\s*(?:公司|品牌|厂家)$")


def competitor_names(doc: PlanDoc, item: ItemSpec) -> tuple[list[str], list[Line], list[str]]:
    """(names, the line describing each, what the plan says about each) from tables, '主要对手：A（…）、B（…）' lines,
    '- A：…' items under a competitor sub-heading, and sentences that open with a competitor's name."""
    names: dict[str, tuple[Line, str]] = {}
    in_context = 0  # the line with a competitor word and the two after it may speak of one competitor per sentence
    for _, ln in scoped(doc, item):
        if ln.cells:
            cell = next((v for h, v in ln.cells.items() if COMP_HEADER.search(h)), None)
            if cell and substantive(cell) and not COMP_NOISE.search(cell) and len(cell) <= 20:
                names.setdefault(cell, (ln, ln.text))
            continue
        listed = competitors_in_line(ln.text)
        for c in listed:
            if not COMP_NOISE.search(c.name):
                names.setdefault(c.name, (ln, c.traits))
        if listed:
            continue
        head, sep, rest = ln.text.partition("：")
        if COMP_HEADER.search(ln.sub) and sep and len(head) <= 15 and not COMP_NOISE.search(head):
            names.setdefault(head, (ln, rest))
            continue
        in_context = 3 if COMP_CUE.search(ln.text) else in_context - 1
        if in_context > 0 and not re.match(r"^\s*(?:我方|我们|我司|本公司)", ln.text):
            for sent in sentences(ln.text):
                for part in clauses(sent):
                    lead = competitor_lead(part.split("：")[-1])
                    if lead and lead.name not in names:
                        names[lead.name] = (ln, lead.traits)
    return list(names), [v[0] for v in names.values()], [v[1] for v in names.values()]


@check("competitors_named")
def competitors_named(doc: PlanDoc, item: ItemSpec) -> Verdict:
    names, _, _ = competitor_names(doc, item)
    need = item.params.get("min", 3)
    if len(names) >= need:
        return ok(f"列出{len(names)}家竞争对手：{'、'.join(names[:6])}")
    q = next(iter(doc.questions_about(item.asks or ["竞争对手"])), None)
    if q:
        have = f"只列出{len(names)}家（{'、'.join(names)}），" if names else "未列出具体对手，"
        return ok(f"{have}已列为待确认：{quote(q)}")
    return fail(f"只列出{len(names)}家竞争对手" + (f"（{'、'.join(names)}）" if names else "") + f"，需要至少{need}家",
                item.section)


STRENGTH = re.compile(r"优势|长处|强项")
WEAKNESS = re.compile(r"劣势|不足|短板|弱点|弱项")
RESPONSE = re.compile(r"应对|对策|策略|差异化|打法")
TRAIT = re.compile(r"但|可|不过|然而|却|只|缺|弱|慢|贵|高|低|少|差|不稳|长|短|没有|不支持|做不了|排队|粗|以上|交期|交货期")
OUR_MOVE = re.compile(r"应对|我们|我方|我司|主打|对冲|针对|抓|避开|替换|不跟|不和|打")


def _described(ln: Line, traits: str) -> bool:
    """Strengths, weaknesses and our response: three table columns, or in words — what is said about the
    competitor names a weakness ('但售后网点只在南京') and the same passage says what we do about it."""
    if ln.cells:
        return all(any(substantive(v) for v in cells_matching(ln, p)) for p in (STRENGTH, WEAKNESS, RESPONSE))
    if all(p.search(ln.text) for p in (STRENGTH, WEAKNESS, RESPONSE)) and substantive(ln.text):
        return True
    return len(traits) >= 6 and bool(TRAIT.search(traits)) and substantive(traits) and bool(OUR_MOVE.search(ln.text))


@check("competitor_depth")
def competitor_depth(doc: PlanDoc, item: ItemSpec) -> Verdict:
    names, lines, traits = competitor_names(doc, item)
    if not names:
        return fail("未列出具体竞争对手，无法分析其优势、劣势与我方应对", item.section)
    scope = [ln for _, ln in scoped(doc, item)]
    shallow = []
    for name, ln, said in zip(names, lines, traits, strict=True):
        described = [ln] + [other for other in scope if other is not ln and name in other.text]
        if not any(_described(d, said if d is ln else d.text) for d in described):
            shallow.append((name, said or ln.text))
    same = _alike(lines)
    if not shallow and len(same) >= 2:  # the same strengths and weaknesses pasted for several competitors
        return fail(f"{'、'.join(same)}的优势和劣势写得一字不差，看不出各家的区别", item.section)
    if not shallow:
        return ok(f"{len(names)}家对手都写明了优势、劣势与应对")
    return fail(f"{len(shallow)}/{len(names)}家对手的优劣势或应对不具体，如{shallow[0][0]}：{quote(shallow[0][1])}",
                item.section)


def _alike(lines: list[Line]) -> list[str]:
    """Competitors (table rows) whose strengths and weaknesses cells are word for word the same as another's."""
    seen: dict[str, list[str]] = {}
    for ln in lines:
        if ln.cells:
            text = "|".join(v for v in cells_matching(ln, STRENGTH) + cells_matching(ln, WEAKNESS))
            if len(text) >= 8:
                seen.setdefault(text, []).append(subject(ln))
    return next((names for names in seen.values() if len(names) >= 2), [])


PEST = {"政策": re.compile(r"政策|法规|监管|政府|法律|合规"), "经济": re.compile(r"经济|GDP|景气|消费水平|利率|汇率|投资|开工|预算"),
        "社会": re.compile(r"社会|人口|文化|习惯|消费观念|老龄|观念"), "技术": re.compile(r"技术|数字化|智能|AI|自动化|互联网|信息化")}


@check("pest_factors")
def pest_factors(doc: PlanDoc, item: ItemSpec) -> Verdict:
    found: dict[str, str] = {}
    for _, ln in scoped(doc, item):
        for dim, pattern in PEST.items():
            if dim not in found and pattern.search(subject(ln)) and len(ln.text) >= 8:
                found[dim] = ln.text
        for dim, clause in pest_in_prose(ln.text).items():
            found.setdefault(dim, clause)
    if len(found) >= item.params.get("min", 3):
        return ok(f"PEST覆盖{len(found)}个维度：{'、'.join(found)}")
    return fail(f"PEST只覆盖{len(found)}个维度" + (f"（{'、'.join(found)}）" if found else ""), item.section)


MARKET_DATA = re.compile(r"规模|容量|总量|市场空间|采购量|增速|增长率|每年增长|年均增|同比增长|增长约?\s*\d|渗透率|参培率|占有率|份额|"
                         r"复合增长|上牌|销量")


@check("market_data")
def market_data(doc: PlanDoc, item: ItemSpec) -> Verdict:
    for _, ln in scoped(doc, item):
        if MARKET_DATA.search(ln.text) and (MONEY_RE.search(ln.text) or RATE_RE.search(ln.text)) and substantive(ln.text):
            return ok(f"市场数据{quote(ln.text)}")
    vague = first(scoped(doc, item), MARKET_DATA)
    return fail("没有量化的市场规模或增速" + (f"：{quote(vague[1].text)}" if vague else ""), item.section)


QUADRANTS = {"优势": re.compile(r"优势|长处|Strength|[（(]S[)）]", re.I),
             "劣势": re.compile(r"劣势|不足|短板|弱势|Weakness|[（(]W[)）]", re.I),
             "机会": re.compile(r"机会|机遇|Opportunit|[（(]O[)）]", re.I),
             "威胁": re.compile(r"威胁|挑战|Threat|[（(]T[)）]", re.I)}


@check("swot_quadrants")
def swot_quadrants(doc: PlanDoc, item: ItemSpec) -> Verdict:
    found: dict[str, str] = {}
    for _, ln in scoped(doc, item):
        for name, pattern in QUADRANTS.items():
            if name in found:
                continue
            head, sep, rest = ln.text.partition("：")
            if pattern.search(ln.sub) and substantive(ln.text):
                found[name] = ln.text
            elif sep and len(head) <= 12 and pattern.search(head) and substantive(rest):
                found[name] = rest
            elif ln.cells and any(substantive(v) for v in cells_matching(ln, pattern)):
                found[name] = next(v for v in cells_matching(ln, pattern) if substantive(v))
            elif ln.cells and pattern.search(subject(ln)) and any(substantive(v) for v in list(ln.cells.values())[1:]):
                found[name] = ln.text  # '| 优势 | 可打包投标… |': the quadrant is the row's first cell
    missing = [n for n in QUADRANTS if n not in found]
    if not missing:
        return ok("四个象限都有内容，如优势" + quote(found["优势"], 30))
    return fail(f"SWOT缺少：{'、'.join(missing)}", item.section)


SEGMENT = re.compile(r"客户群|客户类型|客户|细分|画像|行业|规模|企业|用户|家长|人群|医院|经销商|门店|工厂")
NEEDS = re.compile(r"需求|痛点|关注|诉求|顾虑|看重|在意|关心|最怕|要的是|评分看|只在乎|决策")


@check("persona_needs")
def persona_needs(doc: PlanDoc, item: ItemSpec) -> Verdict:
    lines = [ln for _, ln in scoped(doc, item)]
    segment = next((ln for ln in lines if SEGMENT.search(ln.text)), None)
    cells = [v for ln in lines if ln.cells for v in cells_matching(ln, NEEDS)]
    texts = [part for ln in lines if not ln.cells for part in re.split(r"[。；;]", ln.text) if NEEDS.search(part)]
    needs = [v for v in (cells or texts) if substantive(v) and len(v) >= 6]  # a persona table speaks for itself
    if segment and needs:
        return ok(f"客户群{quote(segment.text, 30)}；需求{quote(needs[0], 30)}")
    if segment is None:
        return fail("未描述目标客户群", item.section)
    unsure = next((v for ln in lines for v in cells_matching(ln, NEEDS)), "")
    return fail("客户需求尚未确认" + (f"：{quote(unsure)}" if unsure else "（没有写出具体需求或痛点）"), item.section)


def _moves(lines: list[Line]) -> list[str]:
    """Strategy moves: table rows and list items as they are; a paragraph split into its sentences."""
    out = []
    for ln in lines:
        parts = [ln.text] if ln.kind != "para" else [p for p in re.split(r"[。；;]", ln.text)]
        out += [p for p in parts if len(p) >= 8 and substantive(p)]
    return out


@check("strategy_items")
def strategy_items(doc: PlanDoc, item: ItemSpec) -> Verdict:
    rows = _moves([ln for _, ln in scoped(doc, item)])
    if len(rows) >= item.params.get("min", 3):
        return ok(f"{len(rows)}条策略/举措，如{quote(rows[0])}")
    return fail(f"策略与举措只有{len(rows)}条", item.section)


CHANNEL = re.compile(r"渠道|通路")
SHARE_OR_AMOUNT = re.compile(r"占比|金额|目标|比例|份额")


@check("channel_targets")
def channel_targets(doc: PlanDoc, item: ItemSpec) -> Verdict:
    lines = [ln for _, ln in scoped(doc, item)]
    rows = [ln for ln in lines if ln.cells and any(CHANNEL.search(h) for h in ln.cells)]
    if not rows:
        rows = [ln for ln in lines if ln.kind == "item" and "：" in ln.text[:20]]
    named = [ln for ln in rows if substantive(subject(ln)) and "待确认" not in subject(ln)]
    with_target = [subject(ln) for ln in named if any(NUMBER_RE.search(v) for v in cells_matching(ln, SHARE_OR_AMOUNT))
                   or (not ln.cells and (MONEY_RE.search(ln.text) or RATE_RE.search(ln.text)))]
    if len(with_target) < 2:
        with_target = [c for ln in lines if not ln.cells for c in channels_in_text(ln.text)] or with_target
    need = item.params.get("min", 2)
    if len(with_target) >= need:
        return ok(f"{len(with_target)}个渠道有目标：{'、'.join(quote(t, 16) for t in with_target[:5])}")
    if len(named) < need:
        return fail(f"只列出{len(named)}个明确的渠道" + (f"：{quote(subject(rows[0]))}" if rows else ""), item.section)
    return fail(f"{len(named)}个渠道中只有{len(with_target)}个写明目标占比或金额", item.section)
