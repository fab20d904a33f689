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
        for number, suffix in MONEY_RE.findall(sec.text):
            unit = normalise_unit(suffix)
            if unit == "元" and _value(number) < 10_000:
                continue  # a unit price ('每店每年1,500元'), not an amount in a second unit
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




def _value(number: str) -> float:
    try:
        return float(number.replace(",", ""))
    except ValueError:
        return 0.0


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


ASSUMPTION_WORD = re.compile(r"假设|假定|前提[是为：:]|按.{0,10}估算|"
                            r"(?:依据|根据|参照|按照?|来源|过去|近[一两三]个?(?:年|季度|月)|去年|上年|前两年|"
                            r"\d{4}\s*[—\-至、]\s*\d{4}|\d{4}\s*年|CRM|历史)"
                            r"[^。；]{0,24}(?:数据|记录|实际|平均|人均|比例|分布|占比|统计|水平|成交率|转化率|赢单率)")
BASIS_HEADER = re.compile(r"依据|来源|出处")


@check("assumptions_listed")
def assumptions_listed(doc: PlanDoc, item: ItemSpec) -> Verdict:
    found = list(doc.assumptions) + [a for s in doc.sections.values() for a in s.assumptions]
    found += [ln.text for ln in doc.all_lines() if ASSUMPTION_WORD.search(ln.text)
              or any(substantive(v) for v in cells_matching(ln, BASIS_HEADER))]
    if len(found) >= item.params.get("min", 2):
        return ok(f"写明{len(found)}条测算假设或依据，如{quote(found[0])}")
    return fail(f"只找到{len(found)}条测算假设或依据" + (f"：{quote(found[0])}" if found else ""), "funnel_capacity")


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
        if doc.facts.target_line is None:
            return fail("未找到带金额和单位的销售额目标", item.section)
        sentence = doc.facts.target_line[0]
        if doc.facts.period is None and not DEADLINE_WORD.search(sentence):
            return fail(f"销售额目标缺少截止时间：{quote(sentence)}", item.section)
        return ok(f"销售额目标{quote(sentence)}（计划周期内完成）")
    key, ln = hit
    if DEADLINE_WORD.search(ln.text) or parse_deadline(ln.text, doc.facts.period_dates) or doc.facts.period:
        return ok(f"销售额目标{quote(ln.text)}{where(doc, key, item)}")
    return fail(f"销售额目标缺少截止时间：{quote(ln.text)}", key)


COLLECTION = re.compile(r"回款|到账|收款")


@check("collection_target")
def collection_target(doc: PlanDoc, item: ItemSpec) -> Verdict:
    hit = first(scoped(doc, item), COLLECTION, lambda ln: _has_money(ln) or bool(RATE_RE.search(ln.text))
                or bool(re.search(r"全额到账|当月全额|当期到账|一次性收取", ln.text)))
    if hit:
        return ok(f"回款目标{quote(hit[1].text)}{where(doc, hit[0], item)}")
    return fail("未找到回款目标（金额或回款率）", item.section)


NON_REVENUE = re.compile(r"新客户|新增客户|新签|新开客户|新开发|新进入|新增.{0,6}(?:客户|家|品牌|经销商|门店|食堂)|客户数|"
                         r"市场份额|占有率|市占率|毛利|利润率|复购|续约|续费|续报|转介绍|客户留存")


NON_REVENUE_VALUE = re.compile(rf"(?:{NON_REVENUE.pattern})[^，。；\d]{{0,10}}\d+(?:\.\d+)?\s*(?:家|个|人|名|%|％|单|所|台|场)")


@check("non_revenue_target")
def non_revenue_target(doc: PlanDoc, item: ItemSpec) -> Verdict:
    hit = first(scoped(doc, item), NON_REVENUE, lambda ln: bool(NUMBER_RE.search(ln.text)), on_subject=True) \
        or first(scoped(doc, item), NON_REVENUE_VALUE, lambda ln: not ln.cells)
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


SEASON = re.compile(r"季节|淡季|旺季|淡旺季|权重|去年同期|高峰|春节|暑期|年底|集中|占[一二三四五六七八九\d]+成|"
                    r"(?:各月|各季度?|月度|往年|历史|过去|前两年|[两三]年|\d{4}).{0,14}(?:占比|比例|分布|实际)")
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
    hits = []  # one per activity: a table row, or each number-bearing part of '每周…不少于5家、…不少于3场'
    for _, ln in scoped(doc, item):
        if WEEKLY.search(ln.text) and NUMBER_RE.search(ln.text):
            parts = [ln.text] if ln.cells else [p for p in re.split(r"[、，,；;]", ln.text) if NUMBER_RE.search(p)]
            hits += parts
    if len(hits) >= item.params.get("min", 2):
        return ok(f"{len(hits)}项每周活动量目标，如{quote(hits[0])}")
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
