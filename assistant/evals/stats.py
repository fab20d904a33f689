"""Paired statistics for A/B prompt comparisons: bootstrap CI of the mean paired delta, wins/ties/losses,
repeat statistics (spread, pass^N, flip rate). Deterministic: the bootstrap uses a fixed seed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

BOOTSTRAP_SEED = 20_240_601
BOOTSTRAP_RESAMPLES = 10_000
TIE_EPSILON = 0.5  # score points: |delta| below this is a tie


class DeltaStats(BaseModel):
    n: int
    mean: float
    ci_low: float
    ci_high: float
    wins: int
    ties: int
    losses: int


class RepeatStats(BaseModel):
    """How stable a version is across repeats of the same case."""

    repeats: int
    cases: int
    mean_spread: float  # mean over cases of (max - min) score
    max_spread: float
    mean_std: float
    pass_rate: float  # mean over drafts
    pass_all: float  # pass^N: share of cases whose N repeats all pass
    flip_rate: float  # share of cases whose repeats disagree on pass/fail


def paired_bootstrap(deltas: Sequence[float], *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                     confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of the mean paired delta; cases are resampled with replacement (percentile interval)."""
    d = np.asarray(list(deltas), dtype=float)
    if d.size == 0:
        return 0.0, 0.0, 0.0
    mean = float(d.mean())
    if d.size == 1:
        return mean, mean, mean
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, d.size, size=(resamples, d.size))
    means = d[idx].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return mean, float(low), float(high)


def delta_stats(deltas: Sequence[float], *, tie: float = TIE_EPSILON, seed: int = BOOTSTRAP_SEED) -> DeltaStats:
    mean, low, high = paired_bootstrap(deltas, seed=seed)
    wins = sum(1 for d in deltas if d > tie)
    losses = sum(1 for d in deltas if d < -tie)
    return DeltaStats(n=len(deltas), mean=round(mean, 3), ci_low=round(low, 3), ci_high=round(high, 3), wins=wins,
                      ties=len(deltas) - wins - losses, losses=losses)


def repeat_stats(scores_by_case: dict[str, list[float]], passes_by_case: dict[str, list[bool]]) -> RepeatStats:
    """Per-version stability: score spread across repeats, pass^N (all N pass) and flip rate (repeats disagree)."""
    cases = sorted(scores_by_case)
    if not cases:
        return RepeatStats(repeats=0, cases=0, mean_spread=0, max_spread=0, mean_std=0, pass_rate=0, pass_all=0,
                           flip_rate=0)
    spreads = [max(scores_by_case[c]) - min(scores_by_case[c]) for c in cases]
    stds = [float(np.std(scores_by_case[c])) for c in cases]
    passes = [passes_by_case.get(c, []) for c in cases]
    drafts = [p for ps in passes for p in ps]
    return RepeatStats(
        repeats=max(len(ps) for ps in passes),
        cases=len(cases),
        mean_spread=round(float(np.mean(spreads)), 3),
        max_spread=round(float(np.max(spreads)), 3),
        mean_std=round(float(np.mean(stds)), 3),
        pass_rate=round(sum(drafts) / len(drafts), 4) if drafts else 0.0,
        pass_all=round(sum(1 for ps in passes if ps and all(ps)) / len(cases), 4),
        flip_rate=round(sum(1 for ps in passes if len(set(ps)) > 1) / len(cases), 4),
    )


def rate(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0
