"""Reading people and counts: team rows with roles and mixtures (5个电销加1个售前, 1个经理带6个销售), hires,
what one rep closes per period (每人每月能签4家), new customers of a kind (新开发30个经销商) and volume targets (卖1500台).
The rows of a message are merged with the team said before by finish_team.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from ..quantities import cn_to_number
from .lexicon import lexicon
from .patterns import CN_NUM, num
from .text import MASK, Clause

if TYPE_CHECKING:
    from .rule_reader import Reader

ROLE = lexicon().role_alternation
_NOT_ROLE_AFTER = r"(?![额量费目收周渠政策任顾经主总代员])"
PER = r"(?P<per>每天|每日|每周|每个?星期|每个?月|一个月|每个?季度|一个季度|每年|一年)"
VERB = r"(?P<verb>签下?|卖|新开发|开发|新开|开|成交|做|跑下来|拿下|铺|中|跟|谈下|搞定|出|签约|打|拜访|见|联系|是|为)"
SUBJECT = (rf"(?:每人|每个人|一个人|人均产能|人均|单人产能|人效|每(?:个|名|位)(?P<r1>{ROLE})|一个(?P<r2>{ROLE})|"
           rf"(?P<r3>{ROLE})(?:每人|人均))")
_PRODUCTIVITY = (
    rf"[^\d{MASK}]{{0,6}}?{PER}[^\d{MASK}]{{0,6}}?{VERB}?\s*{num()}\s*(?:左右)?"
    r"(?P<unit>家|单|台|套|件|辆|个项目|项目|个标|个新客户|个客户|个订单|个电话|次|个)?(?P<noun>新?(?:店|网点|医院|客户|项目|标))?")
PRODUCTIVITY_RES = [re.compile(rf"(?P<subj>{SUBJECT}){_PRODUCTIVITY}"),  # the subject said, or carried from before
                    re.compile(rf"(?P<subj>)(?P<r1>)(?P<r2>)(?P<r3>){_PRODUCTIVITY}")]
ACTIVITY_VERBS = ("打", "拜访", "见", "联系")
PER_LABEL = {"周": "周", "星期": "周", "月": "月", "季度": "季度", "年": "年"}

HIRE_RE = re.compile(rf"(?P<role0>{ROLE})?(?:还要|再)?(?:新招|招聘|扩招|还要招|再招|计划招|招|新增)\s*{num()}\s*"
                     rf"(?:个|名|位)?(?P<role>{ROLE})?(?![家户生标商])")
PLUS_RE = re.compile(rf"(?P<role0>{ROLE})?(?:再加上|再加|加上|还有|另外还有)\s*{num()}\s*(?:(?:个|名|位|人)(?P<role>{ROLE})?|"
                     rf"(?P<role1>{ROLE}))(?![万亿元%])")
SIZE_VERB = r"(?:增加到|增加至|增至|扩到|扩大到|扩充到|扩编到|扩至|加到|减少到|减到|缩减到|降到|调整到|调整为|调到|变成|改为|改成)"
SIZE_RE = re.compile(rf"(?P<role0>{ROLE}|团队|销售团队|人数)(?:从\s*{num('old')}\s*(?:个人|人|个|名))?\s*{SIZE_VERB}\s*"
                     rf"(?P<n>\d+|[{CN_NUM}]+)\s*(?:个人|人|个|名|位)?(?P<role>{ROLE})?")
ROW_RES = [
    re.compile(rf"{num()}\s*(?:个|名|位)?\s*是?\s*(?P<role>{ROLE}){_NOT_ROLE_AFTER}"),
    re.compile(rf"(?P<role>{ROLE})(?:\s|:|是|有|共|一共|现有|目前|其实是|其实有|其实只有|只有|不是)*{num()}\s*(?:个人|个|名|位|人)"),
]
TOTAL_RE = re.compile(rf"(?:现在|目前|一共|共|有|是|总共|现有|大概)*(?P<only>只有|就|才)?{num()}\s*(?:个人|人|名|位)(?:的?(?:销售)?团队)?")
TEAM_WORDS = re.compile(r"团队|人手|手底下|现在|目前|只有|就|才")
AGAIN_RE = re.compile(rf"^\s*(?:是|改成|应该是)\s*{num()}\s*(?:个|人|名)")
LEADS_RE = re.compile(rf"{num()}\s*(?:个|名|位)?\s*(?P<lead>{ROLE})带")
CARRIES_QUOTA_RE = re.compile(rf"(?P<role>{ROLE})(?P<no>不|也)(?:背|有|扛|要完成|承担)(?:指标|业绩|任务)")
INNER_RE = re.compile(r"其中|包括|包含|含")
NEW_PEOPLE_RE = re.compile(rf"{num()}\s*(?:个|名|位)?是?(?:新人|新招的|新来的|新员工|今年刚招的)|新人\s*{num('m')}\s*(?:个|名|位|人)")

NOUNS = r"客户|经销商|代理商|分销商|渠道商|门店|加盟店|店|医院|学员|地产客户|网点|终端"
NEW_CUSTOMER_RES = [
    re.compile(rf"(?:新客户|新客|新签客户|新增客户|新开发客户)[^\d{MASK}]{{0,4}}{num()}\s*(?:家|个|位|户)"),
    re.compile(rf"(?P<verb>要签|想签|新签|签下|签|新开发|开发|拓展|新增|拿下|新进|新开|再开|开设|新拓)\s*{num()}\s*(?:家|个|位|户)"
               rf"(?!项目|标|单)(?:新)?(?P<noun>{NOUNS})?"),
    re.compile(rf"招生\s*{num()}\s*(?:人|个|名)?"),
]
VOLUME_RE = re.compile(rf"(?:卖|销售|中标|签|出货|目标|任务是卖|交付|装机)[^\d{MASK}{CN_NUM}]{{0,3}}{num()}\s*"
                       r"(?P<unit>台|套|辆|单|件|箱|吨|个项目|项目|个标)(?:新车|车|设备)?")


def count_of(token: str) -> int:
    return int(token) if token.isdigit() else int(cn_to_number(token))


def _role(word: str | None) -> str:
    return lexicon().role(word) if word else "销售代表"


def read_productivity(r: Reader, c: Clause) -> None:
    m = PRODUCTIVITY_RES[0].search(c.text) or PRODUCTIVITY_RES[1].search(c.text)
    if not m:
        return
    said = m.group("r1") or m.group("r2") or m.group("r3")
    subject = _role(said) if said else ("销售代表" if m.group("subj") else r.subject_role)
    per = re.sub(r"^(?:每个?|一个?)", "", m.group("per"))
    if not subject:
        return  # "每月能签3单" with nobody named: the team's output, not one rep's
    if not m.group("verb") and not m.group("unit"):
        return  # "人均每月30万" is an amount, not a count of deals
    r.subject_role = subject
    c.mask_match(m)
    if per in ("天", "日") or m.group("verb") in ACTIVITY_VERBS:  # calls and visits: an activity, kept as a note
        c.keep = True
        return
    unit = (m.group("unit") or "").removeprefix("个")
    noun = (m.group("noun") or "").removeprefix("新")
    if unit in ("", "单") and noun in ("项目", "标", "客户"):
        unit = noun
    unit = {"新客户": "客户", "订单": "单", "": "单"}.get(unit, unit)
    r.put("productivity", {"value": count_of(m.group("n")), "unit": unit, "per": PER_LABEL[per]})


REMOVE_ROLE_RE = re.compile(rf"(?:去掉|不要|砍掉|取消|裁掉)(?:所有的?|全部的?)?(?P<a>{ROLE})|"
                            rf"(?P<b>{ROLE})(?:都|全部)?(?:去掉|不要了|砍掉|取消|裁掉)")


def read_team(r: Reader, c: Clause) -> None:
    """Rows of the team said in this clause; the Reader merges them with the rows said before."""
    if r.mode == "revision":
        for m in list(REMOVE_ROLE_RE.finditer(c.text)):  # "把售前去掉"
            team_row(r, _role(m.group("a") or m.group("b")), 0)
            r.team_rows[-1]["_remove"] = True
            c.mask_match(m)
    leads = {lexicon().role(m.group("lead")) for m in LEADS_RE.finditer(c.text)}
    for m in list(SIZE_RE.finditer(c.text)):
        said = m.group("role") or m.group("role0")
        total = said in ("团队", "销售团队", "人数")
        team_row(r, _role(None if total else said), count_of(m.group("n")), total=total)
        c.mask_match(m)
    hires: list[tuple[str | None, int]] = []
    for rx in (HIRE_RE, PLUS_RE) if r.mode == "revision" else (HIRE_RE,):
        for m in list(rx.finditer(c.text)):
            said = m.group("role") or m.groupdict().get("role1") or m.group("role0")
            if rx is PLUS_RE and not said:
                continue  # "渠道再加一个抖音": not a person
            hires.append((said, count_of(m.group("n"))))
            c.mask_match(m)
    inner = bool(INNER_RE.search(c.text))
    rows = 0
    for rx in ROW_RES:
        for m in list(rx.finditer(c.text)):
            role = _role(m.group("role"))
            c.mask_match(m)
            if "不是" in m.group(0):  # "销售不是6个，是8个": the next number is this role's
                r.negated_role = role
                continue
            count = count_of(m.group("n"))
            if m.group("n_x"):
                r.notes.append(f"「{m.group(0).strip()}」按{count}人计（实际可能略多）")
            team_row(r, role, count, inner=inner, leads=role in leads)
            rows += 1
    m = AGAIN_RE.search(c.text) if r.negated_role and not rows else None
    if m:
        team_row(r, r.negated_role, count_of(m.group("n")))
        r.negated_role = None
        c.mask_match(m)
        rows += 1
    m = TOTAL_RE.search(c.text) if not rows else None
    if m and (TEAM_WORDS.search(c.text[:m.end()]) or not c.text.replace(m.group(0), "").strip(MASK + " ")):
        count = count_of(m.group("n"))
        team_row(r, "销售代表", count, total=True)
        if m.group("only"):
            r.kept.append(f"现有团队只有{count}人，需要扩编")
        c.mask_match(m)
    for m in list(NEW_PEOPLE_RE.finditer(c.text)):
        team_hires(r, None, count_of(m.group("n") or m.group("m")), inside=True)
        c.mask_match(m)
    for role, n in hires:
        team_hires(r, _role(role) if role else None, n)
    for m in list(CARRIES_QUOTA_RE.finditer(c.text)):
        team_quota(r, _role(m.group("role")), m.group("no") == "也")
        c.mask_match(m)


def read_counts(r: Reader, c: Clause) -> None:
    for m in list(VOLUME_RE.finditer(c.text)):
        if re.search(r"每个?月|每周|每天|每个?季度", c.text[:m.start()]):
            c.keep = True  # "每个月能签20单": what the team does per month, kept as a note
        else:
            r.put("volume_target", {"count": count_of(m.group("n")), "unit": m.group("unit").removeprefix("个")})
        c.mask_match(m)
    for i, rx in enumerate(NEW_CUSTOMER_RES):
        m = rx.search(c.text)
        if not m:
            continue
        r.put("new_customers", count_of(m.group("n")))
        kind = "学员" if i == 2 else None
        if i == 1:
            noun = m.group("noun") or ("门店" if m.group("verb") in ("新开", "再开", "开设") else None)
            kind = None if noun in (None, "客户") else {"店": "门店"}.get(noun, noun)
        if kind:
            r.put("new_customer_kind", kind)
        c.mask_match(m)
        break


# ---------------------------------------------------------------- the team rows of one message, merged with before


def _row(r: Reader, role: str) -> dict[str, Any] | None:
    return next((x for x in r.team_rows if x["role"] == role), None)


def match_role(rows: list[dict[str, Any]], role: str | None) -> dict[str, Any] | None:
    """The row of this role: the same name, or one name ending in the other (顾问 ~ 课程顾问)."""
    if not role:
        return None
    exact = next((x for x in rows if x.get("role", "销售代表") == role), None)
    return exact or next((x for x in rows if role != "销售代表" and (str(x.get("role", "")).endswith(role)
                                                                  or role.endswith(str(x.get("role", "")))
                                                                  and x.get("role"))), None)


def team_row(r: Reader, role: str, count: int, *, total: bool = False, inner: bool = False,
             leads: bool = False) -> None:
    r.mentioned.add("team")
    main = next((x for x in r.team_rows if x.get("quota_bearing", True)), None)
    if inner and main is not None and main["role"] != role and main["count"] > count:
        main["count"] -= count  # "12个销售，其中3个是城市经理": the 3 are part of the 12
    row = _row(r, role)
    if row is None:
        row = {"role": role, "count": count}
        r.team_rows.append(row)
    row["count"] = count
    if leads or role in lexicon().not_quota_bearing:
        row["quota_bearing"] = False
    if total:
        row["_total"] = True


def team_hires(r: Reader, role: str | None, n: int, inside: bool = False) -> None:
    r.mentioned.add("team")
    row = _row(r, role) if role else next((x for x in r.team_rows if x.get("quota_bearing", True)), None)
    if row is None:
        before = [x for x in (r.prev.get("team") or []) if isinstance(x, dict)]
        match = match_role(before, role) if role else next((x for x in before if x.get("quota_bearing", True)), None)
        row = {"role": "销售代表", **match} if match else {"role": role or "销售代表", "count": 0}
        if role and role in lexicon().not_quota_bearing:
            row["quota_bearing"] = False
        r.team_rows.append(row)
    if inside:  # "8个销售，其中2个新人": the 2 are part of the 8
        row["new_hires"] = n
        row["count"] = max(row["count"], n)
        return
    before_count = row["count"]
    row["count"] = before_count + n
    row["new_hires"] = row.get("new_hires", 0) + n
    if before_count and r.mode != "revision":
        r.notes.append(f"团队按现有{before_count}人加新招{n}人，共{row['count']}人计")


def team_quota(r: Reader, role: str, bearing: bool) -> None:
    row = _row(r, role)
    if row is not None:
        row["quota_bearing"] = bearing


def finish_team(r: Reader, text: str) -> None:
    """This message's rows over the team said before: a role said again is updated, a new role is added when the
    message adds ("另外还有2个售前") or revises, and a fresh team statement replaces the old one."""
    if not r.team_rows:
        return
    rows = [{k: v for k, v in x.items() if not k.startswith("_")} for x in r.team_rows]
    for x in rows:
        if x.get("quota_bearing", True):
            x.pop("quota_bearing", None)
        if not x.get("new_hires"):
            x.pop("new_hires", None)
    before = [{"role": "销售代表", **x} for x in (r.prev.get("team") or []) if isinstance(x, dict)]
    if not before:
        r.put("team", rows)
        return
    merged = copy.deepcopy(before)
    matched = 0
    for new, flags in zip(rows, r.team_rows, strict=True):
        old = match_role(merged, new["role"])
        if old is None and flags.get("_total"):  # "团队扩到40人": the main quota-bearing row takes the difference
            old = next((x for x in merged if x.get("quota_bearing", True)), None)
            if old is not None and len(merged) > 1:
                new["count"] -= sum(x["count"] for x in merged if x is not old)
        if old is None:
            merged.append(new)
            continue
        matched += 1
        if flags.get("_remove"):
            merged.remove(old)
            continue
        old["count"] = new["count"]
        for key in ("new_hires", "quota_bearing"):
            if key in new:
                old[key] = new[key]
    additive = re.search(r"另外|还有|再加|加上|补充", text) or r.mode == "revision"
    r.put("team", merged if matched or additive else rows)
