"""Retrieval eval: hit@1, hit@5 and MRR for BM25-only, vector-only and hybrid, side by side.

    python evals/retrieval/run.py [--queries evals/retrieval/queries.yaml] [--no-sections] [--json]

Builds a throw-away index of knowledge/ (users' documents never count) and exits non-zero when hybrid
hit@5 falls below 0.9 or below either single mode.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from assistant.retrieval.evaluate import MODES, render_table, run_eval  # noqa: E402

TARGET_HIT5 = 0.9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=Path, default=ROOT / "evals" / "retrieval" / "queries.yaml")
    parser.add_argument("--no-sections", action="store_true", help="ignore the queries' section filters")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--misses", action="store_true", help="list the query ids each mode missed at 5")
    args = parser.parse_args(argv)
    if not args.queries.exists():
        print(f"找不到评测查询文件：{args.queries}", file=sys.stderr)
        return 2
    result = run_eval(args.queries, modes=MODES, use_sections=not args.no_sections)
    if args.json:
        print(json.dumps(result.model_dump(), ensure_ascii=False, indent=2))
    else:
        from rich.console import Console

        console = Console()
        console.print(render_table(result))
        if args.misses:
            for r in result.results:
                console.print(f"{r.mode} 未命中@5：{', '.join(r.misses) or '无'}")
    hybrid = result.by_mode("hybrid").hit_at_5
    ok = hybrid >= TARGET_HIT5 and all(hybrid >= r.hit_at_5 for r in result.results)
    if not ok:
        print(f"未达标：hybrid hit@5 = {hybrid:.3f}（目标 ≥ {TARGET_HIT5}，且不低于单一模式）", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
