"""The validator's reader is bounded: an oversized Markdown plan or a DOCX that unzips to gigabytes gets a clear
Chinese message at once (issue 15: 19 MB Markdown took 57 s and 1.3 GB; a 4.6 MB DOCX expanded to 1.8 GB of XML),
and a long plan within the bounds is read (reading is linear; the timing lives in evals/bench_calibration.py's
neighbour, `python -m assistant.validation.bench`)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from assistant.validation import PlanParseError, validate_file, validate_text
from assistant.validation.reader import MAX_DOCX_EXPANDED, MAX_TEXT_BYTES

PLANS = Path(__file__).parents[1] / "evals" / "calibration" / "plans"


def test_an_oversized_markdown_plan_is_refused_with_a_chinese_message(tmp_path):
    path = tmp_path / "huge.md"
    line = "| 1月 | 100 | 说明文字说明文字说明文字 |\n"
    path.write_text("# 方案\n\n## 目标分解\n\n| 月份 | 目标 | 说明 |\n|---|---|---|\n" + line * (MAX_TEXT_BYTES // len(line.encode()) + 10),
                    encoding="utf-8")
    with pytest.raises(PlanParseError, match="超过1.0MB的上限"):
        validate_file(path)
    with pytest.raises(PlanParseError, match="超过"):
        validate_text(path.read_text(encoding="utf-8"))


def test_a_docx_that_unzips_far_beyond_the_limit_is_refused_before_it_is_inflated(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"<w:document>" + b" " * (MAX_DOCX_EXPANDED + 1024) + b"</w:document>")
    path = tmp_path / "bomb.docx"
    path.write_bytes(buf.getvalue())
    assert path.stat().st_size < 1024 * 1024  # small on disk, huge once unzipped
    with pytest.raises(PlanParseError, match="解压后有.*超过"):
        validate_file(path)


def test_a_long_plan_within_the_bounds_is_read(tmp_path):
    base = (PLANS / "h02_good_prose_tea_east.md").read_text(encoding="utf-8")
    appendix = base.split("## 二、市场和对手")[1][:3000]
    path = tmp_path / "long.md"
    path.write_text(base + "".join(f"\n## 附录{i}\n\n{appendix}" for i in range(60)), encoding="utf-8")
    assert 200_000 < path.stat().st_size < MAX_TEXT_BYTES
    report = validate_file(path)
    assert report.item("BRK-02").status == "pass" and report.item("BUD-02").status == "pass"
