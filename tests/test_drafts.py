"""A manager's drafts survive a page reload and a server restart, and a broken file never takes the list down."""

from __future__ import annotations

import pytest

from assistant.drafting.offline import draft_offline
from assistant.request import build_request
from assistant.ui.draft_store import MAX_VERSIONS, DraftError, DraftStore

FACTS = {"company": "华东润滑油", "region": "江苏", "period": "2027年", "revenue_target": "1200万"}


@pytest.fixture(scope="module")
def plan():
    return draft_offline(build_request(FACTS))


def test_a_saved_draft_is_listed_and_reopens_after_a_restart(tmp_path, plan):
    store = DraftStore(tmp_path / "drafts")
    draft = store.new()
    draft.fields = {"company": "华东润滑油", "revenue_target": 1200}
    draft.chat = [{"role": "user", "content": "明年江苏要做到1200万"}, {"role": "assistant", "content": "好的"}]
    draft.add_version(plan, "初稿", score=82.5)
    store.save(draft)

    restarted = DraftStore(tmp_path / "drafts")  # a new process sees the same folder
    [summary] = restarted.list_recent()
    assert summary.id == draft.id and summary.versions == 1 and summary.score == 82.5
    assert plan.title in summary.label() and "评分 82" in summary.label()
    reopened = restarted.load(draft.id)
    assert reopened.plan == plan
    assert reopened.chat == draft.chat and reopened.fields == draft.fields


def test_saving_again_replaces_the_file_and_leaves_no_temporary_files(tmp_path, plan):
    store = DraftStore(tmp_path)
    draft = store.new()
    draft.fields = {"region": "江苏"}
    store.save(draft)
    draft.add_version(plan, "初稿")
    store.save(draft)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".lock") == [f"{draft.id}.json", f"{draft.id}.meta.json"]
    assert store.load(draft.id).plan is not None


def test_recent_drafts_come_newest_first(tmp_path, plan):
    store = DraftStore(tmp_path)
    ids = []
    for region in ("江苏", "浙江", "上海"):
        draft = store.new()
        draft.fields = {"region": region}
        store.save(draft)
        ids.append(draft.id)
    assert [s.id for s in store.list_recent()] == ids[::-1]
    assert [s.id for s in store.list_recent(limit=2)] == ids[:0:-1]
    assert "未生成方案" in store.list_recent()[0].label()


def test_undo_walks_back_one_version_at_a_time_and_stops_at_the_first(plan):
    draft = DraftStore("unused").new()
    second = plan.model_copy(update={"title": "第二版"})
    draft.add_version(plan, "初稿")
    draft.add_version(second, "修订：风险部分再具体一点")
    assert draft.title == "第二版"
    assert draft.undo().note == "初稿"
    assert draft.plan == plan and draft.title == plan.title
    assert draft.undo() is None and len(draft.versions) == 1


def test_only_the_newest_versions_are_kept(plan):
    draft = DraftStore("unused").new()
    for i in range(MAX_VERSIONS + 5):
        draft.add_version(plan, f"第{i + 1}次")
    assert len(draft.versions) == MAX_VERSIONS
    assert draft.versions[-1].note == f"第{MAX_VERSIONS + 5}次"


def test_a_corrupt_draft_gets_a_chinese_error_and_is_skipped_in_the_list(tmp_path, plan):
    store = DraftStore(tmp_path)
    good, bad = store.new(), store.new()
    good.fields = bad.fields = {"region": "江苏"}
    store.save(good)
    store.save(bad)
    (tmp_path / f"{bad.id}.json").write_text("{不是JSON", encoding="utf-8")
    (tmp_path / f"{good.id}.meta.json").write_text("坏了", encoding="utf-8")
    with pytest.raises(DraftError, match="已损坏"):
        store.load(bad.id)
    assert [s.id for s in store.list_recent()] == [bad.id]
    with pytest.raises(DraftError, match="找不到草稿"):
        store.load("20990101-000000-abcdef")


@pytest.mark.parametrize("draft_id", ["../../etc/passwd", "x", "", None, "20260101-000000-abcdef/../x"])
def test_a_draft_id_from_the_page_cannot_reach_outside_the_drafts_folder(tmp_path, draft_id):
    with pytest.raises(DraftError, match="草稿编号不正确"):
        DraftStore(tmp_path).load(draft_id)
