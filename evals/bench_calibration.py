"""Calibration benchmark: does the validator rank plans the way a demanding sales director does?

    .venv/bin/python evals/bench_calibration.py [--verbose]

Reads evals/calibration/manifest.yaml (26 plans: hand-written in varied styles, the offline drafter's plans for
different industries, drafts with planted errors; each with the director's score and its planted flaws) and prints:

- Spearman correlation of the validator's scores with the director's (target ≥ 0.8);
- planted arithmetic errors caught, with both numbers in one finding (target: all), and the other planted errors;
- false findings per good hand-written plan: failing items the manifest does not list as true gaps (target ≤ 1);
- every plan's score beside the director's, and the offline drafts' highest score (target: below 85).
A script that prints figures, not a test (tests/test_validation_calibration.py holds the floors).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.validation import Report, validate_file  # noqa: E402

CALIBRATION = ROOT / "evals" / "calibration"
ARITHMETIC = {"months_sum", "months_vs_quarter", "budget_sum", "funnel_math", "growth_rate", "quotas_cover"}
GOOD_HANDWRITTEN = 74  # director score from which a hand-written plan counts as good


def ranks(values: list[float]) -> list[float]:
    """1-based ranks, ties sharing their mean rank."""
    order = sorted(range(len(values)), key=values.__getitem__)
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(a: list[float], b: list[float]) -> float:
    ra, rb = ranks(a), ranks(b)
    ma, mb = statistics.fmean(ra), statistics.fmean(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    return cov / (sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb)) ** 0.5


def caught(report: Report, planted: dict) -> bool:
    reasons = [f.reason for f in report.failed]
    if "expect_in_finding" in planted:
        return any(all(s in r for s in planted["expect_in_finding"]) for r in reasons)
    return any(any(s in r for s in planted.get("expect_any", [])) for r in reasons)


@dataclass
class Results:
    director: list[float] = field(default_factory=list)
    validator: list[float] = field(default_factory=list)
    planted: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)  # group -> (file, kind, caught)
    false_findings: dict[str, list[str]] = field(default_factory=dict)
    drafts: dict[str, float] = field(default_factory=dict)
    rows: list[tuple[str, float, Report]] = field(default_factory=list)


def run(manifest: Path = CALIBRATION / "manifest.yaml") -> Results:
    plans = yaml.safe_load(manifest.read_text(encoding="utf-8"))["plans"]
    res = Results()
    for entry in plans:
        report = validate_file(manifest.parent / entry["file"])
        name = Path(entry["file"]).name
        res.director.append(entry["director_score"])
        res.validator.append(report.score)
        res.rows.append((name, entry["director_score"], report))
        for planted in entry.get("planted") or []:
            group = ("contradiction" if planted.get("checked_by") == "coherence"
                     else "arithmetic" if planted["kind"] in ARITHMETIC else planted["kind"])
            res.planted.setdefault(group, []).append((name, planted["kind"], caught(report, planted)))
        if entry["origin"].startswith("handwritten") and entry["director_score"] >= GOOD_HANDWRITTEN:
            expected = set(entry.get("expected_failures", []))
            res.false_findings[name] = [f"{f.id} {f.reason[:60]}" for f in report.failed if f.id not in expected]
        if entry["origin"].startswith("offline_draft"):
            res.drafts[name] = report.score
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description="validator calibration against a sales director's ranking")
    parser.add_argument("--verbose", action="store_true", help="list each plan's failing items")
    args = parser.parse_args()
    res = run()
    print(f"{'plan':<52}{'director':>9}{'validator':>10}{'complete':>9}{'subst.':>7}{'consist.':>9}")
    for name, director, r in res.rows:
        print(f"{name:<52}{director:>9}{r.score:>10.1f}{r.completeness:>9.1f}{(r.substance or 0):>7.2f}"
              f"{r.consistency:>9.2f}")
        if args.verbose:
            for f in r.failed:
                print(f"      {f.id} {f.reason[:110]}")
    print()
    print(f"Spearman (validator vs director, {len(res.director)} plans): {spearman(res.director, res.validator):.3f}"
          "   target ≥ 0.8")
    for group, found in sorted(res.planted.items()):
        hit = sum(c for *_, c in found)
        missed = [f"{n}:{k}" for n, k, c in found if not c]
        target = "   target: all" if group == "arithmetic" else ""
        print(f"planted {group} errors caught: {hit}/{len(found)}{target}" + (f"   missed: {missed}" if missed else ""))
    falses = [len(v) for v in res.false_findings.values()]
    print(f"false findings per good hand-written plan: mean {statistics.fmean(falses):.2f}, max {max(falses)} "
          f"over {len(falses)} plans   target ≤ 1")
    for name, items in res.false_findings.items():
        if items:
            print(f"      {name}: {items}")
    top = max(res.drafts.items(), key=lambda kv: kv[1])
    print(f"offline drafts: {min(res.drafts.values()):.1f}–{top[1]:.1f} (highest {top[0]})   target: below 85")


if __name__ == "__main__":
    main()
