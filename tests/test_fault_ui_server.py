"""A launched UI attacked over HTTP the way another client on the network would (issue 15): a client that never
uploaded anything asks the knowledge import for a server file; a second browser goes after the first one's drafts;
two tabs edit one draft; with logins, nothing answers without one."""

from __future__ import annotations

import json

import httpx
import pytest

from assistant.config import Settings
from assistant.ui.access import AccessError
from assistant.ui.app import launch
from support.ui_page import Page

pytestmark = [pytest.mark.server, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("ui-data"))
    demo, url = launch(settings, host="127.0.0.1", port=None)
    yield url, settings
    demo.close()


def raw_call(url: str, api: str, data: list) -> tuple[str, str]:
    """POST an event as a bare HTTP client (no gradio_client: it would upload a local path itself)."""
    with httpx.Client(timeout=60) as http:
        posted = http.post(f"{url.rstrip('/')}/gradio_api/call/{api}", json={"data": data})
        posted.raise_for_status()
        with http.stream("GET", f"{url.rstrip('/')}/gradio_api/call/{api}/{posted.json()['event_id']}") as events:
            text = "".join(events.iter_text())
    kind = "error" if "event: error" in text else "complete"
    return kind, text


def test_a_client_that_uploaded_nothing_cannot_have_a_server_file_indexed(server, tmp_path):
    url, settings = server
    secret = tmp_path / "薪酬表.md"
    secret.write_text("# 薪酬\n\n华东区销售总监年薪 98 万元，机密编号 XYZ123。\n", encoding="utf-8")
    for payload in ({"path": str(secret), "meta": {"_type": "gradio.FileData"}},
                    {"path": str(secret), "orig_name": "薪酬表.md", "meta": {"_type": "gradio.FileData"}},
                    {"path": "http://127.0.0.1:9/intranet.md", "meta": {"_type": "gradio.FileData"}}):
        kind, _ = raw_call(url, "kb_ingest", [[payload], None])
        assert kind == "error"
    reader = Page(url, tmp_path)
    assert "XYZ123" not in reader.client.predict("年薪 机密编号 薪酬", "", 5, api_name="/kb_search")
    assert not list((settings.data_dir / "uploads").rglob("薪酬表.md"))


def test_an_upload_is_its_browsers_own(server, tmp_path):
    from gradio_client import handle_file

    url, _ = server
    doc = tmp_path / "客户名单.md"
    doc.write_text("# 客户名单\n\n重点客户：甲乙丙机械厂，年采购 300 万。漏斗测算用。\n", encoding="utf-8")
    owner, other = Page(url, tmp_path), Page(url, tmp_path)
    report = owner.client.predict([handle_file(str(doc))], api_name="/kb_ingest")[0]
    assert "客户名单.md | 已导入" in report
    assert "甲乙丙机械厂" in owner.client.predict("重点客户 机械厂", "", 5, api_name="/kb_search")
    assert "甲乙丙机械厂" not in other.client.predict("重点客户 机械厂", "", 5, api_name="/kb_search")
    assert "没有「客户名单.md」" in other.client.predict("客户名单.md", api_name="/kb_remove")[0]
    assert "甲乙丙机械厂" in owner.client.predict("重点客户 机械厂", "", 5, api_name="/kb_search")


def test_a_second_browser_can_neither_list_nor_open_a_draft_it_was_not_given(server, tmp_path):
    url, _ = server
    first, second = Page(url, tmp_path), Page(url, tmp_path)
    first.say("我们是绝密科技有限公司，明年江苏要做到1200万，6个销售")
    first.call("/draft", *first.form)
    draft_id = first.view["remembered"]
    assert draft_id in first.drafts()
    assert draft_id not in second.drafts()
    second.call("/reopen", draft_id, False)
    assert "找不到草稿" in second.reply() and "绝密科技" not in json.dumps(second.view, ensure_ascii=False)


def test_two_tabs_on_one_draft_the_later_save_is_kept_as_a_copy_and_told(server, tmp_path):
    url, settings = server
    tab1, tab2 = Page(url, tmp_path), Page(url, tmp_path)
    tab1.say("我们是华东工业润滑油有限公司，明年浙江要做到800万，5个销售，预算100万")
    tab1.call("/draft", *tab1.form)
    draft_id = tab1.view["remembered"]
    tab2.call("/reopen", draft_id, True)  # 「也显示本机其他浏览器的草稿」: same machine, no login
    assert tab2.view["remembered"] == draft_id

    tab1.say("把预算里线上投放提高到50%")
    reply = tab2.say("预算改成110万")  # a change the offline drafter makes (a wording request would change nothing)
    assert "已另存为新草稿" in reply and tab2.view["remembered"] != draft_id
    from assistant.ui.draft_store import DraftStore

    store = DraftStore.for_settings(settings)
    assert [v.note for v in store.load(draft_id).versions][-1] == "修订：把预算里线上投放提高到50%"
    assert [v.note for v in store.load(tab2.view["remembered"]).versions][-1] == "修订：预算改成110万"


def test_with_logins_nothing_answers_without_one_and_users_keep_to_their_drafts(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", ui_users="张三:zhangsan-pw1,lisi:lisi-pw-22")
    demo, url = launch(settings, host="127.0.0.1", port=None)
    try:
        for path in ("gradio_api/info", "config"):
            assert httpx.get(url + path, timeout=30).status_code == 401
        assert raw_call_status(url, "kb_search") == 401
        zhang = Page(url, tmp_path, auth=("张三", "zhangsan-pw1"))
        zhang.say("明年江苏要做到1200万，6个销售，公司叫华东润滑油")
        draft_id = zhang.view["remembered"]
        li = Page(url, tmp_path, auth=("lisi", "lisi-pw-22"))
        assert draft_id not in li.drafts(everyone=True)
        li.call("/reopen", draft_id, True)
        assert "找不到草稿" in li.reply()
        again = Page(url, tmp_path, auth=("张三", "zhangsan-pw1"))  # the same user in another browser
        assert draft_id in again.drafts()
    finally:
        demo.close()


def raw_call_status(url: str, api: str) -> int:
    return httpx.post(f"{url}gradio_api/call/{api}", json={"data": ["x", "", 5]}, timeout=30).status_code


def test_launching_for_the_network_without_logins_is_refused_before_anything_listens(tmp_path):
    with pytest.raises(AccessError, match="PLAN_UI_USERS"):
        launch(Settings(data_dir=tmp_path / "data"), host="0.0.0.0", port=None)
