"""`planassist kb ...` as a user types it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli.kb import app
from assistant.config import get_settings

pytestmark = pytest.mark.slow  # `make test-fast` leaves these out

FIXTURES = Path(__file__).parent / "fixtures" / "retrieval"
runner = CliRunner()


@pytest.fixture(autouse=True)
def isolated_store(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PLAN_KNOWLEDGE_DIR", str(FIXTURES / "knowledge"))
    monkeypatch.setenv("PLAN_COLLECTION", "methodology")
    monkeypatch.setenv("PLAN_EMBEDDING", "hashing")
    monkeypatch.delenv("PLAN_CHROMA_HOST", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def kb(*args: str):
    result = runner.invoke(app, list(args))
    return result


def test_importing_the_kb_command_group_does_not_load_chromadb_or_jieba():
    code = "import sys, assistant.cli.kb; print(sorted(m for m in ('chromadb', 'jieba', 'bm25s') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_ingest_prints_a_table_of_added_unchanged_and_skipped_files_with_reasons(tmp_path):
    folder = tmp_path / "docs"
    shutil.copytree(FIXTURES / "seeds", folder)
    (folder / "empty.txt").write_text("", encoding="utf-8")
    first = kb("ingest", str(folder), str(tmp_path / "missing.md"))
    assert first.exit_code == 2, first.output  # the existing files are imported; the missing one is an input error
    assert "导入结果" in first.output
    assert first.output.count("新增") >= 5 and "文件为空" in first.output and "路径不存在" in first.output
    assert "新增 5，已替换 0，未变 0，跳过 2" in first.output
    again = kb("ingest", str(folder))
    assert "新增 0，已替换 0，未变 5，跳过 1" in again.output


def test_ingest_of_a_path_that_does_not_exist_is_an_input_error_and_imports_nothing(tmp_path):
    result = kb("ingest", str(tmp_path / "我的资料"))
    assert result.exit_code == 2
    assert "找不到要导入的文件或文件夹" in result.output and "我的资料" in result.output
    assert "导入结果" not in result.output


def test_search_json_returns_chunks_with_ids_scores_and_sources():
    result = kb("search", "SWOT交叉组合策略", "--k", "2", "--json")
    assert result.exit_code == 0, result.output
    chunks = json.loads(result.output)
    assert len(chunks) == 2
    assert chunks[0]["source"] == "knowledge/swot_matrix.md"
    assert set(chunks[0]) == {"id", "text", "source", "title", "headings", "sections", "score"}


def test_search_table_and_section_filter_and_a_wrong_section_is_explained():
    table = kb("search", "费用率预警", "--section", "budget")
    assert table.exit_code == 0 and "销售预算与费用率" in table.output
    wrong = kb("search", "费用率", "--section", "nonsense")
    assert wrong.exit_code == 1 and "未知的方案章节" in wrong.output


def test_list_remove_and_reset(tmp_path):
    doc = tmp_path / "my-notes.md"
    doc.write_text("# 我的打法\n重点客户每月拜访两次，季度做一次高层回访。", encoding="utf-8")
    kb("ingest", str(doc))
    listed = kb("list")
    assert "my-notes.md" in listed.output and "knowledge/swot_matrix.md" in listed.output and "内置" in listed.output
    removed = kb("remove", "my-notes.md")
    assert removed.exit_code == 0 and "已删除" in removed.output
    assert "my-notes.md" not in kb("list").output
    missing = kb("remove", "my-notes.md")
    assert missing.exit_code == 1 and "没有这个来源" in missing.output
    assert kb("reset", "--yes").exit_code == 0
    assert "knowledge/swot_matrix.md" in kb("list").output  # built-ins re-indexed on next use
