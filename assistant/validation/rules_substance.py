"""Substance and leakage checks: is the plan about this business (substance.py), and is anything in it that belongs
to the tool or to someone's computer rather than to a sales plan (leakage.py)?"""

from __future__ import annotations

from .checklist import ItemSpec, read_checklist
from .document import PlanDoc
from .facts import quote
from .leakage import leaks
from .registry import Verdict, check, fail, ok
from .substance import facts_used, measure


@check("substantive_share")
def substantive_share(doc: PlanDoc, item: ItemSpec) -> Verdict:
    s = measure(doc)
    share = s.share
    head = f"本方案自己的具体内容占{share:.0%}"
    parts = []
    if s.boilerplate:
        parts.append(f"模板句占{s.boilerplate_chars / s.chars:.0%}（换成别的行业也一字不差，如{quote(s.boilerplate[0], 36)}）")
    if s.generic:
        parts.append(f"空泛句占{s.generic_chars / s.chars:.0%}（没有数字，也没有本方案自己的对象，如{quote(s.generic[0], 36)}）")
    reason = head + ("；" + "；".join(parts) if parts else "")
    verdict = ok(reason) if share >= item.params.get("pass_at", 0.6) else fail(reason)
    verdict.value = share
    return verdict


@check("facts_used")
def facts_used_check(doc: PlanDoc, item: ItemSpec) -> Verdict:
    used, unused = facts_used(doc)
    total = len(used) + len(unused)
    if not total:
        verdict = fail("没有找到本方案自己的事实（对手、产品、客户、人名等），无法判断是否用到")
        verdict.value = 0.0
        return verdict
    value = len(used) / total
    text = f"{len(used)}/{total}项本方案的事实用在了该用的地方"
    verdict = ok(text) if value >= item.params.get("pass_at", 0.8) else fail(
        text + "；没用上：" + "、".join(unused[:4]), "sales_strategy")
    verdict.value = value
    return verdict


@check("no_leakage")
def no_leakage(doc: PlanDoc, item: ItemSpec) -> Verdict:
    found = leaks(doc, [i.fix_hint for i in read_checklist().items])
    if not found:
        return ok("没有文件路径、字段名、环境变量名或检查清单原文")
    kinds: dict[str, list[str]] = {}
    for leak in found:
        kinds.setdefault(leak.kind, [])
        if leak.found not in kinds[leak.kind]:
            kinds[leak.kind].append(leak.found)
    shown = "；".join(f"{kind}：{'、'.join(quote(v, 30) for v in values[:2])}" for kind, values in kinds.items())
    return fail(f"方案里混入了{len(found)}处不属于方案的内容——{shown}")
