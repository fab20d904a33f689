"""The Gradio UI: chat on the left, form / preview / score / knowledge / export / drafts tabs on the right.

Only layout and event wiring live here; what each action does is in ui.handlers (plain functions over a Session)
and what the page shows is in ui.session. Gradio is imported inside `build_app`, so importing this module is cheap.
Every event returns the same list of outputs (`VIEW`), rendered from the session by `_view`.

Every event handler receives the request first (`_with_request`): the session it creates belongs to the logged-in
user, or to the browser's own token (ui.access); drafts and uploads are that owner's only.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..config import Settings, get_settings
from ..schema import SECTION_SPECS
from . import handlers as h
from . import knowledge as kb
from .access import check_binding, owner_of, parse_users, ui_secret
from .draft_store import DraftStore
from .session import (
    EXPORT_HINT,
    FORM_FIELDS,
    UNITS,
    Session,
    exports_note,
    form_values,
    greeting,
    header,
    playbook_choices,
    preview_view,
    progress_view,
    score_view,
)

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no telemetry calls from an offline tool

# names of the outputs every main event returns, in order (tests read results by these names)
VIEW_NAMES = ["chat", "message", *[k for k, _, _ in FORM_FIELDS], "header", "progress", "preview", "score",
              "findings", "export_note", "download_md", "download_docx", "download_json", "drafts", "remembered", "tabs"]
FONTS = ["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
         "system-ui", "sans-serif"]
CSS = """
#plan-preview table, #progress table, #score table {font-size: 0.9em}
#plan-preview {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 14px}
footer {display: none !important}
"""


def _with_request(fn: Callable, request_type: type) -> Callable:
    """`fn(request, *inputs)` as a Gradio handler: Gradio passes the request to a first parameter annotated with
    its Request type (set here explicitly, as this module's annotations are strings)."""
    if inspect.isgeneratorfunction(fn):
        def handler(request, *inputs):
            yield from fn(request, *inputs)
    else:
        def handler(request, *inputs):
            return fn(request, *inputs)
    handler.__annotations__ = {"request": request_type}
    handler.__name__ = fn.__name__
    return handler


def build_app(settings: Settings | None = None):
    """The Blocks app (not launched)."""
    import gradio as gr
    from gradio.utils import get_upload_folder

    settings = settings or get_settings()
    settings.ensure_dirs()
    store = DraftStore.for_settings(settings)
    logins = bool(parse_users(settings))
    secret = ui_secret(settings)

    def username(request: Any) -> str | None:
        return getattr(request, "username", None) if request is not None else None

    def ensure(request: Any, session: Session | None) -> Session:
        """The caller's session; a client without one (an HTTP client that never loaded the page) gets its own."""
        if isinstance(session, Session):
            return session
        owner, _ = owner_of(username(request))
        return Session.start(settings, store, owner=owner, may_list_all=not logins)

    def wire(fn: Callable) -> Callable:
        return _with_request(fn, gr.Request)

    def view(session: Session, clear_message: bool = False, show_plan: bool = False) -> tuple:
        """Everything the page shows; `show_plan` brings the 方案预览 tab to the front (drafting, a revision)."""
        try:
            files = session.ensure_exports()
        except OSError as exc:
            session.say(f"导出文件没能写入数据目录（{exc.strerror or exc}），预览不受影响。")
            files = {}
        score_md, findings_md = score_view(session)
        downloads = [gr.update(value=files.get(fmt), interactive=fmt in files) for fmt in ("md", "docx", "json")]
        saved = not session.draft.is_empty
        return (session, session.draft.chat, "" if clear_message else gr.update(), *form_values(session.fields),
                header(session), progress_view(session), preview_view(session), score_md, findings_md,
                exports_note(session), *downloads,
                gr.update(choices=h.draft_choices(session), value=session.draft.id if saved else None),
                session.draft.id if saved else None, gr.Tabs(selected="preview") if show_plan else gr.update())

    with gr.Blocks(title="方案助手", fill_width=True) as demo:
        state = gr.State(None)
        remembered = gr.BrowserState(None, storage_key="planassist-current-draft", secret=secret)
        browser_token = gr.BrowserState(None, storage_key="planassist-owner", secret=secret)
        header_md = gr.Markdown(f"**方案助手**　当前模式：{settings.model_label()}", elem_id="header")
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=360):
                chatbot = gr.Chatbot(value=[{"role": "assistant", "content": greeting(settings)}], label="对话",
                                     height=600, feedback_options=None, elem_id="chat", buttons=["copy"],
                                     group_consecutive_messages=False)
                message = gr.Textbox(placeholder="描述您的计划，或提出修改要求，例如：明年江苏要做到1200万，6个销售",
                                     show_label=False, lines=1, max_lines=8, submit_btn="发送", elem_id="message")
                with gr.Row():
                    draft_btn = gr.Button("生成方案", variant="primary", elem_id="draft-button")
                    undo_btn = gr.Button("撤销上一次修改", elem_id="undo-button")
                    new_btn = gr.Button("新建草稿", elem_id="new-button")
            with gr.Column(scale=7, min_width=480):
                with gr.Tabs() as tabs:
                    with gr.Tab("需求表单", id="form"):
                        form = []
                        for i in range(0, len(FORM_FIELDS), 2):
                            with gr.Row():
                                for key, label, hint in FORM_FIELDS[i:i + 2]:
                                    if key == "currency_unit":
                                        form.append(gr.Dropdown(UNITS, value="万元", label=label, elem_id=f"f-{key}"))
                                    elif key == "playbook":  # overrides the automatic choice of industry playbook
                                        form.append(gr.Dropdown(playbook_choices(), value="", label=label, info=hint,
                                                                elem_id=f"f-{key}"))
                                    else:
                                        form.append(gr.Textbox(value="", label=label, placeholder=hint,
                                                               elem_id=f"f-{key}"))
                        form_draft_btn = gr.Button("按表单生成方案", variant="primary")
                    with gr.Tab("方案预览", id="preview"):
                        progress_md = gr.Markdown(elem_id="progress")
                        preview_md = gr.Markdown("（方案生成后在这里预览）", elem_id="plan-preview", max_height=900)
                    with gr.Tab("评分", id="score"):
                        score_md = gr.Markdown("（方案生成后在这里显示评分）", elem_id="score")
                        repair_btn = gr.Button("修复（按检查结果自动改写未通过的章节）", elem_id="repair-button")
                        findings_md = gr.Markdown(elem_id="findings")
                    with gr.Tab("知识库", id="kb") as kb_tab:
                        gr.Markdown("上传公司资料、行业报告或方法论文档（.md .txt .html .docx .pdf），"
                                    "配置模型后起草时会检索引用。")
                        kb_files = gr.File(file_count="multiple", label="选择文件", elem_id="kb-files")
                        kb_ingest_btn = gr.Button("导入知识库", variant="primary")
                        kb_report_md = gr.Markdown()
                        with gr.Row():
                            kb_remove_dd = gr.Dropdown([], label="已上传的资料", allow_custom_value=True, scale=4)
                            kb_remove_btn = gr.Button("删除所选资料", scale=1)
                        with gr.Accordion("检索测试", open=True):
                            with gr.Row():
                                kb_query = gr.Textbox(label="检索内容", placeholder="如：漏斗测算", scale=4)
                                kb_section = gr.Dropdown([("不限章节", "")] + [(s.title, s.key) for s in SECTION_SPECS],
                                                         value="", label="限定章节", scale=2)
                                kb_k = gr.Number(5, label="条数", precision=0, minimum=1, maximum=20, scale=1)
                            kb_search_btn = gr.Button("检索")
                            kb_results_md = gr.Markdown()
                        kb_sources_md = gr.Markdown()
                    with gr.Tab("导出", id="export") as export_tab:
                        export_md = gr.Markdown(EXPORT_HINT)
                        with gr.Row():
                            dl_docx = gr.DownloadButton("下载 Word（DOCX）", interactive=False, elem_id="download-docx")
                            dl_md = gr.DownloadButton("下载 Markdown", interactive=False, elem_id="download-md")
                            dl_json = gr.DownloadButton("下载 JSON", interactive=False, elem_id="download-json")
                    with gr.Tab("历史草稿", id="drafts") as drafts_tab:
                        gr.Markdown("草稿在生成和修改时自动保存；刷新页面或重启服务后可以在这里重新打开。")
                        drafts_dd = gr.Dropdown([], label="最近的草稿", allow_custom_value=True, elem_id="drafts")
                        all_drafts = gr.Checkbox(False, label="也显示本机其他浏览器的草稿", visible=not logins,
                                                 elem_id="all-drafts")
                        with gr.Row():
                            open_btn = gr.Button("打开所选草稿", variant="primary")
                            refresh_btn = gr.Button("刷新列表")

        outputs = [state, chatbot, message, *form, header_md, progress_md, preview_md, score_md, findings_md,
                   export_md, dl_md, dl_docx, dl_json, drafts_dd, remembered, tabs]

        # ---- main events: each returns `outputs`
        def on_chat(request: Any, text: str, *args: Any) -> Iterator[tuple]:
            *values, session = args
            session = ensure(request, session)
            versions = len(session.draft.versions)
            for s in h.chat(session, text, values):  # a chat that drafts or revises shows the plan
                yield view(s, clear_message=True, show_plan=len(s.draft.versions) != versions)

        def on_draft(request: Any, *args: Any) -> Iterator[tuple]:
            *values, session = args
            session = ensure(request, session)
            for s in h.draft(session, values):
                yield view(s, show_plan=True)

        def on_repair(request: Any, session: Session | None) -> Iterator[tuple]:
            session = ensure(request, session)
            for s in h.repair(session):
                yield view(s)

        def on_undo(request: Any, session: Session | None) -> tuple:
            return view(h.undo(ensure(request, session)))

        def on_new(request: Any, session: Session | None) -> tuple:
            return view(h.new_session(settings, ensure(request, session)))

        def on_reopen(request: Any, draft_id: str | None, everyone: bool | None = False,
                      session: Session | None = None) -> tuple:
            return view(h.reopen(ensure(request, session), draft_id, any_owner=bool(everyone)))

        def on_load(request: Any, remembered_id: str | None, token: str | None, session: Session | None) -> tuple:
            owner, token = owner_of(username(request), token)
            if not isinstance(session, Session) or (session.draft.is_empty and session.owner != owner):
                session = Session.start(settings, store, owner=owner, may_list_all=not logins)
            if remembered_id and session.draft.is_empty and remembered_id != session.draft.id:
                session = h.reopen(session, remembered_id, quiet=True)
            return (*view(session), token)

        chat_inputs = [message, *form, state]
        message.submit(wire(on_chat), chat_inputs, outputs, api_name="chat")
        draft_btn.click(wire(on_draft), [*form, state], outputs, api_name="draft")
        form_draft_btn.click(wire(on_draft), [*form, state], outputs, api_visibility="private")
        repair_btn.click(wire(on_repair), [state], outputs, api_name="repair")
        undo_btn.click(wire(on_undo), [state], outputs, api_name="undo")
        new_btn.click(wire(on_new), [state], outputs, api_name="new_draft")
        open_btn.click(wire(on_reopen), [drafts_dd, all_drafts, state], outputs, api_name="reopen")
        demo.load(wire(on_load), [remembered, browser_token, state], [*outputs, browser_token],
                  api_visibility="private")

        # ---- side panels
        def on_drafts(request: Any, everyone: bool | None, session: Session | None):
            session = ensure(request, session)
            return gr.update(choices=h.draft_choices(session, everyone=bool(everyone))), session

        refresh_btn.click(wire(on_drafts), [all_drafts, state], [drafts_dd, state], api_name="list_drafts")
        drafts_tab.select(wire(on_drafts), [all_drafts, state], [drafts_dd, state], api_visibility="private")
        all_drafts.change(wire(on_drafts), [all_drafts, state], [drafts_dd, state], api_visibility="private")

        def on_export(request: Any, session: Session | None):
            session = ensure(request, session)
            first = outputs.index(export_md)
            return view(session)[first:first + 4]  # export note + the three download buttons

        export_tab.select(wire(on_export), [state], [export_md, dl_md, dl_docx, dl_json], api_name="export")

        def sources(session: Session) -> tuple:
            table, removable = kb.kb_sources(settings, session.owner)
            return table, gr.update(choices=removable, value=None)

        def on_kb_sources(request: Any, session: Session | None):
            session = ensure(request, session)
            return (*sources(session), session)

        def on_kb_ingest(request: Any, files: list[Any] | None, session: Session | None):
            session = ensure(request, session)
            report = kb.kb_ingest(settings, session.owner, files, Path(get_upload_folder()))
            session.say(f"知识库导入结果：\n\n{report}")
            return (report, *sources(session), session.draft.chat, session)

        def on_kb_remove(request: Any, name: str | None, session: Session | None):
            session = ensure(request, session)
            return (kb.kb_remove(settings, session.owner, name), *sources(session), session)

        def on_kb_search(request: Any, query: str | None, section: str | None, k: Any, session: Session | None):
            session = ensure(request, session)
            return kb.kb_search(settings, session.owner, query, section, k), session

        kb_tab.select(wire(on_kb_sources), [state], [kb_sources_md, kb_remove_dd, state], api_name="kb_sources")
        kb_ingest_btn.click(wire(on_kb_ingest), [kb_files, state],
                            [kb_report_md, kb_sources_md, kb_remove_dd, chatbot, state], api_name="kb_ingest")
        kb_remove_btn.click(wire(on_kb_remove), [kb_remove_dd, state], [kb_report_md, kb_sources_md, kb_remove_dd, state],
                            api_name="kb_remove")
        search_args = dict(fn=wire(on_kb_search), inputs=[kb_query, kb_section, kb_k, state],
                           outputs=[kb_results_md, state])
        kb_search_btn.click(**search_args, api_name="kb_search")
        kb_query.submit(**search_args, api_visibility="private")
    return demo


def launch(settings: Settings | None = None, *, host: str = "127.0.0.1", port: int | None = 7860, share: bool = False,
           block: bool = False):
    """Build and start the UI on host:port; returns (demo, local URL). Raises OSError if the port is taken and
    ui.access.AccessError if the UI would be reachable by others without a login (PLAN_UI_USERS)."""
    import gradio as gr

    settings = settings or get_settings()
    users = check_binding(settings, host, share)
    demo = build_app(settings)
    demo.queue(default_concurrency_limit=8)
    _, url, _ = demo.launch(
        server_name=host, server_port=port, share=share, prevent_thread_lock=not block, quiet=True, auth=users,
        auth_message="方案助手：请输入管理员分配的用户名和口令。",
        show_error=True, ssr_mode=False, footer_links=[], css=CSS,
        theme=gr.themes.Default(font=FONTS, font_mono=["ui-monospace", "Noto Sans Mono CJK SC", "monospace"]),
        max_file_size=f"{max(1, int(settings.max_file_mb * 2))}mb",
    )
    return demo, url
