"""Kill the real `batch` command with SIGKILL mid-run, run it again: every region exactly once, nothing half-written."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from assistant.batch.allocation import prepare
from assistant.batch.run import FORMATS, MANIFEST, SUMMARY_CSV, complete_manifest, job_key, region_dir
from assistant.config import Settings
from assistant.drafting.drafter import make_drafter

pytestmark = [pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL"), pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent
COMPANY = Path(__file__).parent / "fixtures" / "batch" / "company.yaml"
REGIONS = 20


def command(regions: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "assistant.cli.main", "batch", str(regions), "--company", str(COMPANY),
            "--out", str(out), "--total", "10000", "--concurrency", "2", "--offline"]


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAN_")}
    return {**env, "PLAN_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}


def count(out: Path) -> int:
    return len(list((out / "regions").glob(f"*/{MANIFEST}")))


def start_and_kill(cmd: list[str], env: dict, out: Path, after_manifests: int) -> int:
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while count(out) < after_manifests:
            assert proc.poll() is None, "the batch ended before it could be killed"
            time.sleep(0.01)
        children = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    _, alive = psutil.wait_procs(children, timeout=10)  # worker processes follow their parent
    assert [p for p in alive if p.status() != psutil.STATUS_ZOMBIE] == []
    return count(out)


def test_sigkill_mid_run_then_rerun_finishes_every_region_exactly_once(tmp_path):
    regions = tmp_path / "regions.csv"
    lines = ["区域,市场潜力,去年销售额,人数"] + [f"区域{i:02d},{900 + 37 * i},{400 + 11 * i},{2 + i % 5}"
                                                 for i in range(REGIONS)]
    regions.write_text("\n".join(lines) + "\n", encoding="gbk")
    out, env = tmp_path / "out", environment(tmp_path)

    first = start_and_kill(command(regions, out), env, out, after_manifests=3)
    assert 3 <= first < REGIONS and not (out / SUMMARY_CSV).exists()
    second = start_and_kill(command(regions, out), env, out, after_manifests=first + 3)
    assert second < REGIONS

    done = subprocess.run(command(regions, out), cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]

    # every region complete exactly once, with files matching its manifest
    prepared = prepare(regions, COMPANY, total=10000)
    settings = Settings(data_dir=tmp_path / "data")
    for plan in prepared.regions:
        folder = region_dir(out, plan.region)
        key = job_key(plan.request, make_drafter(settings, offline=True).key)
        assert complete_manifest(folder, key, plan.region, list(FORMATS)) is not None, plan.region
        assert len(list(folder.iterdir())) == 1 + len(FORMATS)
    assert len(list((out / "regions").iterdir())) == REGIONS
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]

    with open(out / SUMMARY_CSV, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["区域"] for r in rows) == sorted(p.region for p in prepared.regions)
    assert {r["状态"] for r in rows} <= {"已生成", "已完成（沿用）"}
    skipped = sum(r["状态"] == "已完成（沿用）" for r in rows)
    assert skipped == second  # what the killed runs finished is reused, not redone
    assert sum(round(float(r["目标(万元)"]) * 100) for r in rows) == 10000 * 100
