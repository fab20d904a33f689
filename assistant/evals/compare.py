"""Paired A/B comparison of two prompt versions (from one run or two) and the regression gate.

The gate (documented in `GATE_RULES`, shown in every report) says B regressed from A when any of:
  1. the upper bound of the paired-bootstrap 95% CI of mean(B−A) is below −δ            (score drop is real)
  2. a critical item's pass rate in B is below its floor (the case's `floor`, else A's rate) (hard gates)
  3. a case that passed N/N repeats in A passes fewer than k/N in B                        (stable case broke)
  4. B's fallback rate is above A's by more than the tolerance                             (chain less robust)
`planassist eval compare --fail-on-regression` exits 100 then (harness errors exit 1).
"""

from __future__ import annotations

import difflib
from collections import defaultdict

from pydantic import BaseModel, Field

from .results import DraftRecord, ItemInfo, RunData
from .stats import DeltaStats, RepeatStats, delta_stats, rate, repeat_stats

EXIT_REGRESSION = 100


class GateConfig(BaseModel):
    delta: float = Field(default=2.0, ge=0, description="δ, score points on the 0-100 scale")
    min_pass_fraction: float = Field(default=0.5, ge=0, le=1, description="k/N for cases that passed N/N in A")
    fallback_tolerance: float = Field(default=0.05, ge=0, le=1, description="allowed rise of the fallback rate")


def gate_rules(cfg: GateConfig) -> list[str]:
    return [
        f"平均分差 mean(B−A) 的配对自助法 95% 置信区间上限低于 −{cfg.delta:g} 分",
        "任一关键检查项（critical）在 B 中的通过率低于其下限（用例中的 floor，未写则为 A 的通过率）",
        f"在 A 中 N/N 次全部通过的用例，在 B 中通过比例低于 {cfg.min_pass_fraction:.0%}",
        f"B 的兜底（fallback）率比 A 高出 {cfg.fallback_tolerance:.0%} 以上",
    ]


class VersionSummary(BaseModel):
    label: str
    version: str
    drafts: int
    errors: int
    cases: int
    mean_score: float
    mean_validator: float | None
    pass_rate: float
    repeat: RepeatStats
    llm_sections: int
    fallback_rate: float
    reask_rate: float
    schema_failure_rate: float
    tokens_in: int
    tokens_out: int
    cost: float
    latency_mean_s: float  # recorded model latency per draft (not replay time)
    live_calls: int
    judge_means: dict[str, float] = Field(default_factory=dict)
    judge_failures: int = 0
    judged: int = 0


class CaseDelta(BaseModel):
    case_id: str
    a_scores: list[float]
    b_scores: list[float]
    a_mean: float
    b_mean: float
    delta: float
    a_pass: str  # "k/N"
    b_pass: str
    flip: str = ""  # "pass→fail" | "fail→pass" | ""


class ItemDelta(BaseModel):
    id: str
    label: str
    section: str | None
    critical: bool
    floor: float | None
    a_rate: float
    b_rate: float
    delta: float
    n: int


class SideBySide(BaseModel):
    case_id: str
    section: str
    a_text: str
    b_text: str
    similarity: float


class GateResult(BaseModel):
    regression: bool
    reasons: list[str]
    rules: list[str]
    config: GateConfig


class Comparison(BaseModel):
    a: VersionSummary
    b: VersionSummary
    a_run: str
    b_run: str
    delta: DeltaStats
    cases: list[CaseDelta]
    items: list[ItemDelta]
    side_by_side: SideBySide | None = None
    pairwise: dict[str, int] = Field(default_factory=dict)
    gate: GateResult
    warnings: list[str] = Field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.gate.regression:
            return "regression"
        if self.delta.ci_low > 0:
            return "better"
        return "no_regression"


def _by_case(drafts: list[DraftRecord]) -> dict[str, list[DraftRecord]]:
    out: dict[str, list[DraftRecord]] = defaultdict(list)
    for d in sorted(drafts, key=lambda d: d.repeat):
        if d.ok:
            out[d.case_id].append(d)
    return out


def summarise(run: RunData, version: str, cases: set[str] | None = None) -> VersionSummary:
    drafts = [d for d in run.for_version(version) if cases is None or d.case_id in cases]
    ok = [d for d in drafts if d.ok]
    grouped = _by_case(ok)
    calls = [c for d in ok for c in d.sections.values()]
    judged = [d.judge for d in ok if d.judge is not None]
    crit: dict[str, list[float]] = defaultdict(list)
    for j in judged:
        if j.ok:
            for k, v in j.scores.items():
                crit[k].append(v)
    vals = [d.validator_score for d in ok if d.validator_score is not None]
    return VersionSummary(
        label=f"{run.manifest.run_id}:{version}", version=version, drafts=len(drafts), errors=len(drafts) - len(ok),
        cases=len(grouped), mean_score=round(sum(d.score for d in ok) / len(ok), 3) if ok else 0.0,
        mean_validator=round(sum(vals) / len(vals), 3) if vals else None,
        pass_rate=rate(sum(d.passed for d in ok), len(ok)),
        repeat=repeat_stats({c: [d.score for d in ds] for c, ds in grouped.items()},
                            {c: [d.passed for d in ds] for c, ds in grouped.items()}),
        llm_sections=len(calls),
        fallback_rate=rate(sum(c.fallback for c in calls), len(calls)),
        reask_rate=rate(sum(c.reasked for c in calls), len(calls)),
        schema_failure_rate=rate(sum(c.schema_failure for c in calls), len(calls)),
        tokens_in=sum(d.tokens_in for d in ok), tokens_out=sum(d.tokens_out for d in ok),
        cost=round(sum(d.cost for d in ok), 6),
        latency_mean_s=round(sum(d.latency_s for d in ok) / len(ok), 2) if ok else 0.0,
        live_calls=sum(d.calls for d in ok),
        judge_means={k: round(sum(v) / len(v), 3) for k, v in sorted(crit.items())},
        judge_failures=sum(1 for j in judged if not j.ok), judged=len(judged),
    )


def _pass_label(ds: list[DraftRecord]) -> str:
    return f"{sum(d.passed for d in ds)}/{len(ds)}"


def _majority(ds: list[DraftRecord]) -> bool:
    return sum(d.passed for d in ds) * 2 >= len(ds) if ds else False


def _item_rates(groups: dict[str, list[DraftRecord]], case_ids: list[str]) -> dict[str, tuple[int, int]]:
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in case_ids:
        for d in groups[c]:
            for item, passed in d.items.items():
                out[item][0] += int(passed)
                out[item][1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def _side_by_side(worst: CaseDelta | None, a: dict[str, list[DraftRecord]],
                  b: dict[str, list[DraftRecord]]) -> SideBySide | None:
    if worst is None:
        return None
    da, db = a[worst.case_id][0], b[worst.case_id][0]
    best: SideBySide | None = None
    for key in sorted(set(da.texts) & set(db.texts)):
        sim = difflib.SequenceMatcher(None, da.texts[key], db.texts[key], autojunk=False).ratio()
        if best is None or sim < best.similarity:
            best = SideBySide(case_id=worst.case_id, section=key, a_text=da.texts[key], b_text=db.texts[key],
                              similarity=round(sim, 3))
    return best


def compare(run_a: RunData, version_a: str, run_b: RunData, version_b: str,
            cfg: GateConfig | None = None) -> Comparison:
    """Pair the two versions by case id and decide whether B regressed from A."""
    cfg = cfg or GateConfig()
    warnings: list[str] = []
    for run, v in ((run_a, version_a), (run_b, version_b)):
        if v not in run.versions():
            raise ValueError(f"运行 {run.manifest.run_id} 中没有提示词版本 {v}（有：{', '.join(run.versions())}）")
    ga, gb = _by_case(run_a.for_version(version_a)), _by_case(run_b.for_version(version_b))
    case_ids = sorted(set(ga) & set(gb))
    only = sorted(set(ga) ^ set(gb))
    if only:
        warnings.append(f"两次运行的用例不完全相同，只比较共有的 {len(case_ids)} 个；未配对：{', '.join(only)}")
    ma, mb = run_a.manifest, run_b.manifest
    if ma.cases_hash != mb.cases_hash:
        warnings.append("用例集内容哈希不同（用例文件有改动），请确认差异不是来自用例本身")
    if ma.llm_sections != mb.llm_sections:
        warnings.append(f"模型起草的章节不同：A={ma.llm_sections} B={mb.llm_sections}")
    if ma.model != mb.model:
        warnings.append(f"模型不同：A={ma.model} B={mb.model}")
    if not case_ids:
        raise ValueError("两次运行没有可配对的用例（检查用例集与提示词版本）")

    cases: list[CaseDelta] = []
    for c in case_ids:
        a_scores, b_scores = [d.score for d in ga[c]], [d.score for d in gb[c]]
        a_mean, b_mean = sum(a_scores) / len(a_scores), sum(b_scores) / len(b_scores)
        pa, pb = _majority(ga[c]), _majority(gb[c])
        cases.append(CaseDelta(case_id=c, a_scores=a_scores, b_scores=b_scores, a_mean=round(a_mean, 3),
                               b_mean=round(b_mean, 3), delta=round(b_mean - a_mean, 3),
                               a_pass=_pass_label(ga[c]), b_pass=_pass_label(gb[c]),
                               flip="pass→fail" if pa and not pb else "fail→pass" if pb and not pa else ""))
    cases.sort(key=lambda x: (x.delta, x.case_id))
    stats = delta_stats([x.delta for x in sorted(cases, key=lambda x: x.case_id)])

    catalogue: dict[str, ItemInfo] = {**run_a.items, **run_b.items}
    ra, rb = _item_rates(ga, case_ids), _item_rates(gb, case_ids)
    items: list[ItemDelta] = []
    for item in sorted(set(ra) | set(rb)):
        info = catalogue.get(item) or ItemInfo(id=item, label=item, source="?")
        a_rate = rate(*ra.get(item, (0, 0)))
        b_rate = rate(*rb.get(item, (0, 0)))
        items.append(ItemDelta(id=item, label=info.label, section=info.section, critical=info.critical,
                               floor=info.floor, a_rate=a_rate, b_rate=b_rate, delta=round(b_rate - a_rate, 4),
                               n=rb.get(item, (0, 0))[1]))
    items.sort(key=lambda x: (x.delta, x.id))

    sa, sb = summarise(run_a, version_a, set(case_ids)), summarise(run_b, version_b, set(case_ids))
    reasons: list[str] = []
    if stats.ci_high < -cfg.delta:
        reasons.append(f"平均分差 {stats.mean:+.2f}，95% 置信区间 [{stats.ci_low:+.2f}, {stats.ci_high:+.2f}] "
                       f"整体低于 −{cfg.delta:g}")
    for it in items:
        if not it.critical or it.id not in rb:
            continue
        floor = it.floor if it.floor is not None else it.a_rate
        if it.b_rate < floor - 1e-9:
            reasons.append(f"关键检查项「{it.label}」通过率 {it.b_rate:.0%} 低于下限 {floor:.0%}（A 为 {it.a_rate:.0%}）")
    for x in cases:
        na = len(ga[x.case_id])
        if na and all(d.passed for d in ga[x.case_id]):
            nb = len(gb[x.case_id])
            passed_b = sum(d.passed for d in gb[x.case_id])
            if passed_b < cfg.min_pass_fraction * nb - 1e-9:
                reasons.append(f"用例 {x.case_id} 在 A 中 {na}/{na} 通过，在 B 中只有 {passed_b}/{nb}")
    if sb.fallback_rate > sa.fallback_rate + cfg.fallback_tolerance + 1e-9:
        reasons.append(f"兜底率从 {sa.fallback_rate:.0%} 升到 {sb.fallback_rate:.0%}")

    pairwise: dict[str, int] = {}
    for p in run_b.pairwise if run_b is run_a else []:
        if p.a == version_a and p.b == version_b and p.case_id in case_ids:
            key = p.winner or "failure"
            pairwise[key] = pairwise.get(key, 0) + 1

    return Comparison(a=sa, b=sb, a_run=ma.run_id, b_run=mb.run_id, delta=stats, cases=cases, items=items,
                      side_by_side=_side_by_side(cases[0] if cases else None, ga, gb), pairwise=pairwise,
                      gate=GateResult(regression=bool(reasons), reasons=reasons, rules=gate_rules(cfg), config=cfg),
                      warnings=warnings)
