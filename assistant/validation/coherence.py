"""Plan coherence: sentences that contradict the plan itself, found the way a careful reader finds them.

- an assumption stated as fact: a sentence asserts what the plan's own 待确认 list says is still unknown
  (「已有13人的销售团队」 while 现有销售团队人数 is an open question), or a headcount the team section does not list
  (「8名销售已全部到岗」 while the team names 5);
- equal values called the heaviest: 「三季度是全年任务最重的季度」 when 二季度 carries the same amount, or a named peak
  that is not the largest (periods read as Q3 / 三季度 / 第三季度 / 7到9月 alike);
- actions out of order: a lead-generating action dated after the last day an opportunity can still close in the
  period (stated, or the period's end less the stated sales cycle), or an action dated before what it depends on —
  the hires before their training, or the action that makes what another one uses (发布新价格体系 before
  按新价格体系签框架);
- action owners that the team (a table of roles, or people named in prose) does not have;
- doubled words left by template filling (主营主营产品).

Each check reads a PlanDoc (SalesPlan, Markdown or DOCX alike) and is registered for knowledge/checklist.yaml.
"""

from __future__ import annotations

import re

from .checklist import ItemSpec
from .document import PlanDoc
from .prose import PERSON_NAME, people_in_text, split_top
from .registry import Verdict, check, fail, na, ok
from .stated_numbers import months, quarters
from .timeline import Action, actions, last_usable_date, prerequisites

_HEDGE = re.compile(r"假设|估算|测算|待确认|待核实|暂按|如果|若|是否|预计|请|需确认|未提供|按.{0,12}(计|算|估)")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"[。；;！？\n]", text) if s.strip()]


def _content(doc: PlanDoc) -> list[tuple[str, str]]:
    """(section key, sentence) for every sentence of every section's content (not its 待确认 or assumptions)."""
    return [(key, s) for key, sec in doc.sections.items() for ln in sec.lines for s in _sentences(ln.text)]


@check("assumption_not_fact")
def assumption_not_fact(doc: PlanDoc, item: ItemSpec) -> Verdict:
    """A sentence asserts what the plan lists as unknown, or a number of people the team section does not list.
    params.topics: [{label, asks: [..], claims: regex, listed: "team" (compare the claimed count with the people
    the team section names)}]."""
    found = []
    for topic in item.params.get("topics", []):
        asked = doc.questions_about(topic["asks"])
        listed = team_listing(doc) if topic.get("listed") == "team" else []
        claim = re.compile(topic["claims"])
        for key, sentence in _content(doc):
            if not (m := claim.search(sentence)) or _HEDGE.search(sentence):
                continue
            count = int(re.search(r"\d+", m.group(0)).group(0)) if re.search(r"\d+", m.group(0)) else None
            contradicted = bool(listed) and count is not None and count not in (len(listed), _team_size(doc))
            if asked or contradicted:
                found.append((key, topic["label"], sentence, asked, listed if contradicted else []))
                break
    if not found:
        return ok("没有把待确认的事项写成事实")
    key, label, sentence, asked, listed = found[0]
    sides = []
    if asked:
        sides.append(f"方案同时把{label}列为待确认（「{asked[0][:40]}」）")
    if listed:
        sides.append(f"团队里只列了{len(listed)}人（{'、'.join(listed[:8])}）")
    more = f"；另有{len(found) - 1}处" if len(found) > 1 else ""
    return fail(f"「{sentence[:40]}」把{label}写成了事实，但" + "，".join(sides) + more,
                *dict.fromkeys(k for k, *_ in found))


_ROLE_LIST = re.compile(r"^(?:销售代表|销售顾问|销售人员|销售|业务员|客户经理|顾问)[^：:，,]{0,8}[：:]\s*(.+)$")


def team_listing(doc: PlanDoc) -> list[str]:
    """The sales people the team section lists by name in prose ('销售：王浩（合肥）、许丽（合肥）…')."""
    sec = doc.section("team")
    for ln in sec.lines if sec else []:
        for clause in split_top(ln.text, "；;。\n"):
            if (m := _ROLE_LIST.match(clause)) and len(names := split_top(m.group(1), "、,，")) >= 2:
                return [re.sub(r"[（(].*?[)）]", "", n).strip() for n in names]
    return []


def _team_size(doc: PlanDoc) -> int:
    """Everyone the team section names (managers and support included)."""
    sec = doc.section("team")
    return len(people_in_text(sec.text)) if sec else 0


# ---------------------------------------------------------------- the heaviest period

_PEAK = re.compile(r"最重(?!要|视)|(?:任务|目标|业绩|销售额?|收入|指标)[^，,；;。]{0,4}最(?:高|多|大)|最(?:高|多|大)的(?:季度|月)")
_PERIOD = re.compile(r"[Qq]([1-4])|第?([一二三四1-4])\s*季度|(1[0-2]|0?[1-9])\s*(?:到|至|-|—|~|～)\s*(1[0-2]|0?[1-9])\s*月|"
                     r"(1[0-2]|0?[1-9])\s*月(?!\s*\d{1,2}\s*[日号])")
_CN = {"一": 1, "二": 2, "三": 3, "四": 4}


def period_of(text: str) -> tuple[str, int] | None:
    """('季度', 3) for Q3 / 三季度 / 第三季度 / 7到9月; ('月', 7) for 7月; None for anything else (5到8月)."""
    m = _PERIOD.search(text)
    if not m:
        return None
    if m.group(1) or m.group(2):
        q = m.group(1) or m.group(2)
        return "季度", int(q) if q.isdigit() else _CN[q]
    if m.group(3):
        a, b = int(m.group(3)), int(m.group(4))
        return ("季度", (a + 2) // 3) if a % 3 == 1 and b == a + 2 else None
    return "月", int(m.group(5))


def _period_amounts(doc: PlanDoc, kind: str) -> dict[int, tuple[str, float]]:
    """{quarter or month number: (label as written, amount)} of the target breakdown."""
    rows, key = (quarters if kind == "季度" else months)(doc, ["target_breakdown"])
    if key not in ("target_breakdown", "sales_targets"):
        return {}
    out: dict[int, tuple[str, float]] = {}
    for label, amount in rows:
        if (p := period_of(label)) and p[0] == kind:
            out.setdefault(p[1], (label, amount))
    return out


def _amount(value: float, unit: str) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") + unit


@check("no_false_peak")
def no_false_peak(doc: PlanDoc, item: ItemSpec) -> Verdict:
    """「三季度是全年任务最重的季度」 must name the largest period, and one larger than the rest."""
    unit = doc.facts.unit
    for key, sentence in _content(doc):
        for clause in split_top(sentence, "，"):
            named = {p for m in _PERIOD.finditer(clause) if (p := period_of(m.group(0)))}
            several = re.search(r"\d\s*[、和与及]\s*\d{1,2}\s*月|[一二三四]\s*[、和与及]\s*[一二三四]\s*季度", clause)
            if not _PEAK.search(clause) or re.search(r"不是|并非|不一定|未必", clause) or len(named) != 1 or several:
                continue
            kind, n = named.pop()
            table = _period_amounts(doc, kind)
            if len(table) < 2 or n not in table:
                continue
            label, value = table[n]
            values = [v for _, v in table.values()]
            top, tol = max(values), 0.005 * max(values)
            if top - min(values) <= tol:
                return fail(f"「{clause[:40]}」：各{kind}目标基本相同（{_amount(min(values), '')}–{_amount(top, unit)}），"
                            f"没有最重的{kind}", key, "target_breakdown")
            if value < top - tol:
                big = next(lbl for lbl, v in table.values() if v == top)
                return fail(f"「{clause[:40]}」与目标分解不符：{label}是{_amount(value, unit)}，最大的是{big}（"
                            f"{_amount(top, unit)}）", key, "target_breakdown")
            ties = [lbl for m, (lbl, v) in table.items() if m != n and v >= value - tol]
            if ties:
                return fail(f"「{clause[:40]}」，但{label}{_amount(value, unit)}与{'、'.join(ties)}"
                            f"{_amount(value, unit)}相同，{label}并不比{ties[0]}重", key, "target_breakdown")
    return ok("没有把相同或较小的期间写成最重")


# ---------------------------------------------------------------- actions in time


@check("actions_in_order")
def actions_in_order(doc: PlanDoc, item: ItemSpec) -> Verdict:
    """Lead-generating actions on or before the last usable date; dependent actions after what they depend on.
    params.pipeline: regex of lead-generating tasks; params.next_period: regex marking work for the next period;
    params.pairs: [{topic, first, then}] regexes."""
    rows = [a for a in actions(doc) if a.when]
    if not rows:
        return na("没有带时间节点的行动计划")
    problems = []
    last = last_usable_date(doc)
    pipeline = re.compile(item.params.get("pipeline", r"获客|线索|展会|招商|推广|投放|邀约|勘查|铺市|开发"))
    later = re.compile(item.params.get("next_period", r"下一期|下期|次年|下一年度"))
    if last:
        day, why = last
        for a in rows:
            if a.when > day and pipeline.search(a.task) and not later.search(a.task):
                problems.append(f"「{a.task[:24]}」安排在{a.when:%Y-%m-%d}，晚于商机最晚进入日{day:%Y-%m-%d}{why}，"
                                "期内无法成交")
    for b, a, word in prerequisites(rows, item.params.get("pairs", [])):
        link = f"，要先有{word}" if word else ""
        problems.append(f"「{b.task[:24]}」（{b.when:%Y-%m-%d}）早于它的前提「{a.task[:20]}」（{a.when:%Y-%m-%d}）{link}")
    if problems:
        return fail("；".join(problems[:3]) + (f"等{len(problems)}处" if len(problems) > 3 else ""), "action_plan")
    return ok("行动的时间与销售周期、前后依赖一致" if last else "行动的前后依赖一致")


# ---------------------------------------------------------------- owners


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


def _owner_names(a: Action) -> list[str]:
    return [p.strip() for p in re.split(r"[、,，/;；]|与|和|及", a.owner) if p.strip()]


@check("owners_in_team")
def owners_in_team(doc: PlanDoc, item: ItemSpec) -> Verdict:
    """Every action owner is a role of the team table, a person the team section names, or an outside department.
    params.departments: regex."""
    sec = doc.section("team")
    roles = _team_roles(doc)
    members = sorted(people_in_text(sec.text), key=sec.text.index) if sec else []
    rows = [a for a in actions(doc) if a.owner]
    if not (roles or members) or not rows:
        return na("没有团队的岗位或人员，或行动没有负责人")
    named_elsewhere = _named_outside_actions(doc) if not roles else set()
    outside = re.compile(item.params.get("departments", r"财务|人力|HR|法务|市场部|产品部|生产|物流|质量|供应链|医学部|IT"))
    missing = []
    for a in rows:
        for name in _owner_names(a):
            base = re.sub(r"[（(].*?[)）]", "", name)
            if outside.search(base) or base in sec.text or any(r in base or base in r or _core(r) in base
                                                               for r in roles):
                continue
            if roles or (PERSON_NAME.fullmatch(base) and base not in named_elsewhere):
                missing.append(name)  # a prose team also counts people the plan names outside its actions
    if missing:
        names = "、".join(dict.fromkeys(missing))
        team = f"团队表岗位：{'、'.join(roles)}" if roles else f"团队里的人：{'、'.join(members)}"
        return fail(f"行动计划的负责人{names}不在团队里（{team}）", "action_plan", "team")
    return ok("行动负责人都在团队里")


def _named_outside_actions(doc: PlanDoc) -> set[str]:
    """People the plan names anywhere but its action plan: the quota table's reps, '店长吴倩', '孙强负责'."""
    names: set[str] = set()
    for key, sec in doc.unique_sections():
        if key != "action_plan":
            names |= people_in_text(sec.text)
            names.update(v.strip() for ln in sec.lines for v in (ln.cells or {}).values()
                         if PERSON_NAME.fullmatch(v.strip()))
    return names


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
