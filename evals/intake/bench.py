"""Intake corpus benchmark: field-level precision and recall of the free-text reader, and every miss.

    .venv/bin/python evals/intake/bench.py                 # rules alone, the whole corpus
    .venv/bin/python evals/intake/bench.py --only heldout  # one corpus file (its `industry:` label)
    .venv/bin/python evals/intake/bench.py --model         # rules + the configured model (PLAN_LLM_*)
    .venv/bin/python evals/intake/bench.py --raise-floor   # write the new figures as the floor if they are higher

Targets with the rule reader alone: recall >= 95%, precision >= 98% (tests/test_intake_corpus.py holds the floor).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from assistant.intake.benchmark import CORPUS_DIR, Score, run_corpus  # noqa: E402

FLOOR_FILE = CORPUS_DIR / "floor.json"
TARGETS = {"precision": 0.98, "recall": 0.95}


def _row(name: str, score: Score, pred) -> str:
    tp, fp, fn = score.counts(pred)
    return (f"{name:<22} {tp:>5} {fp:>4} {fn:>4}  {score.precision(pred):>7.1%} {score.recall(pred):>7.1%}")


def report(score: Score, kinds: dict[str, str], industries: dict[str, str]) -> None:
    print(f"{'':<22} {'TP':>5} {'FP':>4} {'FN':>4}  {'精确率':>5} {'召回率':>5}")
    print(_row("全部", score, lambda u: True))
    for kind in ("first", "followup", "revision"):
        print(_row(f"  {kind}", score, lambda u, k=kind: kinds[u.item] == k))
    print("\n按行业（语料文件）：")
    for ind in sorted(set(industries.values())):
        print(_row(f"  {ind}", score, lambda u, i=ind: industries[u.item] == i))
    print("\n按字段：")
    fields = sorted({u.field for u in score.units})
    for f in fields:
        print(_row(f"  {f}", score, lambda u, f=f: u.field == f))
    misses = score.misses()
    print(f"\n未命中（{len(misses)}）：")
    by_item = defaultdict(list)
    for u in misses:
        by_item[u.item].append(u)
    for item, units in by_item.items():
        for u in units:
            what = {"fn": "漏读", "fp": "多读/读错"}[u.kind]
            print(f"  {item:<10} {u.field:<18} {what}：期望 {u.expected!r}，读到 {u.read!r}")
    failed = [c for c in score.checks if not c.ok]
    print(f"\n提示语与待定项检查：{len(score.checks) - len(failed)}/{len(score.checks)} 通过")
    for c in failed:
        print(f"  {c.item:<10} {c.what}: {c.detail}")


def main() -> int:
    parser = argparse.ArgumentParser(description="意图语料基准：字段级精确率/召回率")
    parser.add_argument("--only", help="只跑一个语料文件（其 industry 标签，如 heldout、fmcg）")
    parser.add_argument("--model", action="store_true", help="规则 + 已配置的模型（默认只用规则）")
    parser.add_argument("--raise-floor", action="store_true", help="数字高于下限时写入新下限（只升不降）")
    args = parser.parse_args()
    extract = None
    if args.model:
        from assistant.config import get_settings
        from assistant.intake.model_reader import read_text

        settings = get_settings()
        if not settings.llm_configured:
            print("未配置模型（PLAN_LLM_MODEL / PLAN_LLM_BASE_URL），只能跑规则读法。", file=sys.stderr)
            return 2
        extract = lambda text, previous, today: read_text(  # noqa: E731
            text, settings, use_model=True, previous=previous, today=today)
    from assistant.intake.benchmark import load_corpus

    items = [i for i in load_corpus(CORPUS_DIR) if args.only in (None, i.industry)]
    score = run_corpus(only=args.only, extract=extract)
    report(score, {i.id: i.kind for i in items}, {i.id: i.industry for i in items})
    # rounded down: the floor must never be above what the reader measures
    figures = {k: math.floor(v * 10_000) / 10_000 for k, v in (("precision", score.precision()),
                                                             ("recall", score.recall()))}
    print(f"\n语料 {len(items)} 条；规则{'+模型' if args.model else ''}读法：精确率 {figures['precision']:.1%}，"
          f"召回率 {figures['recall']:.1%}（目标：精确率 ≥ {TARGETS['precision']:.0%}，召回率 ≥ {TARGETS['recall']:.0%}）")
    if args.raise_floor and not args.only and not args.model:
        floor = json.loads(FLOOR_FILE.read_text(encoding="utf-8"))
        new = {k: max(floor[k], figures[k]) for k in floor}
        if new != floor:
            FLOOR_FILE.write_text(json.dumps(new, indent=2) + "\n", encoding="utf-8")
            print(f"下限已提高：{floor} → {new}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
