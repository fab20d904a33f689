"""Substance, not only presence: how much of a plan is about *this* business, and whether its own facts are used
where they should be.

- A sentence (or table cell) is **specific** when it carries a figure with its unit or a term of the plan's own — a
  word rare in general Chinese that the plan uses more than once and that plans for other businesses do not use
  (团餐, 调节阀, 品鉴会, a competitor's or a person's name).
- A sentence is **boilerplate** when most of it, numbers masked, is wording that plans for at least three other
  businesses share (reference.py): a template with the region and product swapped in.
- **Substantive share** = the share of the plan's text (by Chinese characters) in specific, non-boilerplate
  sentences. **Facts used** = the plan's own facts that appear in the sections that should use them: for this tool's
  plans, the request's competitors, product, region, channels and notes; for a written plan, its own terms in each
  section that should be about the business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .document import PlanDoc
from .leakage import leaks_in
from .reference import boilerplate_share, cjk_count, common_grams, pieces, reference_texts

FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:万元|亿元|千元|元|万|亿|%|％|家|个|人次|人|名|单|台|天|周|月|年|倍|条|场|次|所|床|节|项|份)")
OWN_IDF = 11.5  # rarer than this in jieba's dictionary: a word of a trade, a place or a name
COMMON_WORD_IN = 3  # a word the reference plans of this many industries use is sales vocabulary, not this plan's
BOILERPLATE = 0.6  # share of a sentence's 4-grams in common wording above which it is boilerplate
OWN_TERM_UNITS = 1000
COMMON_PART_IDF = 10.5  # a two-character word this common is everyday vocabulary
SPECIFIC_SECTIONS = ["market_analysis", "customer_persona", "sales_strategy", "channel_plan", "action_plan", "risks"]


@dataclass
class Substance:
    units: int = 0
    chars: int = 0
    substantive_chars: int = 0
    boilerplate: list[str] = field(default_factory=list)  # sentences, as written
    generic: list[str] = field(default_factory=list)  # neither a figure nor an own term
    boilerplate_chars: int = 0
    generic_chars: int = 0
    own_terms: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.substantive_chars / self.chars if self.chars else 0.0


def plan_units(doc: PlanDoc) -> list[str]:
    """The sentences and table cells of a plan's content (titles, references and open questions excluded)."""
    out: list[str] = []
    for ln in doc.all_lines():
        if ln.cells and len(FIGURE.findall(ln.text)) >= 2 and all(cjk_count(v) < 8 for v in ln.cells.values()):
            out.append(ln.text)  # a row of figures ('2027年3月 | 416.67 | 8.3%'): the plan's own numbers
            continue
        for value in (ln.cells.values() if ln.cells else [ln.text]):
            out.extend(pieces(value))
    return out


def own_terms(units: list[str]) -> set[str]:
    """Words of the plan's own: rare in general Chinese, used in two or more of its sentences, and not the shared
    vocabulary of the reference plans (漏斗, 获客, 账期 are every plan's words)."""
    from ..retrieval.text import idf, normalize, words  # jieba, loaded on first use

    counts: dict[str, int] = {}
    for unit in list(dict.fromkeys(units))[:OWN_TERM_UNITS]:  # segmenting is the slow part: a long plan's opening
        # thousand sentences show its own vocabulary well enough
        for w in {w for w in words(normalize(unit)) if len(w) >= 2 and re.search(r"[\u4e00-\u9fff]", w)}:
            counts[w] = counts.get(w, 0) + 1
    refs = reference_texts()
    return {w for w, n in counts.items() if n >= 2 and idf(w) >= OWN_IDF and not _compound_of_common(w, idf)
            and sum(w in text for text in refs) < COMMON_WORD_IN}


def _compound_of_common(word: str, idf) -> bool:  # noqa: ANN001 - retrieval.text.idf
    """'产品质量', '市场需求', '客户经理': rare as one token, but made of everyday words (产品+质量) — not the plan's own."""
    if len(word) < 4:
        return False
    from ..retrieval.text import get_jieba

    freq = get_jieba().dt.FREQ
    covered = set()
    for i in range(len(word) - 1):
        part = word[i:i + 2]
        if freq.get(part) and idf(part) < COMMON_PART_IDF:
            covered.update((i, i + 1))
    return len(covered) == len(word)


def measure(doc: PlanDoc) -> Substance:
    if "substance" not in doc.memo:
        units = plan_units(doc)
        doc.memo["substance"] = judge(units, own_terms(units))
    return doc.memo["substance"]


def judge(units: list[str], terms: set[str]) -> Substance:
    """Sort sentences into substantive, boilerplate (or leaked) and generic, by Chinese characters."""
    common = common_grams()
    out = Substance(units=len(units), own_terms=sorted(terms))
    for unit in units:
        n = cjk_count(unit)
        out.chars += n
        if len(FIGURE.findall(unit)) >= 2 and not leaks_in(unit, []):
            out.substantive_chars += n  # figures are the plan's own, however common the wording around them
        elif (common and boilerplate_share(unit, common) >= BOILERPLATE) or leaks_in(unit, []):
            out.boilerplate.append(unit)
            out.boilerplate_chars += n
        elif not (FIGURE.search(unit) or any(t in unit for t in terms)):
            out.generic.append(unit)
            out.generic_chars += n
        else:
            out.substantive_chars += n
    return out


# ---------------------------------------------------------------- the plan's own facts, used where they belong


@dataclass(slots=True)
class Fact:
    label: str  # e.g. 竞争对手「壳牌」
    terms: list[str]  # any of these in the sections means the fact is used
    sections: list[str]  # where it should be used (any of them)


def _words(text: str, limit: int = 4) -> list[str]:
    from ..retrieval.text import idf, normalize, words

    found = sorted({w for w in words(normalize(text)) if len(w) >= 2 and idf(w) >= 9}, key=lambda w: -idf(w))
    return found[:limit]


def request_facts(doc: PlanDoc) -> list[Fact]:
    """The request's own facts and where a plan for it should use them (this tool's plans only)."""
    req = doc.request
    if req is None:
        return []
    facts = [Fact(f"竞争对手「{c}」", [c], ["sales_strategy", "risks", "swot"]) for c in req.competitors]
    facts += [Fact(f"渠道「{c}」", [c], ["channel_plan"]) for c in req.channels]
    if req.product:
        facts.append(Fact(f"产品「{req.product}」", _words(req.product) or [req.product],
                          ["sales_strategy", "customer_persona"]))
    if req.industry:
        facts.append(Fact(f"行业「{req.industry}」", _words(req.industry) or [req.industry],
                          ["market_analysis", "customer_persona"]))
    for note in [n for n in re.split(r"[。；;\n]", req.notes or "") if n.strip()]:
        facts.append(Fact(f"备注「{note.strip()}」", _words(note), ["market_analysis", "customer_persona",
                                                                    "sales_strategy", "risks", "action_plan"]))
    return [f for f in facts if f.terms]


def sections_about_the_business(doc: PlanDoc) -> tuple[list[str], list[str]]:  # (keys, keys)
    """(sections mostly about this business, sections that are not) among those that should be: market, customers,
    strategy, channels, actions, risks — each judged like the whole plan (specific, not boilerplate)."""
    terms = set(measure(doc).own_terms)
    used, unused = [], []
    for key in [k for k in SPECIFIC_SECTIONS if k in doc.sections]:
        units = [p for _, ln in doc.lines([key]) for v in (ln.cells.values() if ln.cells else [ln.text])
                 for p in pieces(v)]
        (used if units and judge(units, terms).share >= 0.5 else unused).append(key)
    return used, unused


def facts_used(doc: PlanDoc) -> tuple[list[Fact], list[Fact]]:
    """(used, unused) request facts (this tool's plans only; both empty otherwise)."""
    used, unused = [], []
    for fact in request_facts(doc):
        text = "\n".join(ln.text for _, ln in doc.lines(fact.sections))
        (used if any(t and t in text for t in fact.terms) else unused).append(fact)
    return used, unused
