"""The UI's actions as plain functions: a manager talks, fills gaps, drafts, revises, undoes and reopens a draft.

These drive app_handlers directly (no browser, no server); test_app_api.py drives the same flows through Gradio.
"""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.request import build_request
from assistant.schema import ProgressEvent
from assistant.ui import handlers as h
from assistant.ui import knowledge as kb
from assistant.ui.draft_store import DraftStore
from assistant.ui.session import FORM_KEYS, Session, form_values, progress_view, score_view


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def session(settings) -> Session:
    return Session.start(settings)


def say(session: Session, text: str, form: list[str] | None = None) -> str:
    """Send a chat message with the form as the page shows it; returns the assistant's last reply."""
    for _ in h.chat(session, text, form if form is not None else form_values(session.fields)):
        pass
    return session.draft.chat[-1]["content"]


def form_of(session: Session) -> dict[str, str]:
    return dict(zip(FORM_KEYS, form_values(session.fields), strict=False))


def test_the_first_message_fills_the_form_and_asks_at_most_two_questions(session):
    reply = say(session, "明年江苏要做到1200万，6个销售")
    form = form_of(session)
    assert (form["region"], form["revenue_target"], form["team_size"]) == ("江苏", "1200", "6")
    assert form["currency_unit"] == "万元"
    assert "请问公司名称是什么？" in reply
    assert reply.count("？") <= 2
    assert "必填信息已齐全" in reply and "公司名称（暂用「本公司」）" in reply, "a missing name never blocks a draft"


def test_an_empty_message_gets_a_hint_and_changes_nothing(session):
    before = list(session.draft.chat)
    reply = say(session, "   \n ")
    assert "消息是空的" in reply
    assert session.draft.chat[:-1] == before and session.fields == {}
    assert session.store.list_recent() == [], "nothing worth saving yet"


def test_a_one_megabyte_paste_is_answered_and_shown_cut(session):
    text = "明年江苏要做到1200万。" + "这是一段很长的背景资料。" * 90_000
    assert len(text) > 1_000_000
    reply = say(session, text)
    assert "内容过长" in reply
    shown = session.draft.chat[-2]["content"]
    assert len(shown) < 2100 and "此处只显示前" in shown
    assert session.fields["revenue_target"] == 1200


@pytest.mark.parametrize("text", ["目标一千二百万", "目标1,200万元", "目标1200万"])
def test_amounts_written_in_different_ways_mean_the_same(session, text):
    say(session, text)
    assert form_of(session)["revenue_target"] == "1200"


def test_a_later_statement_wins_and_the_assistant_says_so(session):
    say(session, "明年江苏要做到1200万")
    reply = say(session, "不对，目标是1500万")
    assert form_of(session)["revenue_target"] == "1500"
    assert "1500万" in reply and "替换了之前的 1200万" in reply


def test_editing_the_form_wins_over_what_was_said(session):
    say(session, "我们是华东润滑油有限公司，明年江苏要做到1200万，6个销售")
    form = form_values(session.fields)
    form[FORM_KEYS.index("revenue_target")] = "1300"
    form[FORM_KEYS.index("competitors")] = "壳牌、美孚"
    for _ in h.draft(session, form):
        pass
    assert session.plan.request.revenue_target == 1300
    assert session.plan.request.competitors == ["壳牌", "美孚"]
    assert session.plan.request.team[0].count == 6, "an untouched box keeps the structured value"


def test_a_form_value_that_cannot_be_read_is_named_and_nothing_is_lost(session):
    say(session, "我们是华东润滑油有限公司，明年江苏要做到1200万")
    form = form_values(session.fields)
    form[FORM_KEYS.index("revenue_target")] = "很多"
    for _ in h.draft(session, form):
        pass
    reply = session.draft.chat[-1]["content"]
    assert "销售额目标" in reply and "很多" in reply
    assert session.plan is None and session.fields["company"] == "华东润滑油有限公司"


def test_drafting_streams_section_progress_then_shows_the_plan(session):
    say(session, "我们是华东润滑油有限公司，明年江苏要做到1200万，6个销售，预算150万")
    snapshots = [progress_view(s) for s in h.draft(session, None)]
    assert "等待中" in snapshots[0]
    assert "完成（离线）" in snapshots[-1] and "起草进度：16/16" in snapshots[-1]
    assert session.plan.title == "华东润滑油有限公司江苏2027年全年销售工作方案"
    assert "方案已生成（第 1 版）" in session.draft.chat[-1]["content"]
    headline, findings = score_view(session)
    assert ("完整性评分" in headline) or ("评分模块不可用" in headline)


def test_a_draft_without_company_or_period_uses_neutral_stand_ins_said_first(session):
    say(session, "江苏要做到1200万")
    reply = say(session, "生成")
    plan = session.plan
    assert plan is not None and plan.title.startswith("本公司江苏")
    assert plan.assumptions[0].field == "公司名称" and plan.assumptions[0].value == "本公司"
    assert plan.all_open_questions()[:2] == ["公司名称未提供，方案中暂称「本公司」，请补充公司名称",
                                             "计划周期未提供，暂按下一个完整年度起草，请补充计划周期"]
    assert "公司名称「本公司」" in reply and "计划周期「" in reply
    from assistant.render import to_markdown

    assert to_markdown(plan).split("\n")[4].startswith("> 说明：公司名称未提供，方案中暂称「本公司」")


def test_draft_with_defaults_never_makes_up_the_sales_target(session):
    say(session, "我们是华东润滑油有限公司，做江苏市场")
    reply = say(session, "先按默认生成")
    assert session.plan is None
    assert "不能替您假设" in reply


def test_revise_by_chat_then_undo(session):
    say(session, "我们是华东润滑油有限公司，明年江苏要做到1200万，6个销售，预算150万")
    say(session, "生成")
    first = session.plan
    reply = say(session, "把预算里线上投放提高到50%")
    assert len(session.draft.versions) == 2
    assert [line.item for line in session.plan.sections.budget.lines][-1] == "线上投放"
    assert session.plan.sections.risks == first.sections.risks
    assert "已更新的章节：预算与资源" in reply

    reply = say(session, "目标改成1500万")
    assert form_of(session)["revenue_target"] == "1500", "the form follows a revision"
    reply = say(session, "撤销")
    assert "已撤销" in reply and form_of(session)["revenue_target"] == "1200"
    say(session, "撤销")
    assert session.plan == first
    assert "没有可撤销" in say(session, "撤销")


def test_repair_fixes_a_damaged_section_and_can_be_undone(session):
    session.draft.fields = {"company": "华东润滑油", "region": "江苏", "period": "2027年", "revenue_target": 1200}
    for _ in h.draft(session, None):
        pass
    intact = session.plan
    damaged = intact.model_copy(deep=True)
    damaged.sections.budget.lines[0].amount += 50  # a budget table that no longer adds up
    session.draft.add_version(damaged, "手工改坏")
    session.report = h.score(damaged)
    assert any(f.section == "budget" for f in session.report.failed)

    reply = say(session, "修复")
    assert reply.startswith("修复完成") and "→" in reply
    assert session.plan.sections.budget.lines == intact.sections.budget.lines
    assert not any(f.section == "budget" for f in session.report.failed)
    assert "已修复" in progress_view(session)
    say(session, "撤销")
    assert session.plan == damaged


def test_repair_that_cannot_gain_keeps_the_plan_and_says_what_is_left(session):
    session.draft.fields = {"company": "华东润滑油", "region": "江苏", "period": "2027年", "revenue_target": 1200}
    for _ in h.draft(session, None):
        pass
    reply = say(session, "修复")
    assert "修复没有提高评分" in reply and len(session.draft.versions) == 1
    assert "已改写 0 节" in progress_view(session)


def test_an_instruction_that_names_nothing_gets_examples(session):
    say(session, "我们是华东润滑油有限公司，明年江苏要做到1200万")
    say(session, "生成")
    reply = say(session, "今天天气不错")
    assert "风险部分再具体一点" in reply and len(session.draft.versions) == 1


def test_a_draft_reopens_with_its_chat_and_plan_after_a_restart(session, settings):
    say(session, "我们是华东润滑油有限公司，明年江苏要做到1200万")
    say(session, "生成")
    restarted = Session.start(settings, DraftStore.for_settings(settings))
    [(label, draft_id)] = h.draft_choices(restarted)
    assert draft_id == session.draft.id and "1个版本" in label
    reopened = h.reopen(restarted, draft_id)
    assert reopened.plan == session.plan
    assert reopened.draft.chat[:-1] == session.draft.chat
    assert "已打开草稿" in reopened.draft.chat[-1]["content"]
    assert "找不到草稿" in h.reopen(restarted, "20990101-000000-abcdef").draft.chat[-1]["content"]


def test_exports_are_written_once_per_version_with_safe_names(session, settings):
    session.draft.fields = {"company": "华东/润滑油:有限公司", "region": "江苏", "period": "2027年", "revenue_target": 1200}
    say(session, "生成")
    files = session.ensure_exports()
    assert set(files) == {"md", "docx", "json"}
    assert all("/" not in name.split("exports/")[1].split("/", 1)[1] for name in files.values())
    assert files["docx"].endswith("_v1.docx") and files == session.ensure_exports()


def test_with_an_unreachable_model_the_chat_still_reads_the_message_and_says_why(tmp_path):
    settings = Settings(data_dir=tmp_path, llm_model="m", llm_base_url="http://127.0.0.1:9/v1", llm_timeout=2,
                        llm_max_retries=0)
    session = Session.start(settings)
    reply = say(session, "明年江苏要做到1200万，6个销售")
    assert form_of(session)["revenue_target"] == "1200"
    assert "大模型抽取失败" in reply and "已使用规则抽取" in reply


def test_a_model_failure_mid_draft_falls_back_to_the_offline_drafter(tmp_path, monkeypatch):
    import assistant.pipeline as pipeline

    real = pipeline.draft_plan

    def flaky(request, *, settings, drafter, progress=None, **kw):
        if drafter.uses_model:
            progress(ProgressEvent(section="executive_summary", status="started"))
            raise TimeoutError("模型30秒无响应")
        return real(request, settings=settings, drafter=drafter, progress=progress, **kw)

    monkeypatch.setattr(pipeline, "draft_plan", flaky)
    settings = Settings(data_dir=tmp_path, llm_model="m", llm_base_url="http://127.0.0.1:9/v1")
    session = Session.start(settings)
    session.draft.fields = {"company": "华东润滑油", "region": "江苏", "period": "2027年", "revenue_target": 1200}
    for _ in h.draft(session, None):
        pass
    messages = [m["content"] for m in session.draft.chat]
    assert any("模型调用出错（TimeoutError" in m and "改用离线起草器" in m for m in messages)
    assert session.plan is not None and session.plan.metadata.drafter == "offline"


def test_with_a_model_a_revision_that_scores_worse_is_flagged_and_undoable(tmp_path, monkeypatch):
    """The rows below are what local-qwen (Qwen2.5-Coder-0.5B) returned for 「风险部分再具体一点」 in a live run."""
    import assistant.drafting.chain as drafting
    import assistant.retrieval as retrieval
    from assistant.schema import RiskRow

    def weak_model(plan, feedback, *, settings, kb, progress=None, use_cache=True, llm=None, offline_sections=None,
                  clock=None):
        assert list(feedback) == ["risks"]
        plan.sections.risks.risks = [RiskRow(category="市场风险", risk="市场存在不确定性", trigger="—",
                                             response="加强关注", owner="销售经理")] * 4
        progress(ProgressEvent(section="risks", status="done", detail="1次调用"))
        return plan

    monkeypatch.setattr(drafting, "redraft_sections", weak_model)
    monkeypatch.setattr(retrieval, "get_knowledge_base", lambda settings: object())
    settings = Settings(data_dir=tmp_path, llm_model="local-qwen", llm_base_url="http://127.0.0.1:9/v1")
    session = Session.start(settings)
    session.draft.fields = {"company": "华东润滑油", "region": "江苏", "period": "2027年", "revenue_target": 1200}
    from assistant.drafting.drafter import OfflineDrafter
    from assistant.pipeline import draft_plan

    offline = OfflineDrafter()
    session.draft.add_version(draft_plan(build_request(session.fields), settings=settings, drafter=offline), "初稿")
    session.report = h.score(session.plan)

    reply = say(session, "风险部分再具体一点")
    assert "评分下降了" in reply and "撤销" in reply
    assert "风险与应对 | 完成" in progress_view(session)
    say(session, "撤销")
    assert session.plan.sections.risks.risks[0].risk != "市场存在不确定性"


@pytest.mark.slow
def test_the_knowledge_panel_reports_each_upload_and_finds_what_was_added(settings, tmp_path):
    good = tmp_path / "华东渠道政策.md"
    good.write_text("# 经销商返利政策\n\n华东区经销商年度返利按回款额阶梯计算：500万以上返3%，1000万以上返5%。\n",
                    encoding="utf-8")
    unsupported = tmp_path / "tool.exe"
    unsupported.write_bytes(b"MZ\x00\x00")
    corrupt = tmp_path / "report.pdf"
    corrupt.write_bytes(b"%PDF-1.4 this is not really a pdf")

    uploads = tmp_path  # where the page's uploads land
    report = kb.kb_ingest(settings, "browser:a", [str(good), str(unsupported), str(corrupt)], uploads)
    rows = {line.split("|")[1].strip(): line for line in report.splitlines()
            if line.startswith("| ") and not line.startswith("| 文件")}
    assert "已导入" in rows["华东渠道政策.md"]
    assert "未导入" in rows["tool.exe"] and "不支持的文件类型" in rows["tool.exe"]
    assert "未导入" in rows["report.pdf"] and "损坏" in rows["report.pdf"]

    table, removable = kb.kb_sources(settings, "browser:a")
    assert "经销商返利政策 | 您上传的 华东渠道政策.md" in table and "内置方法论" in table
    assert removable == ["华东渠道政策.md"], "the dropdown names the file, not a server path"
    assert str(settings.data_dir) not in table
    found = kb.kb_search(settings, "browser:a", "经销商返利", None, 3)
    assert "华东渠道政策.md" in found and "相关度" not in found and str(settings.data_dir) not in found
    assert "华东渠道政策.md" not in kb.kb_search(settings, "browser:b", "经销商返利", None, 3), "another owner's"
    assert "没有「华东渠道政策.md」" in kb.kb_remove(settings, "browser:b", "华东渠道政策.md")
    assert "已删除" in kb.kb_remove(settings, "browser:a", removable[0])
    assert "不能在这里删除" in kb.kb_remove(settings, "browser:a", "knowledge/smart_goals_and_breakdown.md")
    assert "请输入要检索的内容" in kb.kb_search(settings, "browser:a", "  ", None, 3)


def test_a_fact_the_user_does_not_know_yet_is_not_asked_again_and_survives_a_reload(session, settings):
    first = say(session, "公司叫华东润滑油，明年江苏要做到1200万，6个销售")
    asked = lambda reply: [line for line in reply.splitlines() if line.startswith("- ")]  # noqa: E731
    assert any("预算" in q for q in asked(first))
    second = say(session, "预算还没定")
    assert "先不追问" in second
    assert not any("预算" in q for q in asked(second))
    reopened = DraftStore.for_settings(settings).load(session.draft.id)
    assert "budget_total" in reopened.unknown


def test_a_broken_knowledge_store_is_a_chinese_message_not_an_error_page(tmp_path, monkeypatch):
    from assistant.retrieval.store import StoreError

    class Broken:
        def search(self, *a, **kw):
            raise StoreError("Chroma 数据目录无法打开")

        def list_sources(self, *a, **kw):
            raise StoreError("Chroma 数据目录无法打开")

    monkeypatch.setattr(kb, "_company", lambda settings: Broken())
    monkeypatch.setattr(kb, "_own", lambda settings, owner: Broken())
    settings = Settings(data_dir=tmp_path)
    assert kb.kb_search(settings, "local", "漏斗测算", None) == "知识库暂时无法使用：Chroma 数据目录无法打开"
    assert kb.kb_remove(settings, "local", "a.md") == "知识库暂时无法使用：Chroma 数据目录无法打开"


def test_nothing_internal_reaches_the_page_after_drafting_and_a_wording_request(session, settings):
    from assistant.ui.session import exports_note, header, preview_view

    say(session, "我们是华东工业润滑油有限公司，明年江苏要做到1200万，6个销售，预算150万")
    say(session, "生成")
    say(session, "风险部分再具体一点")
    import re

    preview = re.sub(r"\(data:image/png;base64,[^)]*\)", "", preview_view(session))
    page = "\n".join([header(session), preview, exports_note(session),
                      *[m["content"] for m in session.draft.chat if m["role"] == "assistant"]])
    assert str(settings.data_dir) not in page and "PLAN_" not in page
    assert "knowledge/" not in page and "方法论默认值（knowledge/）" not in page
    assert "](data:image/png;base64," in preview_view(session), "the preview shows the charts inline"
