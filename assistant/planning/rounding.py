"""Amounts as people write them: split a total in proportion on the coarsest round step that stays faithful.

A budget of 150 split 30 : 45 : 15 over 75 reads 25 / 37.5 / 12.5, not 25.01 / 37.50 / 12.49.
"""

from __future__ import annotations

STEPS = (100, 50, 10, 5, 1, 0.5, 0.1, 0.01)  # in the plan's amount unit, coarsest first
TOLERANCE = 0.01  # a rounded amount stays within 1 % of its exact proportional value


def round_split(total: float, weights: list[float]) -> list[float]:
    """`total` split in proportion to `weights`, each part a multiple of the coarsest step in STEPS that divides the
    total and keeps every part within 1 % of its exact value (none rounded to zero); the parts sum to `total`
    exactly (largest remainder). The last step, 0.01, always fits."""
    if not weights:
        return []
    cents = round(total * 100)
    wsum = sum(weights)
    exact = [total * w / wsum for w in weights] if wsum > 0 else [total / len(weights)] * len(weights)
    amounts: list[float] = []
    for step in STEPS:
        unit = round(step * 100)
        if cents % unit:
            continue
        raw = [e * 100 / unit for e in exact]
        parts = [int(r) for r in raw]
        for i in sorted(range(len(raw)), key=lambda i: (raw[i] - parts[i], weights[i]), reverse=True)[
                :cents // unit - sum(parts)]:
            parts[i] += 1
        amounts = [p * unit / 100 for p in parts]
        if all(abs(a - e) <= TOLERANCE * abs(e) and (a > 0 or e == 0) for a, e in zip(amounts, exact, strict=True)):
            return amounts
    return amounts
