"""The UI through its HTTP API (gradio_client), the way the page calls it: talk, draft, revise, undo, export, reopen.

One app is launched for the whole module on 127.0.0.1 and a free port; each Client is one browser session.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from assistant.config import Settings
from assistant.ui.app import VIEW_NAMES, launch
from assistant.ui.session import FORM_KEYS
from support.ui_page import Page, reply

pytestmark = [pytest.mark.server, pytest.mark.slow]  # `make test-fast` leaves these out
FORM_AT = VIEW_NAMES.index(FORM_KEYS[0])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("ui-data"))
    demo, url = launch(settings, host="127.0.0.1", port=None)  # port=None: the first free one from 7860
    yield url, settings
    demo.close()


def test_a_manager_talks_answers_a_question_drafts_and_downloads_word(server, tmp_path):
    url, settings = server
    page = Page(url, tmp_path)

    first = page.say("明年江苏要做到1200万，6个销售")
    assert page.field("revenue_target") == "1200" and page.field("region") == "江苏"
    assert "请问公司名称是什么？" in first
    assert "必填信息已齐全" in page.say("公司叫华东工业润滑油有限公司，预算150万")

    view = page.call("/draft", *page.form)
    assert "起草进度：16/16" in view["progress"]
    assert view["preview"].startswith("# 华东工业润滑油有限公司江苏2027年全年销售工作方案")
    assert "| 期间 | 目标金额（万元） |" in view["preview"] and "## 参考资料" in view["preview"]
    assert "完整性评分" in view["score"] and "| 章节 | 得分 |" in view["score"]
    assert "离线模式" in view["header"] and "上次起草：离线起草器" in view["header"]
    assert "方案已生成（第 1 版）" in reply(view)

    docx_path = Path(view["download_docx"]["value"])
    assert docx_path.suffix == ".docx"
    doc = Document(str(docx_path))
    assert doc.paragraphs[0].text == "华东工业润滑油有限公司江苏2027年全年销售工作方案"
    assert len(doc.tables) > 5
    exports = settings.data_dir / "exports"
    assert sorted(p.suffix for p in exports.rglob("*_v1.*")) == [".docx", ".json", ".md"]


def test_revising_one_section_then_undoing_through_the_chat(server, tmp_path):
    url, _ = server
    page = Page(url, tmp_path)
    page.say("我们是华东工业润滑油有限公司，明年江苏要做到1200万，6个销售，预算150万")
    first = page.call("/draft", *page.form)["preview"]

    answer = page.say("把预算里线上投放提高到50%")
    revised = page.view["preview"]
    assert "已更新的章节：预算与资源" in answer and "完整性评分" in answer
    assert "| 线上投放 | 75.00 | 50% |" in revised
    assert first.split("## 十二、")[0].split("\n", 3)[3] == revised.split("## 十二、")[0].split("\n", 3)[3], \
        "sections before the budget are unchanged"

    assert "已撤销" in reply(page.call("/undo"))
    assert "线上投放" not in page.view["preview"]


def test_another_browser_sees_the_draft_only_when_asking_for_every_draft_on_this_machine(server, tmp_path):
    url, _ = server
    page = Page(url, tmp_path)
    page.say("我们是华东工业润滑油有限公司，明年浙江要做到800万")
    page.call("/draft", *page.form)
    draft_id = page.view["remembered"]

    other = Page(url, tmp_path)  # another browser on this machine (no login: the UI serves 127.0.0.1 only)
    mine = other.client.predict(False, api_name="/list_drafts")
    assert draft_id not in [value for _, value in mine["choices"]]
    assert "找不到草稿" in reply(other.call("/reopen", draft_id, False))
    everyone = other.client.predict(True, api_name="/list_drafts")  # 「也显示本机其他浏览器的草稿」
    assert draft_id in [value for _, value in everyone["choices"]]
    view = other.call("/reopen", draft_id, True)
    texts = [m["content"] if isinstance(m["content"], str) else m["content"][0]["text"] for m in view["chat"]]
    assert any("明年浙江要做到800万" in t for t in texts)
    assert "浙江" in view["preview"] and other.field("region") == "浙江"


def test_bad_input_gets_a_clear_message_in_the_chat(server, tmp_path):
    from gradio_client import handle_file

    url, _ = server
    page = Page(url, tmp_path)
    assert "消息是空的" in page.say("")
    assert "还缺少" in reply(page.call("/draft", *page.form))

    broken = tmp_path / "报价单.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    report, *_rest, chat = page.client.predict([handle_file(str(broken))], api_name="/kb_ingest")
    assert "报价单.xlsx | 未导入" in report and "不支持的文件类型" in report
    assert "知识库导入结果" in chat[-1]["content"][0]["text"]
    found = page.client.predict("漏斗测算", "", 3, api_name="/kb_search")
    assert "相关度" not in found and "（方案助手内置方法论）" in found and "knowledge/" not in found
