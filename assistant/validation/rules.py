"""Content checks: is each part of the plan there, specific and complete? (Numeric consistency: numeric.py.)

Every check quotes what it found. Open questions never count as content, except where the checklist says an
open question is an acceptable answer (competitors).
"""

from __future__ import annotations

import re

from ..quantities import normalise_unit
from ..text_checks import has_placeholder
from .checklist import ItemSpec, read_checklist
from .document import CITATION_RE, Line, PlanDoc
from .facts import (
    MONEY_RE,
    NUMBER_RE,
    RATE_RE,
    parse_deadline,
    quote,
    substantive,
)
from .registry import (
    Verdict,
    cells_matching,
    check,
    fail,
    first,
    na,
    ok,
    scoped,
    subject,
    where,
)
from .stated_numbers import baseline_and_growth, coverage_value

# ---------------------------------------------------------------- structure and whole-plan checks


@check("section_present")
def section_present(doc: PlanDoc, item: ItemSpec) -> Verdict:
    key = item.section
    sec = doc.section(key)
    if sec is None:
        syn = "、".join(read_checklist().sections[key].synonyms[:4])
        return fail(f"未找到该章节（可识别的标题如：{syn}）", key)
    chars = sum(len(ln.text) for ln in sec.lines)
    if not sec.lines:
        if sec.open_questions:
            return fail(f"章节「{sec.title}」只有待确认事项：{quote(sec.open_questions[0])}", key)
        return fail(f"章节「{sec.title}」只有标题，没有内容", key)
    if chars < 20:
        return fail(f"章节「{sec.title}」内容过少（{chars}字）：{quote(sec.text)}", key)
    return ok(f"找到章节「{sec.title}」：{len(sec.lines)}行内容、{len(sec.tables)}个表格")


@check("period_defined")
def period_defined(doc: PlanDoc, item: ItemSpec) -> Verdict:
    period = doc.facts.period
    if period is None:
        return fail("未找到计划周期（如“计划周期：2027年1月1日至2027年12月31日”）", "executive_summary")
    start, end, text = period
    return ok(f"计划周期{quote(text)}：{start:%Y-%m-%d} 至 {end:%Y-%m-%d}")


@check("currency_consistent")
def currency_consistent(doc: PlanDoc, item: ItemSpec) -> Verdict:

    skip = set(item.params.get("exclude", ["market_analysis", "swot", "customer_persona"]))
    counts: dict[str, int] = {}
    spots: dict[str, str] = {}
    for key, sec in doc.sections.items():
        if key in skip:
            continue
        for _, suffix in MONEY_RE.findall(sec.text):
            unit = normalise_unit(suffix)
            counts[unit] = counts.get(unit, 0) + 1
            spots.setdefault(unit, key)
    if doc.declared_unit:
        counts[doc.declared_unit] = counts.get(doc.declared_unit, 0) + 1
    if not counts:
        return fail("没有找到带单位的金额", "sales_targets")
    main = max(counts, key=counts.get)  # type: ignore[arg-type]
    share = counts[main] / sum(counts.values())
    listing = "、".join(f"{u}×{n}" for u, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    if share >= item.params.get("min_share", 0.9):
        return ok(f"金额单位以{main}为主（{listing}）")
    others = [spots[u] for u in counts if u != main]
    return fail(f"金额单位混用：{listing}", *others)




@check("no_placeholders")
def no_placeholders(doc: PlanDoc, item: ItemSpec) -> Verdict:
    found: list[tuple[str, str]] = []
    for text in [doc.title, *doc.preamble]:
        if has_placeholder(text):
            found.append(("executive_summary", text))
    for key, ln in doc.lines(list(doc.sections)):
        if has_placeholder(ln.text):
            found.append((key, ln.text))
    if not found:
        return ok("未发现占位符")
    shown = "；".join(f"{doc.sections[k].title if k in doc.sections else '开头'}{quote(t, 30)}" for k, t in found[:3])
    return fail(f"发现{len(found)}处占位符：{shown}", *dict.fromkeys(k for k, _ in found))


ASSUMPTION_WORD = re.compile(r"假设|假定|前提[是为：:]|按.{0,10}估算")


@check("assumptions_listed")
def assumptions_listed(doc: PlanDoc, item: ItemSpec) -> Verdict:
    found = list(doc.assumptions) + [a for s in doc.sections.values() for a in s.assumptions]
    found += [ln.text for _, ln in doc.lines(list(doc.sections)) if ASSUMPTION_WORD.search(ln.text)]
    if len(found) >= item.params.get("min", 2):
        return ok(f"列出{len(found)}条假设，如{quote(found[0])}")
    return fail(f"只找到{len(found)}条测算假设" + (f"：{quote(found[0])}" if found else ""), "funnel_capacity")


@check("citations_resolvable")
def citations_resolvable(doc: PlanDoc, item: ItemSpec) -> Verdict:
    cited: dict[str, str] = {}
    for key, sec in doc.sections.items():
        for c in [*sec.citations, *CITATION_RE.findall(sec.text)]:
            cited.setdefault(c, key)
    if not cited:
        return na("方案未引用资料")
    missing = {c: k for c, k in cited.items() if c not in doc.references}
    if not missing:
        return ok(f"{len(cited)}个引用编号都能在参考资料中找到")
    shown = "、".join(f"[{c}]" for c in list(missing)[:5])
    return fail(f"{len(missing)}个引用在参考资料中找不到：{shown}", *dict.fromkeys(missing.values()))


DEFAULT_WORD = re.compile(r"默认|估算|未提供|经验值|行业经验|方法论|暂按|反推|假设值")
PARAM_WORD = re.compile(r"客单价|赢单率|转化率|销售周期|季节|回款|预算|产能|人数|触达|单价")


@check("defaults_few")
def defaults_few(doc: PlanDoc, item: ItemSpec) -> Verdict:
    texts = list(doc.assumptions) + [a for s in doc.sections.values() for a in s.assumptions]
    texts += [ln.text for _, ln in doc.lines(["funnel_capacity"]) if ln.kind == "row"]
    seen: dict[str, str] = {}
    for t in texts:
        if DEFAULT_WORD.search(t) and PARAM_WORD.search(t):
            label = re.split(r"[：:；]", t.removeprefix("项目："), maxsplit=1)[0]
            seen.setdefault(label, t)
    limit = item.params.get("max", 2)
    if len(seen) <= limit:
        return ok("关键参数基本来自用户数据" + (f"（{len(seen)}项为默认值：{'、'.join(seen)}）" if seen else ""))
    return fail(f"{len(seen)}项关键参数采用默认或估算值：{'、'.join(list(seen)[:8])}", "funnel_capacity")


# ---------------------------------------------------------------- targets

REVENUE = re.compile(r"销售额|营收|营业收入|销售收入|收入目标|业绩目标|销售目标|签约额|合同额|销售总额|营业额")
DEADLINE_WORD = re.compile(r"截至|截止|之前|以前|[日底末]前|年底|年末|期末|全年|年度|\d{4}[-/.年]\d{1,2}")


def _has_money(ln: Line) -> bool:
    if MONEY_RE.search(ln.text):
        return True
    return any(re.search(r"[（(](?:亿元|万元|千元|元)[)）]", h) and NUMBER_RE.fullmatch(v.replace(",", "").strip() or "x")
               for h, v in (ln.cells or {}).items())


@check("revenue_target")
def revenue_target(doc: PlanDoc, item: ItemSpec) -> Verdict:
    lines = scoped(doc, item)
    hit = first(lines, REVENUE, _has_money, on_subject=True) or first(lines, REVENUE, _has_money)
    if hit is None:
        return fail("未找到带金额和单位的销售额目标", item.section)
    key, ln = hit
    if DEADLINE_WORD.search(ln.text) or parse_deadline(ln.text, doc.facts.period_dates):
        return ok(f"销售额目标{quote(ln.text)}{where(doc, key, item)}")
    return fail(f"销售额目标缺少截止时间：{quote(ln.text)}", key)


COLLECTION = re.compile(r"回款")


@check("collection_target")
def collection_target(doc: PlanDoc, item: ItemSpec) -> Verdict:
    hit = first(scoped(doc, item), COLLECTION, lambda ln: _has_money(ln) or bool(RATE_RE.search(ln.text)))
    if hit:
        return ok(f"回款目标{quote(hit[1].text)}{where(doc, hit[0], item)}")
    return fail("未找到回款目标（金额或回款率）", item.section)


NON_REVENUE = re.compile(r"新客户|新增客户|新签客户|新开客户|客户数|市场份额|占有率|市占率|毛利|利润率|复购|续约|转介绍|客户留存")


@check("non_revenue_target")
def non_revenue_target(doc: PlanDoc, item: ItemSpec) -> Verdict:
    hit = first(scoped(doc, item), NON_REVENUE, lambda ln: bool(NUMBER_RE.search(ln.text)), on_subject=True)
    if hit:
        return ok(f"非销售额目标{quote(hit[1].text)}{where(doc, hit[0], item)}")
    return fail("只有销售额/回款目标，缺少新客户数、市场份额或毛利等目标", item.section)


@check("baseline_growth")
def baseline_growth(doc: PlanDoc, item: ItemSpec) -> Verdict:
    base, grow = baseline_and_growth(doc, item.scope)
    if base and grow:
        return ok(f"基数{quote(base[1], 30)}；增长{quote(grow[1], 30)}")
    missing = "、".join(n for n, v in (("上期基数", base), ("增长率", grow)) if not v)
    return fail(f"未写明{missing}", item.section)


# ---------------------------------------------------------------- breakdown (presence; sums are in numeric.py)


SEASON = re.compile(r"季节|淡季|旺季|淡旺季|权重|去年同期|各月占比|月度占比|历史.{0,6}占比")
SEASON_NONE = re.compile(r"未提供|平均分配|均分|平均分摊|按月平均|暂按.{0,4}平均")


@check("seasonality_basis")
def seasonality_basis(doc: PlanDoc, item: ItemSpec) -> Verdict:
    lines = [(k, ln) for k, ln in doc.lines([item.section, "sales_targets"]) if ln.kind != "row"]
    hits = [(k, ln) for k, ln in lines if SEASON.search(ln.text)]
    real = [(k, ln) for k, ln in hits if not SEASON_NONE.search(ln.text)]
    if real:
        return ok(f"季节性依据{quote(real[0][1].text)}")
    if hits:
        return fail(f"季节性按平均分配，未基于历史数据：{quote(hits[0][1].text)}", item.section)
    return fail("未说明各月/各季度目标按什么依据分配（季节性）", item.section)


# ---------------------------------------------------------------- funnel presence


WEEKLY = re.compile(r"每周|周均|/周|／周|每人每周|周目标|一周")


@check("weekly_activity")
def weekly_activity(doc: PlanDoc, item: ItemSpec) -> Verdict:
    hits = [ln for _, ln in scoped(doc, item) if WEEKLY.search(ln.text) and NUMBER_RE.search(ln.text)]
    if len(hits) >= item.params.get("min", 2):
        return ok(f"{len(hits)}项每周活动量目标，如{quote(hits[0].text)}")
    return fail(f"每周活动量目标不足（找到{len(hits)}项）", item.section)




@check("coverage_stated")
def coverage_stated(doc: PlanDoc, item: ItemSpec) -> Verdict:
    value = coverage_value(doc, item.scope)
    if value:
        return ok(f"管道覆盖倍数{value[0]:g}倍：{quote(value[1])}")
    return fail("未写明管道覆盖倍数", item.section)


DEFAULT_SOURCE = re.compile(r"默认|估算|未提供|经验值|行业经验|方法论|暂按|假设")
FUNNEL_PARAM = re.compile(r"客单价|赢单率|成交率|转化率|转化|销售周期|单价")


@check("funnel_from_history")
def funnel_from_history(doc: PlanDoc, item: ItemSpec) -> Verdict:
    params = [ln for _, ln in scoped(doc, item) if FUNNEL_PARAM.search(subject(ln)) and ln.kind != "item"]
    params += [Line(a) for a in doc.assumptions if FUNNEL_PARAM.search(a.split("：")[0])]
    if not params:
        return na("未找到漏斗参数（见“漏斗参数”一项）")
    defaults = dict.fromkeys(re.split(r"[：:；]", subject(ln) if ln.cells else ln.text)[0]
                             for ln in params if DEFAULT_SOURCE.search(ln.text))
    if defaults:
        return fail(f"{len(defaults)}项漏斗参数为默认/估算值：{'、'.join(defaults)}", item.section)
    return ok("漏斗参数未标注为默认值")


# ---------------------------------------------------------------- market, SWOT, customers, strategy, channels


COMP_HEADER = re.compile(r"竞争对手|竞品|对手|品牌|厂商|友商|竞争者")
COMP_LIST = re.compile(r"(?:竞争对手|竞品|对手|友商|竞争者)(?:主要)?(?:包括|有|为|是)\s*[：:]?\s*([^。；;]+)|"
                       r"(?:竞争对手|竞品|对手|友商|竞争者)\s*[：:]\s*([^。；;]+)")
COMP_NOISE = re.compile(r"^(竞争对手|对手|其他|等|等等|若干|多家|同行)$|待确认|不详|未知")


def competitor_names(doc: PlanDoc, item: ItemSpec) -> tuple[list[str], list[Line]]:
    """(names, the lines that describe them) from tables, '主要竞争对手：A、B、C' lines and '- A：…' items."""
    names: dict[str, Line] = {}
    for _, ln in scoped(doc, item):
        if ln.cells:
            cell = next((v for h, v in ln.cells.items() if COMP_HEADER.search(h)), None)
            if cell and substantive(cell) and not COMP_NOISE.search(cell) and len(cell) <= 20:
                names.setdefault(cell, ln)
        elif m := COMP_LIST.search(ln.text):
            for part in re.split(r"[、,，/和及与]", re.sub(r"[（(][^）)]*[）)]|等", "", m.group(1) or m.group(2))):
                part = part.strip(" ：:")
                if part and len(part) <= 15 and not COMP_NOISE.search(part):
                    names.setdefault(part, ln)
        elif COMP_HEADER.search(ln.sub) and (head := ln.text.partition("：")[0]) and len(head) <= 15 and head != ln.text:
            if not COMP_NOISE.search(head):
                names.setdefault(head, ln)
    return list(names), list(names.values())


@check("competitors_named")
def competitors_named(doc: PlanDoc, item: ItemSpec) -> Verdict:
    names, _ = competitor_names(doc, item)
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


def _described(ln: Line) -> bool:
    if ln.cells:
        return all(any(substantive(v) for v in cells_matching(ln, p)) for p in (STRENGTH, WEAKNESS, RESPONSE))
    return all(p.search(ln.text) for p in (STRENGTH, WEAKNESS, RESPONSE)) and substantive(ln.text)


@check("competitor_depth")
def competitor_depth(doc: PlanDoc, item: ItemSpec) -> Verdict:
    names, lines = competitor_names(doc, item)
    if not names:
        return fail("未列出具体竞争对手，无法分析其优势、劣势与我方应对", item.section)
    scope = [ln for _, ln in scoped(doc, item)]
    shallow = []
    for name, ln in zip(names, lines, strict=False):
        described = [ln] + [other for other in scope if other is not ln and name in other.text]
        if not any(_described(d) for d in described):
            shallow.append((name, described[-1]))
    if not shallow:
        return ok(f"{len(names)}家对手都写明了优势、劣势与应对")
    return fail(f"{len(shallow)}/{len(names)}家对手的优劣势或应对不具体，如{shallow[0][0]}：{quote(shallow[0][1].text)}",
                item.section)


PEST = {"政策": re.compile(r"政策|法规|监管|政府|法律|合规"), "经济": re.compile(r"经济|GDP|景气|消费水平|利率|汇率|投资|开工|预算"),
        "社会": re.compile(r"社会|人口|文化|习惯|消费观念|老龄|观念"), "技术": re.compile(r"技术|数字化|智能|AI|自动化|互联网|信息化")}


@check("pest_factors")
def pest_factors(doc: PlanDoc, item: ItemSpec) -> Verdict:
    found: dict[str, str] = {}
    for _, ln in scoped(doc, item):
        for dim, pattern in PEST.items():
            if dim not in found and pattern.search(subject(ln)) and len(ln.text) >= 8:
                found[dim] = ln.text
    if len(found) >= item.params.get("min", 3):
        return ok(f"PEST覆盖{len(found)}个维度：{'、'.join(found)}")
    return fail(f"PEST只覆盖{len(found)}个维度" + (f"（{'、'.join(found)}）" if found else ""), item.section)


MARKET_DATA = re.compile(r"市场规模|市场容量|市场总量|市场空间|增速|增长率|渗透率|占有率|市场份额|复合增长")


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
    missing = [n for n in QUADRANTS if n not in found]
    if not missing:
        return ok("四个象限都有内容，如优势" + quote(found["优势"], 30))
    return fail(f"SWOT缺少：{'、'.join(missing)}", item.section)


SEGMENT = re.compile(r"客户群|客户类型|细分|画像|行业|规模|企业|用户")
NEEDS = re.compile(r"需求|痛点|关注|诉求|顾虑")


@check("persona_needs")
def persona_needs(doc: PlanDoc, item: ItemSpec) -> Verdict:
    lines = [ln for _, ln in scoped(doc, item)]
    segment = next((ln for ln in lines if SEGMENT.search(ln.text)), None)
    cells = [v for ln in lines if ln.cells for v in cells_matching(ln, NEEDS)]
    texts = [ln.text.partition("：")[2] or ln.text for ln in lines if not ln.cells and NEEDS.search(ln.text)]
    needs = [v for v in (cells or texts) if substantive(v) and len(v) >= 6]  # a persona table speaks for itself
    if segment and needs:
        return ok(f"客户群{quote(segment.text, 30)}；需求{quote(needs[0], 30)}")
    if segment is None:
        return fail("未描述目标客户群", item.section)
    unsure = next((v for ln in lines for v in cells_matching(ln, NEEDS)), "")
    return fail("客户需求尚未确认" + (f"：{quote(unsure)}" if unsure else "（没有写出具体需求或痛点）"), item.section)


@check("strategy_items")
def strategy_items(doc: PlanDoc, item: ItemSpec) -> Verdict:
    rows = [ln for _, ln in scoped(doc, item) if len(ln.text) >= 8 and substantive(ln.text)]
    if len(rows) >= item.params.get("min", 3):
        return ok(f"{len(rows)}条策略/举措，如{quote(rows[0].text)}")
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
    with_target = [ln for ln in named if any(NUMBER_RE.search(v) for v in cells_matching(ln, SHARE_OR_AMOUNT))
                   or (not ln.cells and (MONEY_RE.search(ln.text) or RATE_RE.search(ln.text)))]
    need = item.params.get("min", 2)
    if len(with_target) >= need:
        return ok(f"{len(with_target)}个渠道有目标：{'、'.join(subject(ln) for ln in with_target[:5])}")
    if len(named) < need:
        return fail(f"只列出{len(named)}个明确的渠道" + (f"：{quote(subject(rows[0]))}" if rows else ""), item.section)
    return fail(f"{len(named)}个渠道中只有{len(with_target)}个写明目标占比或金额", item.section)

