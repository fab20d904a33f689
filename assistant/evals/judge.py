"""Optional LLM judge: a fixed-step rubric (specificity, actionability, fidelity, grounding; 1-5 each) and a pairwise
judge that randomises which version is shown first. Judge scores are reported apart from the deterministic score.

A garbage answer is retried (each retry is a new sample: the attempt is part of the cache key), then reported as a
judge failure — never scored as anything.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from string import Template

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

from ..config import PROJECT_ROOT
from ..drafting.llm import ResponseCache, parse_json_answer
from ..quantities import format_amount
from ..request import PlanRequest
from ..schema import SECTIONS
from .cases import EvalCase
from .results import DraftRecord, JudgeScore, PairwiseVerdict, RunData, text_hash

CRITERIA = ("specificity", "actionability", "fidelity", "grounding")
JUDGE_DIR = PROJECT_ROOT / "evals" / "judge"
MAX_SECTION_CHARS = 900


class JudgeGarbage(ValueError):
    pass


def request_summary(req: PlanRequest) -> str:
    unit = req.currency_unit
    lines = [f"公司：{req.company}", f"行业/产品：{req.industry or '未提供'}／{req.product or '未提供'}",
             f"区域：{req.region}", f"周期：{req.period.label}", f"销售额目标：{format_amount(req.revenue_target, unit)}"]
    if req.budget_total is not None:
        lines.append(f"预算：{format_amount(req.budget_total, unit)}")
    lines.append(f"渠道：{'、'.join(req.channels) or '未提供'}")
    lines.append(f"竞争对手：{'、'.join(req.competitors) or '未提供'}")
    if req.notes:
        lines.append(f"备注：{req.notes}")
    return "\n".join(lines)


def sections_text(record: DraftRecord) -> str:
    return "\n\n".join(f"「{SECTIONS[k].title if k in SECTIONS else k}」\n{t[:MAX_SECTION_CHARS]}"
                       for k, t in record.texts.items())


def parse_rubric(text: str) -> tuple[dict[str, float], dict[str, str]]:
    try:
        data = parse_json_answer(text, set(CRITERIA))
    except ValueError as exc:
        raise JudgeGarbage(str(exc)) from None
    scores, reasons = {}, {}
    for c in CRITERIA:
        entry = data.get(c)
        value = entry.get("score") if isinstance(entry, dict) else entry
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 1 <= value <= 5 \
                or int(value) != value:
            raise JudgeGarbage(f"{c} 的分数应为1到5的整数，收到 {value!r}")
        scores[c] = float(value)
        reasons[c] = str(entry.get("reason", ""))[:200] if isinstance(entry, dict) else ""
    return scores, reasons


def parse_winner(text: str) -> str:
    try:
        data = parse_json_answer(text, {"winner"})
    except ValueError as exc:
        raise JudgeGarbage(str(exc)) from None
    winner = str(data.get("winner", "")).strip().lower()
    if winner not in ("1", "2", "tie"):
        raise JudgeGarbage(f"winner 应为 1、2 或 tie，收到 {winner!r}")
    return winner


class Judge:
    def __init__(self, model: BaseChatModel, model_name: str, *, cache: ResponseCache | None = None,
                 attempts: int = 3, folder: Path = JUDGE_DIR, seed: int = 7):
        self.model = model
        self.model_name = model_name
        self.cache = cache
        self.attempts = attempts
        self.seed = seed
        self.rubric_template = Template((folder / "rubric.md").read_text(encoding="utf-8"))
        self.pairwise_template = Template((folder / "pairwise.md").read_text(encoding="utf-8"))
        self.prompt_hash = text_hash(self.rubric_template.template + "\0" + self.pairwise_template.template)

    def _ask(self, prompt: str, attempt: int) -> str:
        key = ResponseCache.key({"judge": self.model_name, "prompt": prompt, "attempt": attempt})
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            return str(hit.get("content", ""))
        msg = self.model.invoke([HumanMessage(content=prompt)])
        content = msg.content if isinstance(msg.content, str) else json.dumps(msg.content, ensure_ascii=False)
        if self.cache is not None:
            meta = msg.usage_metadata or {}
            self.cache.put(key, {"content": content, "usage": {"input_tokens": meta.get("input_tokens", 0),
                                                               "output_tokens": meta.get("output_tokens", 0)}})
        return content

    def _retrying(self, prompt: str, parse):
        errors = []
        for attempt in range(self.attempts):
            try:
                return parse(self._ask(prompt, attempt)), attempt + 1, None
            except JudgeGarbage as exc:
                errors.append(f"第{attempt + 1}次：{exc}")
            except Exception as exc:  # noqa: BLE001 — an unreachable judge is a judge failure, reported as such
                errors.append(f"第{attempt + 1}次：评审模型调用失败（{type(exc).__name__}）")
                break
        return None, len(errors), "评审失败：" + "；".join(errors)[:300]

    def rubric(self, case: EvalCase, record: DraftRecord) -> JudgeScore:
        if not record.texts:
            return JudgeScore(ok=False, error="没有模型起草的章节可评审")
        prompt = self.rubric_template.substitute(request=request_summary(case.request), sections=sections_text(record))
        parsed, attempts, error = self._retrying(prompt, parse_rubric)
        if parsed is None:
            return JudgeScore(ok=False, attempts=attempts, error=error)
        scores, reasons = parsed
        return JudgeScore(ok=True, scores=scores, reasons=reasons, attempts=attempts)

    def pairwise(self, case: EvalCase, a: DraftRecord, b: DraftRecord) -> PairwiseVerdict:
        rng = random.Random(f"{self.seed}:{case.id}:{a.version}:{b.version}")
        b_first = rng.random() < 0.5
        first, second = (b, a) if b_first else (a, b)
        prompt = self.pairwise_template.substitute(request=request_summary(case.request),
                                                   first=sections_text(first), second=sections_text(second))
        winner, _, error = self._retrying(prompt, parse_winner)
        verdict = PairwiseVerdict(case_id=case.id, a=a.version, b=b.version, shown_first="b" if b_first else "a",
                                  error=error)
        if winner == "tie":
            verdict.winner = "tie"
        elif winner in ("1", "2"):
            verdict.winner = ("b" if b_first else "a") if winner == "1" else ("a" if b_first else "b")
        return verdict

    def pairwise_all(self, run: RunData, cases: list[EvalCase]) -> list[PairwiseVerdict]:
        """First version (A) against each other version, on repeat 0 of every case both drafted."""
        versions = run.versions()
        by_key = {(d.case_id, d.version, d.repeat): d for d in run.drafts if d.ok}
        out = []
        for case in cases:
            a = by_key.get((case.id, versions[0], 0))
            for v in versions[1:]:
                b = by_key.get((case.id, v, 0))
                if a is not None and b is not None and a.texts and b.texts:
                    out.append(self.pairwise(case, a, b))
        return out
