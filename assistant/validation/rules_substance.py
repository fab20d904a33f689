"""Substance and leakage checks: is the plan about this business (substance.py), and is anything in it that belongs
to the tool or to someone's computer rather than to a sales plan (leakage.py)?"""

from __future__ import annotations

from .checklist import ItemSpec, read_checklist
from .document import PlanDoc
from .facts import quote
from .leakage import leaks
from .registry import Verdict, check, fail, na, ok
from .substance import facts_used, measure, sections_about_the_business


@check("substantive_share")
def substantive_share(doc: PlanDoc, item: ItemSpec) -> Verdict:
    s = measure(doc)
    share = s.share
    head = f"本方案自己的具体内容占{share:.0%}"
    parts = []
    if s.boilerplate and s.boilerplate_chars >= 0.05 * s.chars:
        parts.append(f"模板句占{s.boilerplate_chars / s.chars:.0%}（换成别的行业也一字不差，如{quote(s.boilerplate[0], 36)}）")
    if s.generic and s.generic_chars >= 0.05 * s.chars:
        parts.append(f"空泛句占{s.generic_chars / s.chars:.0%}（没有数字，也没有本方案自己的对象，如{quote(s.generic[0], 36)}）")
    reason = head + ("；" + "；".join(parts) if parts else "")
    verdict = ok(reason) if share >= item.params.get("pass_at", 0.6) else fail(reason)
    verdict.value = share
    return verdict


def _share_verdict(used: list, unused: list[str], what: str, item: ItemSpec, sections: list[str]) -> Verdict:
    """Pass at the item's pass_at share; a failure names what was missed and the sections to redraft."""
    value = len(used) / (len(used) + len(unused))
    text = f"{len(used)}/{len(used) + len(unused)}{what}" + ("；没做到：" + "、".join(unused[:4]) if unused else "")
    verdict = ok(text) if value >= item.params.get("pass_at", 0.8) else fail(text, *sections)
    verdict.value = value
    return verdict


@check("sections_specific")
def sections_specific(doc: PlanDoc, item: ItemSpec) -> Verdict:
    used, unused = sections_about_the_business(doc)
    if not used and not unused:
        verdict = fail("市场、客户、策略、渠道、行动、风险章节都没有，看不出方案是为哪家企业写的")
        verdict.value = 0.0
        return verdict
    titles = [f"「{doc.sections[k].title}」" for k in unused]
    return _share_verdict(used, titles, "个该写本企业情况的章节主要是本企业自己的内容", item, unused)


@check("request_facts_used")
def request_facts_used(doc: PlanDoc, item: ItemSpec) -> Verdict:
    used, unused = facts_used(doc)
    if not used and not unused:
        return na("方案没有附带需求信息（手写方案、Markdown 或 Word）")
    where = list(dict.fromkeys(k for fact in unused for k in fact.sections[:1]))
    return _share_verdict(used, [f.label for f in unused], "项用户给出的事实（对手、渠道、产品、行业、备注）用在了该用的章节",
                          item, where)


@check("no_leakage")
def no_leakage(doc: PlanDoc, item: ItemSpec) -> Verdict:
    found = leaks(doc, [i.fix_hint for i in read_checklist().items])
    if not found:
        return ok("没有文件路径、字段名、环境变量名、检查清单原文或内部说明")
    kinds: dict[str, list[str]] = {}
    for leak in found:
        kinds.setdefault(leak.kind, [])
        if leak.found not in kinds[leak.kind]:
            kinds[leak.kind].append(leak.found)
    shown = "；".join(f"{kind}：{'、'.join(quote(v, 30) for v in values[:2])}" for kind, values in kinds.items())
    return fail(f"方案里混入了{len(found)}处不属于方案的内容——{shown}")
