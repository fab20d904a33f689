"""Sections found by meaning, the way a reader finds them: a heading is read through the checklist's synonyms, then
character overlap with them, then the retrieval layer's embedding; a heading may name two sections (跟踪与考核 →
tracking and KPIs); a block under a heading that names nothing is placed by what it contains (a 12-row month table
is a breakdown wherever it stands); and a section the plan has no heading for is looked for in the other sections'
lines (risks with their responses written under 跟踪与考核).

Every decision is recorded as a `HeadingRead`, so the report can show which heading was read as which section.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .checklist import Checklist
from .document import HeadingRead, Line, PlanDoc, Section
from .facts import MONEY_RE, MONTH_LABEL, QUARTER_LABEL, RATE_RE, label_column, parse_deadline
from .prose import (
    budget_in_sentence,
    channels_in_text,
    competitors_in_line,
    kpis_in_text,
    month_amounts,
    pest_in_prose,
    quarter_amounts,
    risks_in_text,
)

PART_SPLIT = re.compile(r"以及|[与和及、/&＆]")
STRONG = 4  # a synonym this long names a section clearly (a sub-heading may then start a new section)
EMBED_MIN, EMBED_MARGIN = 0.22, 0.08  # cosine with a section's description, and lead over the runner-up


@dataclass(slots=True)
class Reading:
    keys: list[str]
    how: str  # 同义词 | 字符相近 | 语义相近
    strength: int


# ---------------------------------------------------------------- headings


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"\W", "", text)
    return {text[i:i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def _in_order(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def by_synonym(name: str, checklist: Checklist) -> tuple[str, int] | None:
    """The section whose longest synonym the heading contains."""
    low, best = name.lower(), None
    for key, info in checklist.sections.items():
        for syn in info.synonyms:
            if syn.lower() in low and (best is None or len(syn) > best[1]):
                best = (key, len(syn))
    return best


def by_overlap(name: str, checklist: Checklist) -> str | None:
    """The section with a synonym sharing most character pairs (Dice ≥ 0.5), or whose characters the heading holds
    in order ('市场情况分析' holds 市场分析)."""
    grams, best = _bigrams(name), (0.0, None)
    for key, info in checklist.sections.items():
        for syn in info.synonyms:
            if len(syn) < 2:
                continue
            sg = _bigrams(syn)
            score = 2 * len(grams & sg) / (len(grams) + len(sg))
            if len(syn) >= 3 and len(name) <= len(syn) + 3 and _in_order(syn, name):
                score = max(score, 0.8)
            if score > best[0]:
                best = (score, key)
    return best[1] if best[0] >= 0.5 else None


_DESCRIBED: dict[int, tuple[object, dict[str, object]]] = {}


def _descriptions(checklist: Checklist) -> tuple[object, dict[str, object]]:
    """The embedding function and each section's described vector (title, synonyms, mentions), per checklist."""
    if id(checklist) not in _DESCRIBED:
        from ..retrieval.embeddings import HashingEmbeddingFunction  # loaded only for headings nothing else reads

        ef = HashingEmbeddingFunction()
        _DESCRIBED[id(checklist)] = ef, {k: ef.embed_one(" ".join([info.title, *info.synonyms, *info.mentions]))
                                         for k, info in checklist.sections.items() if info.synonyms}
    return _DESCRIBED[id(checklist)]


def by_embedding(name: str, checklist: Checklist) -> str | None:
    if len(re.sub(r"\W", "", name)) < 3:
        return None
    ef, described = _descriptions(checklist)
    vec = ef.embed_one(name)  # type: ignore[attr-defined]
    ranked = sorted(((float(vec @ v), k) for k, v in described.items()), reverse=True)
    (top, key), (second, _) = ranked[0], ranked[1]
    return key if top >= EMBED_MIN and top - second >= EMBED_MARGIN else None


_READ: dict[tuple[int, str], Reading | None] = {}


def read_heading(name: str, checklist: Checklist) -> Reading | None:
    """The canonical section(s) a heading names, or None (remembered per checklist: plans repeat their headings)."""
    key = (id(checklist), name)
    if key not in _READ:
        if len(_READ) > 20_000:
            _READ.clear()
        _READ[key] = _read_heading(name, checklist)
    return _READ[key]


def _read_heading(name: str, checklist: Checklist) -> Reading | None:
    parts = [p for p in PART_SPLIT.split(name) if p.strip()]
    if len(parts) > 1:
        keys: list[str] = []
        for part in parts:
            hit = by_synonym(part, checklist)
            key = hit[0] if hit else by_overlap(part, checklist) or by_embedding(part, checklist)
            if key and key not in keys:
                keys.append(key)
        if len(keys) > 1:
            return Reading(keys, "同义词", STRONG)
    if hit := by_synonym(name, checklist):
        return Reading([hit[0]], "同义词", hit[1])
    if key := by_overlap(name, checklist):
        return Reading([key], "字符相近", 2)
    if key := by_embedding(name, checklist):
        return Reading([key], "语义相近", 1)
    return None


# ---------------------------------------------------------------- content

CUES: dict[str, re.Pattern[str]] = {
    "executive_summary": re.compile(r"本方案|本计划|总体|概括|今年|明年|全年|重点只有|这一年|这半年"),
    "market_analysis": re.compile(r"市场规模|增速|竞争|对手|竞品|份额|行业|政策"),
    "swot": re.compile(r"优势|劣势|机会|威胁"),
    "sales_targets": re.compile(r"目标|增长|同比|回款|新客户|新开发|新签"),
    "funnel_capacity": re.compile(r"客单价|赢单率|转化率|成交率|线索|商机|漏斗|测算|试听|留资|演示"),
    "customer_persona": re.compile(r"客户|家长|孩子|用户|人群|决策|关心|关注|在意|看重|需求|痛点|最怕|画像|主力|采购"),
    "sales_strategy": re.compile(r"主推|策略|打法|推广|定价|价格|产品上|促销|活动|组合|折|赠|送|试点|报价|套餐|主打|争取|"
                                 r"锁定|一律|推出|转介绍|交流会|开放日|分享会|品鉴会|科技节"),
    "channel_plan": re.compile(r"渠道|经销|代理|直销|电商|门店"),
    "team": re.compile(r"\d+\s*[人名]|人员|岗位|招聘|到岗|编制|带教|分工"),
    "action_plan": re.compile(r"交付|交出|完成|前[，,：:]|节点"),
    "budget": re.compile(r"预算|费用|投放|开支|花"),
    "kpi_incentives": re.compile(r"考核|指标|提成|奖金|激励"),
    "tracking_review": re.compile(r"每天|每日|每周|每月|周会|例会|月报|复盘|预警"),
    "risks": re.compile(r"风险|如果|一旦|信号|应对"),
    "evaluation": re.compile(r"评估|维度|评价|评[：:]|改进|总结|沉淀|写进"),
}


def _months_in(sec: Section) -> int:
    best = max((sum(bool(MONTH_LABEL.match(c.strip())) for c in t.column(lab))
                for t in sec.tables if (lab := label_column(t)) is not None), default=0)
    return max(best, *(len(month_amounts(ln.text)) for ln in sec.lines), 0)


def _dated(sec: Section) -> int:
    return sum(1 for ln in sec.lines for part in re.split(r"[；;]", ln.text)
               if parse_deadline(part[:16], None) and len(part) >= 12)


SIGNALS: dict[str, Callable[[Section, str], float]] = {
    "target_breakdown": lambda s, t: 6.0 * (_months_in(s) >= 3) + 3.0 * (
        len(quarter_amounts(t)) >= 2 or any(QUARTER_LABEL.match(c) for tb in s.tables for c in tb.column(0))),
    "budget": lambda s, t: 6.0 * any(budget_in_sentence(ln.text) for ln in s.lines)
    + 3.0 * any(re.search(r"科目|费用|预算", " ".join(tb.headers)) for tb in s.tables),
    "kpi_incentives": lambda s, t: 5.0 * (len(kpis_in_text(t)) >= 2),
    "risks": lambda s, t: 5.0 * (sum(r.trigger and r.response for r in risks_in_text(t)) >= 2),
    "action_plan": lambda s, t: 5.0 * (_dated(s) >= 3),
    "market_analysis": lambda s, t: 4.0 * (len(competitors_in_line(t)) >= 2) + 4.0 * (len(pest_in_prose(t)) >= 2),
    "funnel_capacity": lambda s, t: 4.0 * bool(RATE_RE.search(t)) * bool(re.search(r"客单价|平均[^，。；]{0,4}额|单价|均价", t)),
    "evaluation": lambda s, t: 3.0 * bool(re.search(r"[\d一二三四五六几]个维度|从.{0,8}维度", t)),
    "sales_targets": lambda s, t: 3.0 * any(MONEY_RE.search(ln.text) and re.search(r"目标|增长|同比", ln.text)
                                            for ln in s.lines[:3]),
}


def content_scores(sec: Section) -> dict[str, float]:
    """How strongly a block's content speaks for each section: structures (month tables, budget sentences, KPI lists,
    dated actions, risks with responses, competitors, PEST) weigh most; cue words add a little each."""
    text = sec.text
    scores = {key: float(len(pattern.findall(text))) ** 0.5 for key, pattern in CUES.items()}
    for key, signal in SIGNALS.items():
        scores[key] = scores.get(key, 0.0) + signal(sec, text)
    return scores


OPENING = re.compile(r"目标|完成|实现|做到|增长")


def place_block(sec: Section, taken: set[str], opening: bool = False) -> tuple[str | None, str]:
    """(section, how) for a block whose heading names no section clearly, preferring sections not yet taken: the
    plan's opening block that states the target is its summary; else content that clearly speaks for a section (score
    ≥ 6, or ≥ 3 when free); else the embedding's guess for its heading when that section is free."""
    if opening and "executive_summary" not in taken and MONEY_RE.search(sec.text) and OPENING.search(sec.text):
        return "executive_summary", "按内容"
    ranked = sorted(content_scores(sec).items(), key=lambda kv: -kv[1])
    strong = [k for k, v in ranked if v >= 6]
    free = [k for i, (k, v) in enumerate(ranked) if k not in taken and v >= 2
            and v >= (ranked[i + 1][1] if i + 1 < len(ranked) else 0) + 0.5]
    if strong and (strong[0] not in taken or not free):
        return strong[0], "按内容"
    if sec.hint and sec.hint not in taken:
        return sec.hint, "语义相近"
    if free:
        return free[0], "按内容"
    return None, ""


# ---------------------------------------------------------------- sections written inside other sections

LINE_FINDERS: dict[str, Callable[[Line], bool]] = {
    "sales_targets": lambda ln: bool(MONEY_RE.search(ln.text) and re.search(r"目标", ln.text)
                                     and re.search(r"增长|同比|回款|新[增签开]", ln.text)),
    "channel_plan": lambda ln: len(channels_in_text(ln.text)) >= 2,
    "risks": lambda ln: bool(re.search(r"风险", ln.text)) and sum(r.trigger and r.response for r in risks_in_text(ln.text)) >= 1,
    "kpi_incentives": lambda ln: len(kpis_in_text(ln.text)) >= 2 or bool(re.search(r"提成|奖金", ln.text) and RATE_RE.search(ln.text)),
    "budget": lambda ln: budget_in_sentence(ln.text) is not None,
    "target_breakdown": lambda ln: len(month_amounts(ln.text)) >= 3 or len(quarter_amounts(ln.text)) >= 2,
    "market_analysis": lambda ln: len(competitors_in_line(ln.text)) >= 2 or len(pest_in_prose(ln.text)) >= 2,
    "tracking_review": lambda ln: len(re.findall(r"每天|每日|每周|每月|每季|周会|周例会|月报|季度复盘", ln.text)) >= 2,
    "action_plan": lambda ln: sum(1 for p in re.split(r"[；;]", ln.text) if parse_deadline(p[:16], None)) >= 3,
}


def settle(doc: PlanDoc, blocks: list[Section], first_block: Section | None = None) -> None:
    """Place the blocks whose headings named no section clearly (`first_block`: the plan's opening one), then find
    sections the plan wrote inside other sections."""
    for block in blocks:
        key, how = place_block(block, set(doc.sections), opening=block is first_block)
        if key is None:
            doc.unmapped.append(block.title)
            doc.unplaced.append(block)
            continue
        doc.heading_reads.append(HeadingRead(block.title, [key], how))
        if key in doc.sections:
            host = doc.sections[key]
            host.lines.extend(block.lines)
            host.tables.extend(block.tables)
            host.open_questions.extend(block.open_questions)
            host.__dict__.pop("text", None)
        else:
            block.key = key
            doc.sections[key] = block
    for key, finder in LINE_FINDERS.items():
        if key in doc.sections:
            continue
        for _, host in list(doc.unique_sections()):
            lines = [ln for ln in host.lines if finder(ln)]
            if key == "action_plan" and not lines:  # one dated action per line: '1月15日前：杨帆牵头…'
                dated = [ln for ln in host.lines if parse_deadline(ln.text[:16], None) and len(ln.text) >= 12]
                lines = dated if len(dated) >= 3 else []
            if lines:
                tables = [t for t in host.tables if key == "target_breakdown" and (lab := label_column(t)) is not None
                          and sum(bool(MONTH_LABEL.match(c.strip())) for c in t.column(lab)) >= 3]
                doc.sections[key] = Section(key=key, title=host.title, lines=lines, tables=tables)
                doc.heading_reads.append(HeadingRead(host.title, [key], "内容归入"))
                break
