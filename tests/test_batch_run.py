"""Running a batch like a job: every region once, atomically, resumable, with a summary that adds up."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.batch import run as batch_mod
from assistant.batch.run import MANIFEST, SUMMARY_CSV, SUMMARY_MD, BatchOptions, run_batch
from assistant.config import Settings

pytestmark = pytest.mark.slow  # `make test-fast` leaves these out

FIXTURES = Path(__file__).parent / "fixtures" / "batch"
COMPANY = FIXTURES / "company.yaml"
GBK12 = FIXTURES / "regions_12_gbk.csv"


@pytest.fixture()
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", llm_model=None, llm_base_url=None)


def run(regions: Path, out: Path, settings: Settings, **options):
    opts = BatchOptions(out_dir=out, formats=options.pop("formats", ["md", "json"]), concurrency=1, **options)
    return run_batch(regions, COMPANY, opts, settings=settings)


def summary_rows(out: Path) -> list[dict[str, str]]:
    with open(out / SUMMARY_CSV, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def manifests(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in (out / "regions").glob(f"*/{MANIFEST}")}


def test_twelve_regions_from_excel_become_twelve_skeletons_and_a_summary_that_adds_up(tmp_path, settings):
    out = tmp_path / "out"
    result = run(GBK12, out, settings, formats=["md", "docx", "json"])
    assert result.exit_code == 0 and {o.status for o in result.outcomes} == {"done"}
    found = manifests(out)
    assert len(found) == 12
    su_nan = out / "regions" / "苏南"
    assert sorted(p.name for p in su_nan.iterdir()) == [MANIFEST, "苏南_销售方案.docx", "苏南_销售方案.json",
                                                        "苏南_销售方案.md"]
    plan = json.loads((su_nan / "苏南_销售方案.json").read_text(encoding="utf-8"))
    assert plan["request"]["region"] == "苏南" and plan["figures"]["revenue_target"] == result.outcomes[0].target
    assert "苏南" in (su_nan / "苏南_销售方案.md").read_text(encoding="utf-8")
    rows = summary_rows(out)
    assert [r["区域"] for r in rows] == [o.region for o in result.outcomes] and len(rows) == 12
    assert sum(round(float(r["目标(万元)"]) * 100) for r in rows) == 10000 * 100
    assert {r["状态"] for r in rows} == {"已生成"}
    assert next(r for r in rows if r["区域"] == "福建")["提示"] == "人均目标高于中位数40%"
    md = (out / SUMMARY_MD).read_text(encoding="utf-8")
    assert "公司总目标：10,000万元；已分配到可起草区域的目标合计：10,000万元" in md and "完成 12" in md


def test_a_rerun_skips_complete_regions_and_force_redoes_them(tmp_path, settings):
    out = tmp_path / "out"
    run(GBK12, out, settings)
    before = manifests(out)
    again = run(GBK12, out, settings)
    assert {o.status for o in again.outcomes} == {"skipped"}
    assert manifests(out) == before
    assert {r["状态"] for r in summary_rows(out)} == {"已完成（沿用）"}
    forced = run(GBK12, out, settings, force=True)
    assert {o.status for o in forced.outcomes} == {"done"}


def test_a_damaged_or_missing_output_is_redone_and_nothing_else(tmp_path, settings):
    out = tmp_path / "out"
    run(GBK12, out, settings)
    (out / "regions" / "苏北" / "苏北_销售方案.md").write_text("被人改过", encoding="utf-8")
    (out / "regions" / "上海" / "上海_销售方案.json").unlink()
    (out / "regions" / "山东" / MANIFEST).write_text("{not json", encoding="utf-8")
    again = run(GBK12, out, settings)
    redone = sorted(o.region for o in again.outcomes if o.status == "done")
    assert redone == sorted(["苏北", "上海", "山东"])
    assert len(manifests(out)) == 12


def test_asking_for_another_format_redraws_regions_without_it(tmp_path, settings):
    out = tmp_path / "out"
    run(GBK12, out, settings, formats=["md"])
    again = run(GBK12, out, settings, formats=["md", "json"])
    assert {o.status for o in again.outcomes} == {"done"}
    assert {o.status for o in run(GBK12, out, settings, formats=["json"]).outcomes} == {"skipped"}


def test_a_changed_target_redoes_only_the_changed_regions(tmp_path, settings):
    regions = tmp_path / "regions.csv"
    regions.write_text("区域,目标\n甲,600\n乙,400\n", encoding="utf-8")
    out = tmp_path / "out"
    run(regions, out, settings, total=1000)
    regions.write_text("区域,目标\n甲,600\n乙,500\n", encoding="utf-8")
    again = run(regions, out, settings, total=1100)
    assert [(o.region, o.status) for o in again.outcomes] == [("甲", "skipped"), ("乙", "done")]


def test_an_interruption_mid_write_loses_nothing_on_the_next_run(tmp_path, settings, monkeypatch):
    out = tmp_path / "out"
    real_write = batch_mod.atomic_write
    calls = {"n": 0}

    def dying_write(path, data):
        calls["n"] += 1
        if calls["n"] == 8:  # in the middle of the third region: after its first file, before its manifest
            Path(path).with_name(f".{Path(path).name}.abc123.tmp").write_bytes(b"half")
            raise KeyboardInterrupt
        return real_write(path, data)

    monkeypatch.setattr(batch_mod, "atomic_write", dying_write)
    with pytest.raises(KeyboardInterrupt):
        run(GBK12, out, settings)
    monkeypatch.setattr(batch_mod, "atomic_write", real_write)
    assert len(manifests(out)) == 2
    interrupted = summary_rows(out)
    assert [r["状态"] for r in interrupted].count("未完成（中断）") == 10

    resumed = run(GBK12, out, settings)
    assert [o.status for o in resumed.outcomes].count("skipped") == 2
    assert len(manifests(out)) == 12 and resumed.exit_code == 0
    assert not list(out.rglob("*.tmp"))


def test_one_bad_row_is_reported_while_the_others_complete(tmp_path, settings):
    out = tmp_path / "out"
    result = run(FIXTURES / "regions_messy_utf8.csv", out, settings, total="1.5亿")
    assert result.exit_code == 1
    status = {o.line: (o.status, o.reason) for o in result.outcomes}
    assert [line for line, (s, _) in status.items() if s == "done"] == [2, 3, 9]
    assert status[5] == ("failed", "人数不能为负数（-3）")
    rows = summary_rows(out)
    assert len(rows) == 8 and [r["行号"] for r in rows] == ["2", "3", "4", "5", "6", "7", "8", "9"]
    assert next(r for r in rows if r["行号"] == "4")["原因"] == "缺少区域名称"
    md = (out / SUMMARY_MD).read_text(encoding="utf-8")
    assert "第6行「浙北」：去年销售额「八百左右」不是可识别的金额" in md and "## 提示" in md


def test_a_region_whose_drafting_fails_does_not_stop_the_others(tmp_path, settings, monkeypatch):
    real = batch_mod.draft_region

    def flaky(request, *args):
        if request.region == "苏中":
            raise RuntimeError("模型超时")
        return real(request, *args)

    monkeypatch.setattr(batch_mod, "draft_region", flaky)
    result = run(GBK12, tmp_path / "out", settings)
    failed = [(o.region, o.reason) for o in result.outcomes if o.status == "failed"]
    assert failed == [("苏中", "起草失败：RuntimeError: 模型超时")] and result.exit_code == 1
    assert len(manifests(tmp_path / "out")) == 11


def test_worker_processes_produce_the_same_regions(tmp_path, settings):
    opts = BatchOptions(out_dir=tmp_path / "out", formats=["md"], concurrency=2)
    result = run_batch(GBK12, COMPANY, opts, settings=settings)
    assert result.exit_code == 0 and len(manifests(tmp_path / "out")) == 12


def test_the_command_line(tmp_path, monkeypatch):
    from assistant.cli.main import app

    monkeypatch.setenv("PLAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PLAN_LLM_MODEL", raising=False)
    runner = CliRunner()
    out = tmp_path / "out"
    ok = runner.invoke(app, ["batch", str(GBK12), "--company", str(COMPANY), "--out", str(out), "--format", "md",
                             "-j", "1", "--total", "10000"])
    assert ok.exit_code == 0, ok.output
    assert "目标分配" in ok.output and "完成 12/12 个区域" in ok.output
    bad = runner.invoke(app, ["batch", str(FIXTURES / "regions_messy_utf8.csv"), "--company", str(COMPANY),
                              "--out", str(tmp_path / "out2"), "--format", "md", "-j", "1", "--total", "1.5亿"])
    assert bad.exit_code == 1 and "人数不能为负数" in bad.output
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    fatal = runner.invoke(app, ["batch", str(empty), "--company", str(COMPANY), "--out", str(tmp_path / "o3")])
    assert fatal.exit_code == 2 and "是空的" in fatal.output
    wrong = runner.invoke(app, ["batch", str(GBK12), "--company", str(COMPANY), "--out", str(tmp_path / "o4"),
                                "--format", "pdf"])
    assert wrong.exit_code == 2 and "不支持的输出格式" in wrong.output


def test_an_output_folder_that_cannot_be_created_is_a_chinese_error(tmp_path, settings):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(batch_mod.BatchInputError, match="无法创建输出目录"):
        run(GBK12, blocker / "out", settings)
