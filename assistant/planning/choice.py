"""Choosing the industry playbook for a request: the request's own `playbook:` wins; otherwise keywords in the
industry, product, channel, company and notes fields are scored, and the retrieval layer's offline embedding breaks
ties. The choice carries its reason (stated in the plan as an assumption) and, when unsure, a question.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .playbooks import Playbook, load_playbooks

# how much a keyword hit counts, by the request field it is found in and the keyword list it comes from
FIELD_WEIGHTS = {"industry": 3.0, "product": 2.0, "channels": 1.5, "company": 1.0, "notes": 0.7}
LIST_WEIGHTS = {"industry": 1.0, "product": 0.8, "channel": 0.6}
NEGATIVE_WEIGHT = 1.5
CONFIDENT_SCORE = 2.5  # a playbook needs at least this much evidence ...
CONFIDENT_MARGIN = 1.5  # ... and this much more than the runner-up, to be chosen without a question
SIMILARITY_FLOOR = 0.12


@dataclass(frozen=True)
class PlaybookChoice:
    playbook: Playbook
    source: str  # request | keywords | similarity | fallback
    reason: str  # Chinese, quoted in the plan's assumptions
    confident: bool
    question: str | None = None
    scores: tuple[tuple[str, float], ...] = ()


def _fields(req) -> dict[str, str]:
    return {"industry": req.industry or "", "product": req.product or "", "channels": "、".join(req.channels),
            "company": req.company or "", "notes": req.notes or ""}


def score(pb: Playbook, fields: dict[str, str]) -> tuple[float, list[str]]:
    """Evidence for one playbook and the words that gave it."""
    total, hits = 0.0, []
    lists = {"industry": pb.match.industry, "product": pb.match.product, "channel": pb.match.channel}
    for field, text in fields.items():
        if not text:
            continue
        seen: set[str] = set()
        for kind, words in lists.items():
            for w in sorted(words, key=len, reverse=True):
                if w in text and not any(w in s for s in seen):
                    seen.add(w)
                    total += FIELD_WEIGHTS[field] * LIST_WEIGHTS[kind]
                    hits.append(w)
        for w in pb.match.negative:
            if w in text:
                total -= NEGATIVE_WEIGHT * FIELD_WEIGHTS[field] / 3
    return total, hits


@lru_cache(maxsize=1)
def _profiles() -> tuple[tuple[str, np.ndarray], ...]:
    from ..retrieval.embeddings import HashingEmbeddingFunction

    emb = HashingEmbeddingFunction()
    out = []
    for pb in load_playbooks().values():
        if pb.id == "generic":
            continue
        text = " ".join([pb.name, pb.summary, *pb.match.industry, *pb.match.product, *pb.match.channel,
                         *pb.vocabulary.use])
        out.append((pb.id, np.asarray(emb([text])[0], dtype=float)))
    return tuple(out)


def similarity(fields: dict[str, str]) -> list[tuple[str, float]]:
    """Cosine similarity of the request's words to each playbook's profile (offline hashing embedding)."""
    from ..retrieval.embeddings import HashingEmbeddingFunction

    text = " ".join(v for v in fields.values() if v)
    if not text.strip():
        return []
    q = np.asarray(HashingEmbeddingFunction()([text])[0], dtype=float)
    sims = [(pid, float(q @ v / ((np.linalg.norm(q) * np.linalg.norm(v)) or 1.0))) for pid, v in _profiles()]
    return sorted(sims, key=lambda x: x[1], reverse=True)


def choose_playbook(req) -> PlaybookChoice:
    books = load_playbooks()
    wanted = getattr(req, "playbook", None)
    if wanted:
        pb = books[wanted]
        return PlaybookChoice(pb, "request", f"请求中指定了行业手册「{pb.name}」（playbook: {pb.id}）", True)
    fields = _fields(req)
    scored = sorted(((pid, *score(pb, fields)) for pid, pb in books.items() if pid != "generic"),
                    key=lambda x: x[1], reverse=True)
    (best, best_score, hits), (second, second_score, _) = scored[0], scored[1]
    table = tuple((pid, round(s, 2)) for pid, s, _ in scored[:4])
    said = "、".join(dict.fromkeys(hits[:4]))
    if best_score >= CONFIDENT_SCORE and best_score - second_score >= CONFIDENT_MARGIN:
        pb = books[best]
        return PlaybookChoice(pb, "keywords", f"按请求中的「{said}」判断为{pb.name}", True, scores=table)
    sims = similarity(fields)
    if best_score > 0:
        # close call: the embedding decides between the keyword leaders, and the plan asks
        leaders = {pid for pid, s, _ in scored if s >= best_score - CONFIDENT_MARGIN and s > 0}
        pick = next((pid for pid, _ in sims if pid in leaders), best)
        pb, alt = books[pick], books[second if pick == best else best]
        return PlaybookChoice(pb, "keywords", f"按请求中的「{said}」判断更接近{pb.name}，也可能是{alt.name}", False,
                              question=f"贵司业务更接近「{pb.name}」还是「{alt.name}」？"
                                       f"（确认后可在请求里写 playbook: {pb.id} 或 {alt.id}）", scores=table)
    if sims and sims[0][1] >= SIMILARITY_FLOOR:
        pb = books[sims[0][0]]
        return PlaybookChoice(pb, "similarity", f"请求中没有明确的行业词，按描述的相近程度暂按{pb.name}起草", False,
                              question=f"请确认贵司所属行业和销售方式（暂按「{pb.name}」起草，"
                                       f"可在请求里写 playbook: {pb.id} 或其他手册）", scores=table)
    pb = books["generic"]
    return PlaybookChoice(pb, "fallback", "请求中没有可判断行业的信息，按通用手册起草", False,
                          question="贵司属于哪个行业、主要卖什么、通过什么方式卖（直销、经销、线上还是投标）？"
                                   "确认后会按对应的行业手册重新生成", scores=table)
