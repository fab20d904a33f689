"""The Gradio UI: chat on the left, form / preview / score / knowledge / export / drafts tabs on the right.

Only layout and event wiring live here; what each action does is in ui.handlers (plain functions over a Session)
and what the page shows is in ui.session. Gradio is imported inside `build_app`, so importing this module is cheap.
Every event returns the same list of outputs (`VIEW`), rendered from the session by `_view`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from ..config import Settings, get_settings
from ..schema import SECTION_SPECS
from . import handlers as h
from . import knowledge as kb
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


def build_app(settings: Settings | None = None):
    """The Blocks app (not launched)."""
    import gradio as gr

    settings = settings or get_settings()
    settings.ensure_dirs()
    store = DraftStore.for_settings(settings)

    def ensure(session: Session | None) -> Session:
        return session if isinstance(session, Session) else Session.start(settings, store)

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
        remembered = gr.BrowserState(None, storage_key="planassist-current-draft")
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
                        with gr.Row():
                            open_btn = gr.Button("打开所选草稿", variant="primary")
                            refresh_btn = gr.Button("刷新列表")

        outputs = [state, chatbot, message, *form, header_md, progress_md, preview_md, score_md, findings_md,
                   export_md, dl_md, dl_docx, dl_json, drafts_dd, remembered, tabs]

        # ---- main events: each returns `outputs`
        def on_chat(text: str, *args: Any) -> Iterator[tuple]:
            *values, session = args
            session = ensure(session)
            versions = len(session.draft.versions)
            for s in h.chat(session, text, values):  # a chat that drafts or revises shows the plan
                yield view(s, clear_message=True, show_plan=len(s.draft.versions) != versions)

        def on_draft(*args: Any) -> Iterator[tuple]:
            *values, session = args
            session = ensure(session)
            for s in h.draft(session, values):
                yield view(s, show_plan=True)

        def on_repair(session: Session | None) -> Iterator[tuple]:
            session = ensure(session)
            for s in h.repair(session):
                yield view(s)

        def on_undo(session: Session | None) -> tuple:
            return view(h.undo(ensure(session)))

        def on_new(session: Session | None) -> tuple:
            return view(h.new_session(settings))

        def on_reopen(draft_id: str | None, session: Session | None) -> tuple:
            return view(h.reopen(ensure(session), draft_id))

        def on_load(remembered_id: str | None, session: Session | None) -> tuple:
            session = ensure(session)
            if remembered_id and session.draft.is_empty and remembered_id != session.draft.id:
                reopened = h.reopen(session, remembered_id)
                if reopened is not session:
                    session = reopened
            return view(session)

        chat_inputs = [message, *form, state]
        message.submit(on_chat, chat_inputs, outputs, api_name="chat")
        draft_btn.click(on_draft, [*form, state], outputs, api_name="draft")
        form_draft_btn.click(on_draft, [*form, state], outputs, api_visibility="private")
        repair_btn.click(on_repair, [state], outputs, api_name="repair")
        undo_btn.click(on_undo, [state], outputs, api_name="undo")
        new_btn.click(on_new, [state], outputs, api_name="new_draft")
        open_btn.click(on_reopen, [drafts_dd, state], outputs, api_name="reopen")
        demo.load(on_load, [remembered, state], outputs, api_visibility="private")

        # ---- side panels
        def on_drafts(session: Session | None):
            session = ensure(session)
            return gr.update(choices=h.draft_choices(session))

        refresh_btn.click(on_drafts, [state], [drafts_dd], api_name="list_drafts")
        drafts_tab.select(on_drafts, [state], [drafts_dd], api_visibility="private")

        def on_export(session: Session | None):
            session = ensure(session)
            first = outputs.index(export_md)
            return view(session)[first:first + 4]  # export note + the three download buttons

        export_tab.select(on_export, [state], [export_md, dl_md, dl_docx, dl_json], api_name="export")

        def on_kb_sources():
            table, removable = kb.kb_sources(settings)
            return table, gr.update(choices=removable, value=None)

        def on_kb_ingest(files: list[Any] | None, session: Session | None):
            session = ensure(session)
            report = kb.kb_ingest(settings, files)
            session.say(f"知识库导入结果：\n\n{report}")
            return (report, *on_kb_sources(), session.draft.chat, session)

        def on_kb_remove(source: str | None):
            return (kb.kb_remove(settings, source), *on_kb_sources())

        kb_tab.select(on_kb_sources, None, [kb_sources_md, kb_remove_dd], api_name="kb_sources")
        kb_ingest_btn.click(on_kb_ingest, [kb_files, state],
                            [kb_report_md, kb_sources_md, kb_remove_dd, chatbot, state], api_name="kb_ingest")
        kb_remove_btn.click(on_kb_remove, [kb_remove_dd], [kb_report_md, kb_sources_md, kb_remove_dd],
                            api_name="kb_remove")
        search_args = dict(fn=lambda q, sec, k: kb.kb_search(settings, q, sec, k), inputs=[kb_query, kb_section, kb_k],
                           outputs=[kb_results_md])
        kb_search_btn.click(**search_args, api_name="kb_search")
        kb_query.submit(**search_args, api_visibility="private")
    return demo


def launch(settings: Settings | None = None, *, host: str = "127.0.0.1", port: int | None = 7860, share: bool = False,
           block: bool = False):
    """Build and start the UI on host:port; returns (demo, local URL). Raises OSError if the port is taken."""
    import gradio as gr

    settings = settings or get_settings()
    demo = build_app(settings)
    demo.queue(default_concurrency_limit=8)
    _, url, _ = demo.launch(
        server_name=host, server_port=port, share=share, prevent_thread_lock=not block, quiet=True,
        show_error=True, ssr_mode=False, footer_links=[], css=CSS,
        theme=gr.themes.Default(font=FONTS, font_mono=["ui-monospace", "Noto Sans Mono CJK SC", "monospace"]),
        max_file_size=f"{max(1, int(settings.max_file_mb * 2))}mb",
    )
    return demo, url
