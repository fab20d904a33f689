"""The knowledge base as a user meets it: ingest folders, search, re-ingest, replace, remove, reset."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.retrieval import EmbeddingMismatchError, KnowledgeBase, get_knowledge_base
from assistant.retrieval.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "retrieval"
SEEDS = FIXTURES / "seeds"
KNOWLEDGE = FIXTURES / "knowledge"


def make_settings(tmp_path: Path, **kw) -> Settings:
    values = dict(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE, chroma_host=None, collection="methodology",
                  embedding="hashing", max_file_mb=1.0)
    values.update(kw)
    return Settings(_env_file=None, **values)


@pytest.fixture
def kb(tmp_path) -> KnowledgeBase:
    return KnowledgeBase(make_settings(tmp_path))


@pytest.fixture
def seeds(tmp_path) -> Path:
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder


def by_status(report) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in report.rows:
        out.setdefault(row.status, []).append(Path(row.path).name)
    return out


@pytest.mark.slow
def test_given_the_seeds_folder_when_i_ingest_it_then_every_article_is_added_and_searchable(kb, seeds):
    report = kb.ingest([seeds])
    assert sorted(by_status(report)["added"]) == sorted(p.name for p in SEEDS.glob("*.txt"))
    assert all(row.chunks >= 3 for row in report.rows)

    expectations = {
        "销售人员绩效考核标准怎么设定": "002_d41fe73edb011cba.txt",
        "本季度内实现200万元销售额的SMART目标": "000_d85e1a248510cb42.txt",
        "日跟进、周复盘、月总结的跟踪体系": "004_ea3f78d47a1c2c15.txt",
        "潜在客户转化率和CRM软件": "003_fd7a1e9540a938f1.txt",
    }
    for query, name in expectations.items():
        hits = kb.search(query, k=3)
        assert hits and Path(hits[0].source).name == name, (query, [h.source for h in hits])


def test_the_traditional_chinese_article_is_found_with_a_simplified_query_and_shown_in_its_original_script(kb, seeds):
    kb.ingest([seeds])
    for mode in ("bm25", "vector", "hybrid"):
        hits = kb.search("销售管理方案设计与执行指导", k=3, mode=mode)
        assert Path(hits[0].source).name == "001_afdd2010676452df.txt", mode
    top = kb.search("团队凝聚力与战斗力", k=1)[0]
    assert "團隊凝聚力與戰斗力" in top.text or "團隊凝聚力與戰鬥力" in top.text
    assert top.title == "2024銷售管理方案設計與執行指導"


def test_search_results_carry_ids_scores_sources_titles_and_heading_paths(kb, seeds):
    kb.ingest([seeds])
    hits = kb.search("步骤4 资源配置与预算匹配", k=5)
    top = hits[0]
    assert top.id and top.score > 0 and top.source.endswith("004_ea3f78d47a1c2c15.txt")
    assert top.title == "销售团队业务计划制定及执行方案"
    assert top.headings[-1].startswith("步骤4")
    assert top.text.startswith("销售团队业务计划制定及执行方案 › ")
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len({h.id for h in hits}) == len(hits)


def test_ingesting_the_same_folder_twice_adds_nothing_the_second_time(kb, seeds):
    first = kb.ingest([seeds])
    count = kb.store.count()
    second = kb.ingest([seeds])
    assert by_status(second) == {"unchanged": sorted(p.name for p in seeds.glob("*.txt"))}
    assert [r.chunks for r in second.rows] == [r.chunks for r in first.rows]
    assert kb.store.count() == count


@pytest.mark.slow
def test_a_changed_file_replaces_its_chunks_and_no_stale_chunk_remains(kb, seeds):
    kb.ingest([seeds])
    target = seeds / "002_d41fe73edb011cba.txt"
    before = {c.id for c in kb.search("跟踪和评估销售业绩", k=50) if c.source == str(target.resolve())}
    target.write_text("如何管理经销商\n经销商返利政策：完成年度任务返3%，超额部分返5%。季度考核动销和回款。", encoding="utf-8")
    report = kb.ingest([target])
    assert report.rows[0].status == "replaced" and report.rows[0].chunks == 1
    ids_now = set(kb.store.ids_of(str(target.resolve())))
    assert len(ids_now) == 1 and not (before & ids_now)
    assert Path(kb.search("经销商返利政策", k=1)[0].source) == target.resolve()
    assert all(Path(c.source) != target.resolve() for c in kb.search("跟踪和评估销售业绩", k=20))


@pytest.mark.slow
def test_a_failed_write_leaves_the_previous_version_of_the_file_intact(kb, seeds, monkeypatch):
    kb.ingest([seeds])
    target = seeds / "003_fd7a1e9540a938f1.txt"
    old_ids = set(kb.store.ids_of(str(target.resolve())))
    target.write_text("全新的内容\n" + "销售流程分为线索、商机、报价、成交四个阶段。" * 60, encoding="utf-8")
    real_upsert = kb.store.collection.upsert
    calls = {"n": 0}

    def flaky_upsert(**kw):
        calls["n"] += 1
        real_upsert(**{k: v[:1] for k, v in kw.items()})  # half-written before the failure
        raise RuntimeError("disk full")

    monkeypatch.setattr(kb.store.collection, "upsert", flaky_upsert)
    report = kb.ingest([target])
    monkeypatch.undo()
    assert calls["n"] == 1
    assert report.rows[0].status == "skipped" and "写入 Chroma 失败" in report.rows[0].reason
    assert set(kb.store.ids_of(str(target.resolve()))) == old_ids
    # and once the store works again the change goes in
    assert kb.ingest([target]).rows[0].status == "replaced"


@pytest.mark.slow
def test_bad_files_are_skipped_with_reasons_while_the_good_ones_still_ingest(kb, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(SEEDS / "004_ea3f78d47a1c2c15.txt", folder / "good.txt")
    (folder / "empty.md").write_text("", encoding="utf-8")
    (folder / "image.txt").write_bytes(b"\x00\x01\x02binary" * 50)
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 truncated")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<<")
    (folder / "huge.txt").write_text("销售" * 600_000, encoding="utf-8")
    (folder / "only-junk.txt").write_text("首页 > 工作计划\n327人看过\n下载本文档\n", encoding="utf-8")
    (folder / "table.xlsx").write_bytes(b"PK")
    report = kb.ingest([folder, tmp_path / "no-such-file.md"])
    rows = {Path(r.path).name: r for r in report.rows}
    assert rows["good.txt"].status == "added"
    reasons = {name: r.reason for name, r in rows.items() if r.status == "skipped"}
    assert reasons == {
        "empty.md": "文件为空",
        "image.txt": reasons["image.txt"],
        "broken.docx": reasons["broken.docx"],
        "broken.pdf": reasons["broken.pdf"],
        "huge.txt": reasons["huge.txt"],
        "only-junk.txt": "清洗后没有可索引的正文",
        "table.xlsx": reasons["table.xlsx"],
        "no-such-file.md": "路径不存在",
    }
    assert "二进制" in reasons["image.txt"]
    assert "Word" in reasons["broken.docx"] and "PDF" in reasons["broken.pdf"]
    assert "文件过大" in reasons["huge.txt"] and "不支持的文件类型 .xlsx" in reasons["table.xlsx"]
    assert {c.source for c in kb.search("执行监控与动态调整", k=3)} == {str((folder / "good.txt").resolve())}


def test_built_in_notes_are_indexed_on_first_search_and_re_indexed_only_when_they_change(tmp_path):
    notes = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, notes)
    kb = KnowledgeBase(make_settings(tmp_path, knowledge_dir=notes))
    hits = kb.search("赢单率和商机数怎么算", k=1)
    assert hits[0].source == "knowledge/funnel_math.md"
    assert hits[0].sections == ["funnel_capacity", "team"]
    assert {s.source for s in kb.list_sources()} == {f"knowledge/{p.name}" for p in KNOWLEDGE.glob("*.md")}
    assert kb.ensure_builtin().rows == []  # nothing changed: nothing read

    fresh = KnowledgeBase(kb.settings)  # another process: hashes match, nothing is rewritten
    assert {r.status for r in fresh.ensure_builtin().rows} == {"unchanged"}

    (notes / "budget_lines.md").unlink()
    (notes / "swot_matrix.md").write_text("---\ntitle: SWOT\nsections: [swot]\n---\n# SWOT\nTOWS矩阵把内外因素交叉组合。\n",
                                          encoding="utf-8")
    report = fresh.ensure_builtin()
    assert {Path(r.path).name: r.status for r in report.rows if r.status != "unchanged"} == {"swot_matrix.md": "replaced"}
    assert "knowledge/budget_lines.md" not in {s.source for s in fresh.list_sources()}


def test_a_section_filter_keeps_notes_for_that_section_plus_general_user_documents(kb, seeds):
    kb.ingest([seeds / "002_d41fe73edb011cba.txt"])
    for mode in ("bm25", "vector", "hybrid"):
        hits = kb.search("目标与预算", k=10, section="budget", mode=mode)
        sources = {h.source for h in hits}
        assert "knowledge/budget_lines.md" in sources, mode
        assert not sources & {"knowledge/swot_matrix.md", "knowledge/funnel_math.md"}, mode
    with pytest.raises(ValueError, match="未知的方案章节"):
        kb.search("预算", section="no_such_section")


@pytest.mark.slow
def test_removing_a_source_removes_all_its_chunks_and_reset_empties_the_store(kb, seeds):
    kb.ingest([seeds])
    target = (seeds / "000_d85e1a248510cb42.txt").resolve()
    n = len(kb.store.ids_of(str(target)))
    assert kb.remove("000_d85e1a248510cb42.txt") == n  # a unique file name is enough
    assert kb.store.ids_of(str(target)) == []
    assert all(Path(c.source) != target for c in kb.search("销售工作方案怎么写", k=20))
    with pytest.raises(KeyError):
        kb.remove("000_d85e1a248510cb42.txt")
    with pytest.raises(PermissionError):
        kb.remove("knowledge/swot_matrix.md")
    kb.reset()
    assert kb.store.count() == 0
    assert kb.search("SWOT组合策略", k=1)[0].source == "knowledge/swot_matrix.md"  # built-ins come back


def test_a_store_built_with_another_embedding_is_refused_with_a_clear_message(tmp_path):
    kb = KnowledgeBase(make_settings(tmp_path))
    kb.ensure_builtin()
    other = make_settings(tmp_path, embedding="openai", embedding_model="bge-m3", embedding_base_url="http://127.0.0.1:9/v1")
    with pytest.raises(EmbeddingMismatchError, match="planassist kb reset") as info:
        KnowledgeBase(other).search("预算")
    assert "PLAN_COLLECTION" in str(info.value)
    # a different collection is fine
    assert KnowledgeBase(make_settings(tmp_path, collection="other")).search("SWOT", k=1)


def test_the_collection_records_its_embedding_and_never_uses_chromas_default_model(kb):
    kb.ensure_builtin()
    col = kb.store.client.get_collection("methodology", embedding_function=None)
    assert col.metadata["embedding"] == "hashing:v1:1024"
    assert col.configuration_json["embedding_function"]["name"] == "planassist-hashing"


def test_get_knowledge_base_is_shared_per_data_directory(tmp_path):
    a = get_knowledge_base(make_settings(tmp_path))
    b = get_knowledge_base(make_settings(tmp_path))
    c = get_knowledge_base(make_settings(tmp_path / "elsewhere"))
    assert a is b and a is not c


def test_an_empty_query_or_unknown_mode_is_handled(kb):
    assert kb.search("   ") == []
    with pytest.raises(ValueError, match="检索模式"):
        kb.search("预算", mode="fuzzy")


def test_a_store_opened_twice_sees_the_other_handles_writes(tmp_path, seeds):
    settings = make_settings(tmp_path)
    reader, writer = KnowledgeBase(settings), KnowledgeBase(settings)
    reader.ensure_builtin()
    writer.ingest([seeds / "004_ea3f78d47a1c2c15.txt"])
    reader._checked_at = 0.0  # skip the revision-check interval instead of sleeping through it
    assert reader.search("日跟进、周复盘、月总结", k=1)[0].source.endswith("004_ea3f78d47a1c2c15.txt")
    assert isinstance(reader.store, Store)
