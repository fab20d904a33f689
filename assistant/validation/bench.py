"""Benchmark: how long validation takes per plan (batch runs it once per region).

    .venv/bin/python -m assistant.validation.bench [--repeat 50]

Prints milliseconds per call for a rich and a sparse offline draft (SalesPlan), their Markdown and DOCX
exports, and the scores each gets. A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable


def _ms(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median wall-clock ms, median CPU ms): CPU time is what a busy machine does not inflate."""
    fn()  # warm-up: checklist, regexes, markdown-it
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description="validator timing")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    from ..config import EXAMPLE_REQUEST as EXAMPLE
    from ..drafting.offline import draft_offline
    from ..render import to_docx_bytes, to_markdown
    from ..request import build_request, load_request
    from . import build_report, validate_plan, validate_text
    from .reader import build_doc, docx_events

    plans = {"rich": draft_offline(load_request(EXAMPLE)),
             "sparse": draft_offline(build_request({"company": "星河科技", "region": "华南", "period": "2027年",
                                                    "revenue_target": "800万"}))}
    print(f"{'plan':<8}{'input':<10}{'score':>7}{'wall ms':>9}{'cpu ms':>8}  (medians of {args.repeat})")
    for name, plan in plans.items():
        md, docx = to_markdown(plan), to_docx_bytes(plan)
        runs = {"SalesPlan": lambda p=plan: validate_plan(p),
                "Markdown": lambda t=md: validate_text(t),
                "DOCX": lambda b=docx: build_report(build_doc(docx_events(b), source="x.docx", kind="docx"))}
        for kind, fn in runs.items():
            wall, cpu = _ms(fn, args.repeat)
            print(f"{name:<8}{kind:<10}{fn().score:>7.1f}{wall:>9.1f}{cpu:>8.1f}")
    _long_plans(plans["rich"], validate_text)


def _long_plans(plan, validate_text) -> None:  # noqa: ANN001 - a SalesPlan and validation.validate_text
    """Reading is linear in the text and bounded (reader.MAX_TEXT_BYTES): time plans of growing length."""
    import resource

    from ..render import to_markdown
    from .reader import MAX_TEXT_BYTES

    base = to_markdown(plan)
    print(f"\n{'Markdown size':<16}{'wall s':>8}{'peak RSS MB':>13}   (limit {MAX_TEXT_BYTES // 1024} KB)")
    for target in (100_000, 400_000, MAX_TEXT_BYTES - 50_000):
        text = base
        while len(text.encode("utf-8")) < target:
            text += f"\n## 附录{len(text)}\n\n" + base[len(base) // 3: len(base) // 3 + 4000]
        started = time.perf_counter()
        validate_text(text)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{len(text.encode('utf-8')) // 1024:>10} KB{time.perf_counter() - started:>10.2f}{rss:>13.0f}")


if __name__ == "__main__":
    main()
