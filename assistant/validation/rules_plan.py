"""Execution checks: team and hiring, action items, KPIs and incentives, tracking cadence, risks, evaluation.

Rows of a table are read by their column headings; plans written as lists are read item by item.
"""

from __future__ import annotations

import re

from .checklist import ItemSpec
from .document import Line, PlanDoc
from .facts import NUMBER_RE, parse_deadline, quote, substantive
from .prose import FORMULA, FREQ, RESPONSE, TARGET, TRIGGER, clauses, kpis_in_text, split_top
from .registry import OWNER_HEADER, OWNER_RE, Verdict, cells_matching, check, fail, na, ok, scoped, subject
from .stated_numbers import people


def records(doc: PlanDoc, keys: list[str], name_header: re.Pattern[str]) -> list[Line]:
    """Table rows of the tables whose headings name the records; else the list items; else paragraph lines — items
    and paragraphs split where the writer separated records with '；' ('1月10日前，…；2月28日前，…')."""
    lines = [ln for _, ln in doc.lines(keys)]
    rows = [ln for ln in lines if ln.cells and any(name_header.search(h) for h in ln.cells)]
    if rows:
        return rows
    items = [ln for ln in lines if ln.kind == "item" and len(ln.text) >= 6]
    chosen = items or [ln for ln in lines if ln.kind == "para" and len(ln.text) >= 10]
    out = []
    for ln in chosen:
        parts = [p for p in clauses(ln.text) if len(p) >= 6]
        out += [ln] if len(parts) <= 1 else [Line(text=p, sub=ln.sub, kind=ln.kind) for p in parts]
    return out


ROLE_OWNER = re.compile(r"经理|主管|总监|专员|店长|组长|负责人|顾问|班主任|工程师|市场部|销售部|"
                        r"[^\s，,；;]{1,4}组(?![织合])|各[^，,；;]{1,6}")


def owned(doc: PlanDoc, ln: Line) -> bool:
    """A line names who does it: '负责人：…', '由X负责', a person the plan names, or a role."""
    return bool(OWNER_TEXT.search(ln.text) or ROLE_OWNER.search(ln.text) or any(p in ln.text for p in people(doc)))


def has(ln: Line, header: re.Pattern[str], text: re.Pattern[str]) -> bool:
    """A field is present: a non-empty cell under a matching column, or (for list items) a matching phrase."""
    if ln.cells:
        return any(substantive(v) for v in cells_matching(ln, header))
    return bool(text.search(ln.text))


def complete_rows(rows: list[Line], fields: dict[str, tuple[re.Pattern[str], re.Pattern[str]]], what: str,
                  need: int, section: str, extra: dict[str, list[Line]] | None = None) -> Verdict:
    """Every row has every field (column heading pattern, phrase pattern); the failure names what is missing where."""
    if len(rows) < need:
        return fail(f"只有{len(rows)}{what}（至少{need}{what[0]}）", section)
    gaps = {name: [ln for ln in rows if not has(ln, header, text)] for name, (header, text) in fields.items()}
    gaps.update(extra or {})
    if not any(gaps.values()):
        return ok(f"{len(rows)}{what}都有" + "、".join([*fields, *(extra or {})]))
    parts = [f"{len(lines)}{what[0]}缺{name}（如{quote(lines[0].text, 30)}）" for name, lines in gaps.items() if lines]
    return fail(f"共{len(rows)}{what}：" + "；".join(parts), section)


OWNER_TEXT = re.compile(OWNER_RE.pattern + r"|负责$|负责[，。；]")

# ---------------------------------------------------------------- team

HEADCOUNT = re.compile(r"(\d+)\s*(?:人|名)")
RAMP = re.compile(r"爬坡|上岗期|熟练期|培养期|带教期|新人.{0,10}\d+\s*个?月")
HIRING = re.compile(r"招聘|到岗|入职|扩编|补员|新招|招募|引进|新增.{0,4}人")
HIRING_WHEN = re.compile(r"\d{1,2}\s*月|[Qq][1-4]|[一二三四]季度|期初|年初|上半年|下半年")
NO_HIRE = re.compile(r"不新增|无新增|无需招聘|不招聘|维持现有|不扩编|暂不招聘|无招聘|不增加|不再增加|不再招聘")


@check("team_capacity_plan")
def team_capacity_plan(doc: PlanDoc, item: ItemSpec) -> Verdict:
    lines = [ln for _, ln in scoped(doc, item)]
    head = next((ln for ln in lines if (ln.cells and any("人数" in h and NUMBER_RE.search(v) for h, v in ln.cells.items()))
                 or HEADCOUNT.search(ln.text)), None)
    ramp = next((ln for ln in lines if RAMP.search(ln.text)), None)
    hire = next((ln for ln in lines if HIRING.search(ln.text) and HIRING_WHEN.search(ln.text)), None)
    no_hire = next((ln for ln in lines if NO_HIRE.search(ln.text)), None)
    missing = [name for name, found in (("人数", head), ("新人爬坡期", ramp or no_hire),
                                          ("招聘到岗月份（或写明本期不招聘）", hire or no_hire)) if not found]
    if not missing:
        return ok(f"人数{quote(head.text, 24)}；" + (f"招聘{quote(hire.text, 30)}" if hire else f"{quote(no_hire.text)}"))
    return fail("未写明" + "、".join(missing), item.section)


# ---------------------------------------------------------------- actions

TASK_H = re.compile(r"任务|内容|事项|工作|行动|措施|举措")
DEADLINE_H = re.compile(r"时间|截止|期限|节点|日期|完成")
DELIVER_H = re.compile(r"交付|成果|产出|输出|完成标准|验收")
DELIVER_T = re.compile(r"交付|成果|产出|输出|形成|提交|交出|拿到|报告|清单|方案|名单|表|记录|完成率|协议|到岗|数据|报价|确认")


def action_records(doc: PlanDoc, item: ItemSpec) -> list[Line]:
    return records(doc, item.scope, TASK_H)


def action_deadline(doc: PlanDoc, ln: Line):  # noqa: ANN201 - date | None
    texts = [v for h, v in ln.cells.items() if DEADLINE_H.search(h)] if ln.cells else [ln.text]
    return next((d for t in texts if (d := parse_deadline(t, doc.facts.period_dates))), None)


@check("action_items_complete")
def action_items_complete(doc: PlanDoc, item: ItemSpec) -> Verdict:
    rows = action_records(doc, item)
    unowned = [ln for ln in rows if not (ln.cells and has(ln, OWNER_HEADER, OWNER_TEXT)) and not owned(doc, ln)]
    return complete_rows(rows, {"交付成果": (DELIVER_H, DELIVER_T)}, "项行动", item.params.get("min", 3), item.section,
                         extra={"负责人": unowned, "时间节点": [ln for ln in rows if action_deadline(doc, ln) is None]})


@check("action_deadlines_in_period")
def action_deadlines_in_period(doc: PlanDoc, item: ItemSpec) -> Verdict:
    period = doc.facts.period_dates
    dated = [(ln, d) for ln in action_records(doc, item) if (d := action_deadline(doc, ln))]
    if not period or not dated:
        return na("缺少计划周期或行动时间节点")
    start, end = period
    outside = [(ln, d) for ln, d in dated if not start <= d <= end]
    if not outside:
        return ok(f"{len(dated)}个时间节点都在{start:%Y-%m-%d}至{end:%Y-%m-%d}内")
    ln, d = outside[0]
    return fail(f"{len(outside)}个时间节点超出计划周期（{start:%Y-%m-%d}至{end:%Y-%m-%d}），如{d:%Y-%m-%d}："
                f"{quote(ln.text, 30)}", item.section)


# ---------------------------------------------------------------- KPI and incentives

KPI_H = re.compile(r"指标|KPI|考核项|考核内容", re.I)
FORMULA_H = re.compile(r"公式|计算|口径|定义|算法")
TARGET_H = re.compile(r"目标")
FREQ_H = re.compile(r"频率|周期|频次")


@check("kpi_complete")
def kpi_complete(doc: PlanDoc, item: ItemSpec) -> Verdict:
    rows = [ln for ln in records(doc, [item.section], KPI_H)
            if not re.search(r"提成|奖金|激励|奖励", subject(ln)) or ln.cells]
    if not any(ln.cells for ln in rows):  # KPIs written in sentences: '考核看三个指标：A（…）、B（…）和C（…）'
        named = [Line(text=k.text, kind="item") for _, ln in doc.lines([item.section])
                 for k in kpis_in_text(ln.text, in_kpi_section=True)]
        rows = named or rows
    return complete_rows(rows, {"计算公式": (FORMULA_H, FORMULA), "目标值": (TARGET_H, TARGET),
                                "考核频率": (FREQ_H, FREQ), "负责人": (OWNER_HEADER, OWNER_TEXT)},
                         "个KPI", item.params.get("min", 3), item.section)


INCENTIVE = re.compile(r"提成|奖金|激励|奖励|佣金|分成|绩效工资|奖惩|计提")


@check("incentive_rule")
def incentive_rule(doc: PlanDoc, item: ItemSpec) -> Verdict:
    rule = next((ln for _, ln in scoped(doc, item) if INCENTIVE.search(ln.text) and NUMBER_RE.search(ln.text)
                 and not ln.cells), None)
    if rule:
        return ok(f"激励规则{quote(rule.text)}")
    vague = next((ln for _, ln in scoped(doc, item) if INCENTIVE.search(ln.text)), None)
    if vague:
        return fail(f"激励规则没有量化（比例、系数或金额）：{quote(vague.text)}", item.section)
    return fail("未写明激励规则（提成、奖金等）", item.section)


# ---------------------------------------------------------------- tracking

CADENCE = {"日": re.compile(r"每日|每天|日报|晨会|日会|夕会|日跟进|频率：日"),
           "周": re.compile(r"每周|周会|周报|周复盘|周例会|频率：周"),
           "月": re.compile(r"每月|月度|月会|月报|月总结|月例会|频率：月"),
           "季": re.compile(r"每季|季度|季会|季报|频率：季")}
WARNING = re.compile(r"预警|警戒|红线|阈值|低于|高于|超过|偏差|落后|不足")


@check("review_cadence")
def review_cadence(doc: PlanDoc, item: ItemSpec) -> Verdict:
    text = "\n".join(ln.text for _, ln in scoped(doc, item))
    found = [name for name, pattern in CADENCE.items() if pattern.search(text)]
    if len(found) >= item.params.get("min", 3):
        return ok(f"跟踪节奏覆盖：{'、'.join(found)}")
    return fail(f"跟踪节奏只覆盖{len(found)}种" + (f"（{'、'.join(found)}）" if found else "") + "，需要日/周/月/季中至少3种",
                item.section)


@check("early_warning")
def early_warning(doc: PlanDoc, item: ItemSpec) -> Verdict:
    hits = []  # one per threshold: '月达成率低于80%，或在谈商机金额低于…2.5倍' holds two
    for _, ln in scoped(doc, item):
        parts = [ln.text] if ln.cells else re.split(r"[，,；;。]|或者?", ln.text)
        hits += [p for p in parts if WARNING.search(p) and NUMBER_RE.search(p)]
    need = item.params.get("min", 2)
    if len(hits) >= need:
        return ok(f"{len(hits)}条量化预警，如{quote(hits[0])}")
    return fail(f"量化的预警阈值只有{len(hits)}条（至少{need}条）", item.section)


# ---------------------------------------------------------------- risks

RISK_H = re.compile(r"风险")
TRIGGER_H = re.compile(r"触发|信号|征兆|预警|判断|识别")
TRIGGER_T = re.compile(TRIGGER.pattern + r"|触发|征兆|以上|以下|达到")
RESPONSE_H = re.compile(r"应对|措施|对策|预案|处理")
RESPONSE_T = re.compile(RESPONSE.pattern + r"|建立|辅导|更换|上报|复盘|补充")
RISK_CLASSES = {"市场风险": re.compile(r"市场|竞争|价格|政策|对手|需求|补贴|集采|客流|低价|监管|生源"),
                "管理风险": re.compile(r"管理|人员|团队|人才|离职|资源|招不到|留不住|到岗|新人|关键人"),
                "客户风险": re.compile(r"客户|回款|信用|流失|账期|付款"),
                "执行风险": re.compile(r"执行|实施|落地|进度|活动量|投放|效果|延期|推迟|废标|响应|交付|不到计划|低于计划|未达")}


@check("risks_complete")
def risks_complete(doc: PlanDoc, item: ItemSpec) -> Verdict:
    rows = [ln for ln in records(doc, [item.section], RISK_H)
            if ln.cells or not re.match(r"^[^，,。]{0,16}(?:风险|应对)[^，,。]{0,10}[：:]?$", ln.text)]
    unowned = [ln for ln in rows if not (ln.cells and has(ln, OWNER_HEADER, OWNER_TEXT)) and not owned(doc, ln)]
    return complete_rows(rows, {"触发信号": (TRIGGER_H, TRIGGER_T), "应对措施": (RESPONSE_H, RESPONSE_T)},
                         "项风险", item.params.get("min", 3), item.section, extra={"负责人": unowned})


@check("risk_classes")
def risk_classes(doc: PlanDoc, item: ItemSpec) -> Verdict:
    sec = doc.section(item.section)
    if sec is None:
        return fail("没有风险章节", item.section)
    text = sec.title + "\n" + sec.text
    found = [name for name, pattern in RISK_CLASSES.items() if pattern.search(text)]
    missing = [n for n in RISK_CLASSES if n not in found]
    if not missing:
        return ok("覆盖市场、管理、客户、执行四类风险")
    return fail(f"缺少{'、'.join(missing)}", item.section)


# ---------------------------------------------------------------- evaluation

METRIC = re.compile(r"率|指标|达成|满意度|产能|成本|数量|数|金额|评分")


@check("evaluation_dimensions")
def evaluation_dimensions(doc: PlanDoc, item: ItemSpec) -> Verdict:
    rows = [part for _, ln in scoped(doc, item)  # a dimension per row, or per part of '从四个维度评：A（…）、B（…）'
            for part in ([ln.text] if ln.cells else split_top(re.sub(r"^[^：:]{0,16}[：:]", "", ln.text), "、；;"))
            if len(part) >= 2 and METRIC.search(part)]
    if len(rows) >= item.params.get("min", 2):
        return ok(f"{len(rows)}条评估维度/指标，如{quote(rows[0])}")
    return fail(f"可量化的评估维度只有{len(rows)}条（至少{item.params.get('min', 2)}条）", item.section)
