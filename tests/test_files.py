"""Exports never leave half-written files and their names are safe everywhere."""

from __future__ import annotations

import pytest

from assistant.files import atomic_write, safe_filename


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "plan.md"
    target.write_text("旧版本", encoding="utf-8")

    def boom(fd):
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", boom)
    with pytest.raises(OSError):
        atomic_write(target, "新版本")
    assert target.read_text(encoding="utf-8") == "旧版本"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.md"]


@pytest.mark.parametrize(("name", "expected"), [
    ("华东/江苏:2027?方案", "华东_江苏_2027_方案"), ("../../etc/passwd", "etc_passwd"), ("CON", "方案"),
    ("", "方案"), ("  江苏 方案. ", "江苏 方案"),
])
def test_export_names_are_sanitised(name, expected):
    assert safe_filename(name) == expected
