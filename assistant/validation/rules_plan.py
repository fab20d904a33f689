"""Execution checks: team and hiring, action items, KPIs and incentives, tracking cadence, risks, evaluation.

Rows of a table are read by their column headings; plans written as lists are read item by item.
"""

from __future__ import annotations

import re

from .checklist import ItemSpec
from .document import Line, PlanDoc
from .facts import NUMBER_RE, parse_deadline, quote, substantive
from .registry import OWNER_HEADER, OWNER_RE, Verdict, cells_matching, check, fail, na, ok, scoped, subject


def records(doc: PlanDoc, keys: list[str], name_header: re.Pattern[str]) -> list[Line]:
    """Table rows of the tables whose headings name the records; else the list items; else paragraph lines."""
    lines = [ln for _, ln in doc.lines(keys)]
    rows = [ln for ln in lines if ln.cells and any(name_header.search(h) for h in ln.cells)]
    if rows:
        return rows
    items = [ln for ln in lines if ln.kind == "item" and len(ln.text) >= 6]
    return items or [ln for ln in lines if ln.kind == "para" and len(ln.text) >= 10]


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
NO_HIRE = re.compile(r"不新增|无新增|无需招聘|不招聘|维持现有|不扩编|暂不招聘|无招聘")


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
DELIVER_T = re.compile(r"交付|成果|产出|输出|形成|提交|报告|清单|方案|名单|表|记录|完成率")


def action_records(doc: PlanDoc, item: ItemSpec) -> list[Line]:
    return records(doc, item.scope, TASK_H)


def action_deadline(doc: PlanDoc, ln: Line):  # noqa: ANN201 - date | None
    texts = [v for h, v in ln.cells.items() if DEADLINE_H.search(h)] if ln.cells else [ln.text]
    return next((d for t in texts if (d := parse_deadline(t, doc.facts.period_dates))), None)


@check("action_items_complete")
def action_items_complete(doc: PlanDoc, item: ItemSpec) -> Verdict:
    rows = action_records(doc, item)
    return complete_rows(rows, {"负责人": (OWNER_HEADER, OWNER_TEXT), "交付成果": (DELIVER_H, DELIVER_T)}, "项行动",
                         item.params.get("min", 3), item.section,
                         extra={"时间节点": [ln for ln in rows if action_deadline(doc, ln) is None]})


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
FORMULA_T = re.compile(r"公式|=|＝|÷|/|计算|占比|比率|之比|除以|[：:][^，,；;]{2,20}数(?:[，,；;]|$)")
TARGET_H = re.compile(r"目标")
TARGET_T = re.compile(r"目标|≥|≤|>=|<=|不低于|不少于|不超过|达到|\d")
FREQ_H = re.compile(r"频率|周期|频次")
FREQ_T = re.compile(r"每日|每天|每周|周度|每月|月度|每季|季度|年度|每年|按月|按周|按季")


@check("kpi_complete")
def kpi_complete(doc: PlanDoc, item: ItemSpec) -> Verdict:
    rows = [ln for ln in records(doc, [item.section], KPI_H)
            if not re.search(r"提成|奖金|激励|奖励", subject(ln)) or ln.cells]
    return complete_rows(rows, {"计算公式": (FORMULA_H, FORMULA_T), "目标值": (TARGET_H, TARGET_T),
                                "考核频率": (FREQ_H, FREQ_T), "负责人": (OWNER_HEADER, OWNER_TEXT)},
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
    hits = [ln for _, ln in scoped(doc, item) if WARNING.search(ln.text) and NUMBER_RE.search(ln.text)]
    need = item.params.get("min", 2)
    if len(hits) >= need:
        return ok(f"{len(hits)}条量化预警，如{quote(hits[0].text)}")
    return fail(f"量化的预警阈值只有{len(hits)}条（至少{need}条）", item.section)


# ---------------------------------------------------------------- risks

RISK_H = re.compile(r"风险")
TRIGGER_H = re.compile(r"触发|信号|征兆|预警|判断|识别")
TRIGGER_T = re.compile(r"触发|信号|征兆|一旦|当.{1,20}时|如果|若|超过|低于|连续|以上|以下|达到")
RESPONSE_H = re.compile(r"应对|措施|对策|预案|处理")
RESPONSE_T = re.compile(r"应对|措施|对策|预案|启动|调整|加强|建立|暂停|升级|辅导|催收|增加|更换|约谈|上报|复盘|补充")
RISK_CLASSES = {"市场风险": re.compile(r"市场|竞争|价格战|政策"), "管理风险": re.compile(r"管理|人员|团队|人才|离职|资源"),
                "客户风险": re.compile(r"客户|回款|信用|流失|账期"), "执行风险": re.compile(r"执行|实施|落地|进度|活动量")}


@check("risks_complete")
def risks_complete(doc: PlanDoc, item: ItemSpec) -> Verdict:
    rows = records(doc, [item.section], RISK_H)
    return complete_rows(rows, {"触发信号": (TRIGGER_H, TRIGGER_T), "应对措施": (RESPONSE_H, RESPONSE_T),
                                "负责人": (OWNER_HEADER, OWNER_TEXT)}, "项风险", item.params.get("min", 3), item.section)


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
    rows = [ln for _, ln in scoped(doc, item) if len(ln.text) >= 6 and METRIC.search(ln.text)]
    if len(rows) >= item.params.get("min", 2):
        return ok(f"{len(rows)}条评估维度/指标，如{quote(rows[0].text)}")
    return fail(f"可量化的评估维度只有{len(rows)}条（至少{item.params.get('min', 2)}条）", item.section)
