"""Plan coherence: sentences that contradict the plan itself, found the way a careful reader finds them.

- an assumption stated as fact: a sentence asserts what the plan's own 待确认 list says is still unknown
  (「已有13人的销售团队」 while 现有销售团队人数 is an open question);
- equal values called the heaviest: 「业绩最重的季度为Q1」 when all quarters carry the same target, or a named peak that
  is not the largest;
- actions out of order: a lead-generating action dated after the last day an opportunity can still close in the
  period, or an action dated before what it depends on (training before the hires arrive);
- action owners that the team table does not have;
- doubled words left by template filling (主营主营产品).

Each check reads a PlanDoc (SalesPlan, Markdown or DOCX alike) and is registered for knowledge/checklist.yaml.
"""

from __future__ import annotations

import re
from datetime import date

from .checklist import ItemSpec
from .document import PlanDoc
from .registry import Verdict, check, fail, na, ok

_HEDGE = re.compile(r"假设|估算|测算|待确认|待核实|暂按|如果|若|是否|预计|请|需确认|未提供|按.{0,12}(计|算|估)")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"[。；;！？\n]", text) if s.strip()]


def _content(doc: PlanDoc) -> list[tuple[str, str]]:
    """(section key, sentence) for every sentence of every section's content (not its 待确认 or assumptions)."""
    return [(key, s) for key, sec in doc.sections.items() for ln in sec.lines for s in _sentences(ln.text)]


@check("assumption_not_fact")
def assumption_not_fact(doc: PlanDoc, item: ItemSpec) -> Verdict:
    """A sentence asserts what the plan lists as unknown. params.topics: [{label, asks: [..], claims: regex}]."""
    found = []
    for topic in item.params.get("topics", []):
        if not doc.questions_about(topic["asks"]):
            continue
        claim = re.compile(topic["claims"])
        for key, sentence in _content(doc):
            if claim.search(sentence) and not _HEDGE.search(sentence):
                found.append((key, topic["label"], sentence))
                break
    if not found:
        return ok("没有把待确认的事项写成事实")
    key, label, sentence = found[0]
    more = f"等{len(found)}处" if len(found) > 1 else ""
    return fail(f"「{sentence[:40]}」把{label}写成了事实，但方案同时把{label}列为待确认{more}",
                *dict.fromkeys(k for k, _, _ in found))


_PEAK_CLAIM = re.compile(r"(?:业绩|目标|任务|销售)?最(?:重|高|多|大)的(季度|月份?)(?:为|是|在)\s*([0-9]{4}年)?\s*"
                         r"(Q[1-4]|[0-9]{1,2}月|第?[一二三四]季度)")


def _period_table(doc: PlanDoc, kind: str) -> dict[str, float]:
    """{label: amount} of the quarter or month breakdown table."""
    sec = doc.section("target_breakdown")
    if not sec:
        return {}
    want = re.compile(r"Q[1-4]|季度") if kind == "季度" else re.compile(r"\d{1,2}月")
    for table in sec.tables:
        label_col = table.col(re.compile(r"期间|季度|月份|月度|时间"))
        amount_col = table.col(re.compile(r"金额|目标"), exclude=re.compile(r"占比|权重"))
        if label_col is None or amount_col is None:
            continue
        rows = {r[label_col]: _num(r[amount_col]) for r in table.rows if len(r) > max(label_col, amount_col)}
        rows = {k: v for k, v in rows.items() if v is not None and want.search(k) and not (
            kind == "季度" and re.search(r"\d{1,2}月", k))}
        if len(rows) >= 2:
            return rows
    return {}


def _num(text: str) -> float | None:
    m = re.search(r"-?\d[\d,]*(?:\.\d+)?", text or "")
    return float(m.group(0).replace(",", "")) if m else None


@check("no_false_peak")
def no_false_peak(doc: PlanDoc, item: ItemSpec) -> Verdict:
    """「最重的季度为Q1」 must name the largest period, and only when periods differ."""
    for key, sentence in _content(doc):
        m = _PEAK_CLAIM.search(sentence)
        if not m:
            continue
        kind = "季度" if "季" in m.group(1) else "月"
        table = _period_table(doc, kind)
        if not table:
            continue
        values = list(table.values())
        named = m.group(3)
        if max(values) - min(values) <= 0.005 * max(values):
            return fail(f"「{sentence[:40]}」：各{kind}目标基本相同（{min(values):g}–{max(values):g}），没有最重的{kind}",
                        key, "target_breakdown")
        top = max(table, key=table.get)
        if named not in top and not any(named in k and v >= max(values) - 1e-6 for k, v in table.items()):
            return fail(f"「{sentence[:40]}」与目标分解不符：最大的是{top}（{table[top]:g}）", key, "target_breakdown")
    return ok("没有把相同或较小的期间写成最重")


_DATE = re.compile(r"(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})")


def _date(text: str) -> date | None:
    m = _DATE.search(text or "")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
    except ValueError:
        return None


def _actions(doc: PlanDoc) -> list[tuple[str, str, date | None]]:
    """(task, owner, date) rows of the action table."""
    sec = doc.section("action_plan")
    if not sec:
        return []
    for table in sec.tables:
        t = table.col(re.compile(r"任务|事项|内容|工作"))
        o = table.col(re.compile(r"负责|责任|owner", re.I))
        d = table.col(re.compile(r"时间|日期|节点|完成"))
        if t is None or d is None:
            continue
        return [(r[t], r[o] if o is not None and o < len(r) else "", _date(r[d] if d < len(r) else ""))
                for r in table.rows if len(r) > t]
    return []


_LAST_DATE = re.compile(r"(?:商机|项目|线索|获客)[^。；\n]{0,12}最晚[^。；\n]{0,8}?(\d{4}[-年/.]\d{1,2}[-月/.]\d{1,2})"
                        r"|最晚(?:进入|建立)[^。；\n]{0,10}(\d{4}[-年/.]\d{1,2}[-月/.]\d{1,2})")


def last_usable_date(doc: PlanDoc) -> date | None:
    """The last day a new opportunity can still close in the period, as the plan states it."""
    for sec in doc.sections.values():
        for ln in sec.lines:
            if ln.cells:
                name = next(iter(ln.cells.values()), "")
                if re.search(r"最晚", name):
                    for v in list(ln.cells.values())[1:]:
                        if (d := _date(v)) is not None:
                            return d
            m = _LAST_DATE.search(ln.text)
            if m:
                return _date(m.group(1) or m.group(2))
    return None


@check("actions_in_order")
def actions_in_order(doc: PlanDoc, item: ItemSpec) -> Verdict:
    """Lead-generating actions on or before the last usable date; dependent actions after what they depend on.
    params.pipeline: regex of lead-generating tasks; params.next_period: regex marking work for the next period;
    params.pairs: [{topic, first, then}] regexes."""
    rows = _actions(doc)
    if not rows:
        return na("没有行动计划表")
    problems = []
    last = last_usable_date(doc)
    pipeline = re.compile(item.params.get("pipeline", r"获客|线索|展会|招商|推广|投放|邀约|勘查|铺市|开发"))
    later = re.compile(item.params.get("next_period", r"下一期|下期|次年|下一年度"))
    if last:
        for task, _, when in rows:
            if when and when > last and pipeline.search(task) and not later.search(task):
                problems.append(f"「{task[:24]}」安排在{when:%Y-%m-%d}，晚于商机最晚进入日{last:%Y-%m-%d}，期内无法成交")
    for pair in item.params.get("pairs", []):
        topic, first, then = (re.compile(pair[k]) for k in ("topic", "first", "then"))
        firsts = [(t, d) for t, _, d in rows if d and topic.search(t) and first.search(t)]
        thens = [(t, d) for t, _, d in rows if d and topic.search(t) and then.search(t) and not first.search(t)]
        if firsts and thens:
            earliest_first = min(d for _, d in firsts)
            for t, d in thens:
                if d < earliest_first:
                    problems.append(f"「{t[:24]}」（{d:%Y-%m-%d}）早于它的前提「{firsts[0][0][:20]}」（{earliest_first:%Y-%m-%d}）")
    if problems:
        return fail("；".join(problems[:3]) + (f"等{len(problems)}处" if len(problems) > 3 else ""), "action_plan")
    return ok("行动的时间与销售周期、前后依赖一致" if last else "行动的前后依赖一致")


def _team_roles(doc: PlanDoc) -> list[str]:
    sec = doc.section("team")
    if not sec:
        return []
    roles: list[str] = []
    for table in sec.tables:
        c = table.col(re.compile(r"岗位|角色|职位"))
        if c is not None and not re.search(r"招聘", table.sub):
            roles += [r[c].strip() for r in table.rows if c < len(r) and r[c].strip()]
    return roles


@check("owners_in_team")
def owners_in_team(doc: PlanDoc, item: ItemSpec) -> Verdict:
    """Every action owner is a role of the team table (or an outside department). params.departments: regex."""
    roles = _team_roles(doc)
    rows = _actions(doc)
    if not roles or not rows:
        return na("没有团队表或行动计划表")
    outside = re.compile(item.params.get("departments", r"财务|人力|HR|法务|市场部|产品部|生产|物流|质量|供应链|医学部|IT"))
    missing = []
    team_text = doc.section("team").text  # people named in the team section ('区域销售 | 6 | 张涛、王珂…') are in it
    for _task, owner, _ in rows:
        for name in filter(None, (p.strip() for p in re.split(r"[、,，/;；]|与|和|及", owner))):
            base = re.sub(r"[（(].*?[)）]", "", name)
            if outside.search(base) or base in team_text or any(r in base or base in r or _core(r) in base
                                                                 for r in roles):
                continue
            missing.append(name)
    if missing:
        names = "、".join(dict.fromkeys(missing))
        return fail(f"行动计划的负责人{names}不在团队表里（团队表岗位：{'、'.join(roles)}）", "action_plan", "team")
    return ok("行动负责人都在团队表里")


def _core(role: str) -> str:
    """「医院客户经理（6人）」 -> 医院客户经理; very short roles are compared whole."""
    return re.sub(r"[（(].*?[)）]|\d+人", "", role).strip() or role


_DOUBLE = re.compile(r"([\u4e00-\u9fff]{2,4})\1")
_FINE_DOUBLES = re.compile(r"^(一.)$|^(讨论|研究|考虑|商量|交流|学习|了解|检查|总结|比较|沟通|看看|试试|想想|说说)$")


@check("no_doubled_words")
def no_doubled_words(doc: PlanDoc, item: ItemSpec) -> Verdict:
    hits = []
    for key, sec in doc.sections.items():
        for m in _DOUBLE.finditer(sec.text):
            if not _FINE_DOUBLES.match(m.group(1)):
                hits.append((key, m.group(0)))
    if hits:
        words = "、".join(dict.fromkeys(h for _, h in hits))
        return fail(f"有重复的词：{words}", *dict.fromkeys(k for k, _ in hits))
    return ok("没有重复的词")
