"""Benchmark `planassist batch` offline: wall time, CPU time and peak memory for N regions.

    python evals/bench_batch.py                      # 100 and 1000 regions, md+docx+json, 2 workers
    python evals/bench_batch.py --sizes 100 --formats md,json --concurrency 4

Each size runs the real command (`python -m assistant.cli.main batch`) in a subprocess on a generated GBK CSV with
Chinese headers and no per-region targets; the process tree's resident memory is sampled every 50 ms. A second run on
the finished folder measures the resume check (every region verified by hash and skipped). Targets: 100 regions
<= 20 s and <= 600 MB on 2 cores; cost per region roughly constant from 100 to 1000 regions. Prints figures only.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
COMPANY = ROOT / "tests" / "fixtures" / "batch" / "company.yaml"


def make_regions(path: Path, n: int) -> None:
    lines = ["区域,市场潜力（万元）,去年销售额（万元）,人数,渠道,竞争对手,负责人"]
    for i in range(n):
        lines.append(f"区域{i:04d},{800 + (i * 37) % 2500},{300 + (i * 13) % 1200},{2 + i % 8},直销+经销商,"
                     f"壳牌、美孚,经理{i:04d}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))


def run(cmd: list[str], env: dict[str, str], log: Path) -> dict[str, float]:
    started = time.perf_counter()
    before = os.times()
    with open(log, "w", encoding="utf-8") as err:  # a file, not a pipe: a full pipe would stall the command
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
    root = psutil.Process(proc.pid)
    peak_tree = peak_parent = 0
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            rss = [p.memory_info().rss for p in tree if p.is_running()]
            peak_tree, peak_parent = max(peak_tree, sum(rss)), max(peak_parent, rss[0])
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - started
    after = os.times()
    if proc.returncode != 0:
        raise SystemExit(f"batch failed ({proc.returncode}):\n{log.read_text(encoding='utf-8')[-2000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {"wall": wall, "cpu": cpu, "peak_tree_mb": peak_tree / 2**20, "peak_parent_mb": peak_parent / 2**20}


def check(out: Path, n: int, total: float) -> None:
    with open(out / "summary.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cents = sum(round(float(r["目标(万元)"]) * 100) for r in rows)
    manifests = len(list((out / "regions").glob("*/manifest.json")))
    assert len(rows) == n and manifests == n and cents == round(total * 100), (len(rows), manifests, cents)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000")
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--formats", default="md,docx,json")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAN_LLM")}
    total = 100_000.0
    print(f"cpu cores: {os.cpu_count()}  concurrency: {args.concurrency}  formats: {args.formats}  "
          f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'regions':>8} {'wall s':>8} {'cpu s':>8} {'ms/region':>10} {'peak MB (tree)':>15} {'peak MB (main)':>15} "
          f"{'resume s':>9}")
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            folder = Path(tmp) / str(n)
            folder.mkdir()
            regions, out = folder / "regions.csv", folder / "out"
            make_regions(regions, n)
            cmd = [sys.executable, "-m", "assistant.cli.main", "batch", str(regions), "--company", str(COMPANY),
                   "--out", str(out), "--total", str(total), "--concurrency", str(args.concurrency),
                   "--format", args.formats, "--offline"]
            env["PLAN_DATA_DIR"] = str(folder / "data")
            first = run(cmd, env, folder / "first.log")
            check(out, n, total)
            resume = run(cmd, env, folder / "resume.log")
            print(f"{n:>8} {first['wall']:>8.1f} {first['cpu']:>8.1f} {first['wall'] / n * 1000:>10.0f} "
                  f"{first['peak_tree_mb']:>15.0f} {first['peak_parent_mb']:>15.0f} {resume['wall']:>9.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
