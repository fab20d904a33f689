"""The UI shared by a team (issue 15): whose drafts and documents are whose, two tabs on one draft, what may be served
to whom, and what the page never shows. Plain handler calls; tests/test_fault_ui_server.py does it over HTTP."""

from __future__ import annotations

import os
import stat

import pytest

from assistant.config import Settings
from assistant.drafting.llm import model_id, redact
from assistant.ui import handlers as h
from assistant.ui import knowledge as kb
from assistant.ui.access import AccessError, check_binding, owner_of, parse_users, ui_secret
from assistant.ui.draft_store import DraftConflict, DraftStore
from assistant.ui.session import Session, greeting, header

FACTS = "我们是华东工业润滑油有限公司，明年江苏要做到1200万，6个销售，预算150万"


@pytest.fixture()
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def say(session: Session, text: str) -> str:
    for _ in h.chat(session, text, None):
        pass
    return session.draft.chat[-1]["content"]


def drafted(settings: Settings, owner: str, store: DraftStore | None = None, may_list_all: bool = True) -> Session:
    session = Session.start(settings, store or DraftStore.for_settings(settings), owner=owner,
                            may_list_all=may_list_all)
    say(session, FACTS)
    for _ in h.draft(session, None):
        pass
    assert session.plan is not None
    return session


# ---------------------------------------------------------------- drafts belong to their browser or user


def test_another_browser_neither_lists_nor_opens_a_draft_unless_asking_for_every_draft_here(settings):
    mine = drafted(settings, "browser:aaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    other = Session.start(settings, mine.store, owner="browser:bbbbbbbbbbbbbbbbbbbbbbbbbbbb", may_list_all=True)
    assert mine.draft.id not in [i for _, i in h.draft_choices(other)]
    refused = h.reopen(other, mine.draft.id)
    assert refused is other and "草稿只对创建它的浏览器或用户可见" in other.draft.chat[-1]["content"]
    assert mine.draft.id in [i for _, i in h.draft_choices(other, everyone=True)]
    opened = h.reopen(other, mine.draft.id, any_owner=True)
    assert opened.plan is not None and opened.owner == other.owner


def test_with_logins_a_user_never_sees_another_users_drafts_even_when_asking_for_all(settings):
    zhang = drafted(settings, "user:张三", may_list_all=False)
    li = Session.start(settings, zhang.store, owner="user:lisi", may_list_all=False)
    assert h.draft_choices(li, everyone=True) == []
    assert h.reopen(li, zhang.draft.id, any_owner=True) is li
    assert zhang.draft.id in [i for _, i in h.draft_choices(zhang)]


def test_two_tabs_on_one_draft_keep_both_edits_and_the_second_is_told(settings):
    first = drafted(settings, "browser:aaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    second = h.reopen(first, first.draft.id)  # the same draft in another tab
    original = first.draft.id

    say(first, "把预算里线上投放提高到50%")
    reply = say(second, "预算改成160万")
    assert "已在别处（另一个标签页或浏览器）保存过新的内容" in reply and "已另存为新草稿" in reply
    assert second.draft.id != original and second.draft.title.endswith("（冲突副本）")

    store = DraftStore.for_settings(settings)
    kept, copy = store.load(original), store.load(second.draft.id)
    assert [v.note for v in kept.versions] == ["初稿", "修订：把预算里线上投放提高到50%"]
    assert [v.note for v in copy.versions] == ["初稿", "修订：预算改成160万"]
    say(second, "撤销")  # the copy goes on as a draft of its own
    assert store.load(second.draft.id).revision == copy.revision + 1


def test_a_save_from_an_old_revision_writes_nothing(tmp_path):
    store = DraftStore(tmp_path)
    draft = store.new("local")
    draft.fields = {"region": "江苏"}
    store.save(draft)
    stale = store.load(draft.id)
    draft.fields["region"] = "浙江"
    store.save(draft)
    stale.fields["region"] = "安徽"
    with pytest.raises(DraftConflict) as conflict:
        store.save(stale)
    assert conflict.value.current.revision == 2
    assert store.load(draft.id).fields["region"] == "浙江"


# ---------------------------------------------------------------- uploads are the only way into the knowledge store


def test_a_server_path_or_a_link_out_of_the_upload_folder_is_refused_and_never_indexed(settings, tmp_path):
    secret = tmp_path / "secret" / "薪酬表.md"
    secret.parent.mkdir()
    secret.write_text("# 薪酬\n\n华东区销售总监年薪 98 万元，机密编号 XYZ123。\n", encoding="utf-8")
    uploads = tmp_path / "gradio-uploads"
    (uploads / "abc").mkdir(parents=True)
    (uploads / "abc" / "链接.md").symlink_to(secret)

    report = kb.kb_ingest(settings, "browser:a", [str(secret), str(uploads / "abc" / "链接.md"), str(uploads)],
                          uploads)
    assert report.count("只能导入通过本页面上传的文件") == 3 and "已导入" not in report
    assert "XYZ123" not in kb.kb_search(settings, "browser:a", "年薪 机密编号", None, 5)
    assert "没有可导入的文件" in kb.kb_ingest(settings, "browser:a", [str(secret)], None)


def test_two_browsers_upload_files_of_the_same_name_and_each_keeps_its_own(settings, tmp_path):
    uploads = tmp_path / "uploads"
    for who, text in (("a", "甲方渠道：经销商返利 3%。"), ("b", "乙方渠道：直营门店 12 家。")):
        (uploads / who).mkdir(parents=True)
        (uploads / who / "渠道.md").write_text(f"# 渠道\n\n{text}\n", encoding="utf-8")
        assert "已导入" in kb.kb_ingest(settings, f"browser:{who}", [str(uploads / who / "渠道.md")], uploads)
    assert "甲方渠道" in kb.kb_search(settings, "browser:a", "渠道 经销商 返利", None, 5)
    assert "乙方渠道" not in kb.kb_search(settings, "browser:a", "渠道 直营门店", None, 5)
    table, removable = kb.kb_sources(settings, "browser:b")
    assert removable == ["渠道.md"] and str(settings.data_dir) not in table, "file names, not server paths"
    assert "已删除「渠道.md」" in kb.kb_remove(settings, "browser:b", "渠道.md")
    assert "甲方渠道" in kb.kb_search(settings, "browser:a", "渠道 经销商 返利", None, 5)


def test_a_search_longer_than_a_query_is_answered_with_a_message(settings):
    assert "请缩短到 500 字以内" in kb.kb_search(settings, "local", "漏斗" * 300_000, None, 5)


# ---------------------------------------------------------------- who may reach the UI


def test_serving_other_machines_or_a_share_link_needs_logins(settings):
    assert check_binding(settings, "127.0.0.1") is None and check_binding(settings, "localhost") is None
    with pytest.raises(AccessError, match="PLAN_UI_USERS"):
        check_binding(settings, "0.0.0.0")
    with pytest.raises(AccessError, match="--share 会生成公网链接"):
        check_binding(settings, "127.0.0.1", share=True)
    team = Settings(data_dir=settings.data_dir, ui_users="张三:zhangsan-pw1, lisi:lisi-pw-22")
    assert check_binding(team, "0.0.0.0") == [("张三", "zhangsan-pw1"), ("lisi", "lisi-pw-22")]


@pytest.mark.parametrize(("users", "problem"), [("张三", "应写成「用户名:口令」"), ("张三:短", "口令太短"),
                                                ("a:aaaaaaaa,a:bbbbbbbb", "出现了两次"), (":aaaaaaaa", "应写成")])
def test_a_bad_login_list_is_named(settings, users, problem):
    with pytest.raises(AccessError, match=problem):
        parse_users(Settings(data_dir=settings.data_dir, ui_users=users))


def test_a_browser_keeps_its_identity_across_restarts_and_a_forged_token_is_replaced(settings):
    secret = ui_secret(settings)
    assert ui_secret(settings) == secret and len(secret) >= 32
    assert stat.S_IMODE(os.stat(settings.data_dir / "ui_secret").st_mode) == 0o600
    owner, token = owner_of(None, None)
    assert owner == f"browser:{token}" and owner_of(None, token) == (owner, token)
    assert owner_of(None, "../../x")[0] != "browser:../../x"
    assert owner_of("张三", token)[0] == "user:张三"


# ---------------------------------------------------------------- credentials in the model URL are never shown


def test_credentials_written_into_the_model_url_are_never_shown(settings):
    configured = Settings(data_dir=settings.data_dir, llm_model="qwen", llm_base_url="http://alice:s3cretPW@10.0.0.5:8765/v1")
    session = Session.start(configured)
    shown = [configured.model_label(), configured.endpoint_label(), greeting(configured), header(session),
             model_id(configured)]
    assert all("s3cretPW" not in s and "alice" not in s for s in shown)
    assert configured.model_label() == "qwen @ 10.0.0.5:8765" and model_id(configured) == "qwen@10.0.0.5:8765"
    assert redact("POST http://alice:s3cretPW@10.0.0.5:8765/v1/chat failed", configured) == \
        "POST http://***@10.0.0.5:8765/v1/chat failed"
