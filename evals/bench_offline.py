"""Benchmark: a full offline draft (request -> numbers -> sections -> Markdown + DOCX), and CLI start-up time.

    python evals/bench_offline.py [--runs 30]
Target: median full draft <= 0.5 s on a 2-core machine; `planassist --help` well under a second.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    from assistant.config import EXAMPLE_REQUEST as EXAMPLE
    from assistant.drafting.offline import draft_offline
    from assistant.planning.engine import compute_figures
    from assistant.render import to_docx_bytes, to_markdown
    from assistant.request import load_request

    def once() -> float:
        t0 = time.perf_counter()
        request = load_request(EXAMPLE)
        plan = draft_offline(request, compute_figures(request))
        to_markdown(plan)
        to_docx_bytes(plan)
        return time.perf_counter() - t0

    first = once()  # includes first imports of python-docx/lxml
    times = [once() for _ in range(args.runs)]
    print(f"offline full draft (md + docx), {args.runs} runs: median {statistics.median(times) * 1000:.1f} ms, "
          f"p95 {sorted(times)[int(0.95 * (len(times) - 1))] * 1000:.1f} ms, first (cold) {first * 1000:.1f} ms")

    exe = Path(sys.executable).with_name("planassist")
    starts = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([str(exe), "--help"], capture_output=True, check=True)
        starts.append(time.perf_counter() - t0)
    print(f"planassist --help: median {statistics.median(starts) * 1000:.0f} ms over 5 runs")
    t0 = time.perf_counter()
    subprocess.run([str(exe), "draft", "--example", "--out", "/dev/null", "--format", "md"], capture_output=True,
                   check=True)
    print(f"planassist draft --example (whole process, cold): {(time.perf_counter() - t0) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
