"""The UI's per-browser-session state and everything the UI shows, as plain text (no Gradio here).

A `Session` wraps one persisted `Draft` (fields, chat, plan versions) plus what is only on screen (section progress,
the current validation report, export files). The form is 14 text boxes; `form_values` / `apply_form` convert
between them and request-file fields without losing structure the form cannot show (a detailed team, say).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..drafting.drafter import Drafter, make_drafter
from ..files import safe_filename
from ..intake.rule_reader import AMOUNT_FIELDS, RATE_FIELDS, amount_of
from ..quantities import cn_to_number, format_number, format_rate, parse_rate
from ..render import FORMATS, data_uri, export, markdown_zip, to_markdown
from ..request import FIELD_LABELS, REQUIRED_FIELDS, bound_problem
from ..schema import SECTION_KEYS, SECTIONS, ProgressEvent, SalesPlan
from .access import LOCAL_OWNER
from .draft_store import Draft, DraftConflict, DraftStore

log = logging.getLogger(__name__)

MAX_SHOWN_CHARS = 2000  # a longer user message is shown cut in the chat (the full text is still read)
UNITS = ["元", "千元", "万元", "百万元", "千万元", "亿元"]
# (key, label, placeholder) of the editable form beside the chat
FORM_FIELDS: list[tuple[str, str, str]] = [
    ("company", "公司名称", "如：华东工业润滑油有限公司"),
    ("industry", "行业", "如：工业润滑油"),
    ("product", "产品/服务", "如：工业齿轮油与液压油"),
    ("region", "区域", "如：江苏、华东、全国"),
    ("period", "计划周期", "如：2027年、2027年Q2、2027年上半年"),
    ("revenue_target", "销售额目标", "如：1200（单位见右）"),
    ("currency_unit", "金额单位", ""),
    ("team_size", "销售人数", "如：6"),
    ("budget_total", "预算总额", "如：150"),
    ("competitors", "竞争对手", "用顿号分隔，如：壳牌、美孚"),
    ("avg_deal_size", "平均客单价", "如：15"),
    ("win_rate", "赢单率", "如：30%"),
    ("channels", "销售渠道", "用顿号分隔，如：直销、经销商"),
    ("notes", "备注", "其他需要方案考虑的情况"),
    ("playbook", "行业手册", "留空则按行业、产品和渠道自动判断"),
]
FORM_KEYS = [k for k, _, _ in FORM_FIELDS]
LIST_KEYS = ("competitors", "channels")
STATUS_LABELS = {"unchanged": "未改动", "waiting": "等待中", "started": "起草中…", "retried": "重试中", "done": "完成",
                 "fallback": "兜底（离线起草器）", "repaired": "已修复", "offline": "完成（离线）"}


def _num_text(v: float) -> str:
    return format_number(v, grouped=False, decimals=4)  # what the user typed, up to 4 decimals


def _team_count(team: Any) -> int | None:
    if isinstance(team, int) and not isinstance(team, bool):
        return team
    if isinstance(team, list):
        return sum(int(r.get("count", 0)) for r in team if isinstance(r, dict) and r.get("quota_bearing", True))
    return None


def form_value(key: str, fields: dict[str, Any]) -> str:
    """How a field appears in the form."""
    if key == "team_size":
        count = _team_count(fields.get("team"))
        return "" if count is None else str(count)
    value = fields.get(key)
    if key == "currency_unit":
        return str(value or "万元")
    if value in (None, "", []):
        return ""
    if key == "period" and isinstance(value, dict):
        return str(value.get("label") or f"{value.get('start')}至{value.get('end')}")
    if key in AMOUNT_FIELDS and isinstance(value, (int, float)):
        return _num_text(value)
    if key in RATE_FIELDS and isinstance(value, (int, float)):
        return format_rate(value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def playbook_choices() -> list[tuple[str, str]]:
    """(label, id) of every industry playbook for the form's dropdown; "" lets the assistant choose."""
    from ..planning.playbooks import load_playbooks

    return [("自动判断", "")] + [(pb.name, pid) for pid, pb in load_playbooks().items()]


def form_values(fields: dict[str, Any]) -> list[str]:
    return [form_value(k, fields) for k in FORM_KEYS]


def _normalise(key: str, raw: str, unit: str) -> tuple[Any, str | None]:
    """A form entry as a request-file value, read by the one parser and checked by the one set of bounds (the same
    as a request file and --text). What cannot be used is kept as typed, with a note naming the field."""
    try:
        if key in AMOUNT_FIELDS:
            value = amount_of(raw, unit)
        elif key in RATE_FIELDS:
            value = parse_rate(raw)
        else:
            value = None
    except ValueError as exc:
        return raw, f"{FIELD_LABELS.get(key, key)}「{raw}」：{exc}"
    if value is not None:
        problem = bound_problem(key, value, unit)
        return (raw, f"{problem}，请修改") if problem else (value, None)
    if key in LIST_KEYS:
        return [p for p in re.split(r"[、,，;；/\s]+", raw) if p], None
    return raw, None


def apply_form(fields: dict[str, Any], values: list[Any]) -> tuple[dict[str, Any], list[str]]:
    """Fields updated by what the user changed in the form (untouched boxes keep the structured value)."""
    new = dict(fields)
    notes: list[str] = []
    for key, raw in zip(FORM_KEYS, values, strict=False):
        text = "" if raw is None else str(raw).strip()
        if text == form_value(key, fields):
            continue
        if key == "team_size":
            if not text:
                new.pop("team", None)
                continue
            digits = re.sub(r"[人名个位\s]", "", text)
            try:
                count = int(digits) if digits.isdigit() else int(cn_to_number(digits))
            except ValueError:
                notes.append(f"销售人数「{text}」不是整数，已忽略")
                continue
            problem = bound_problem("count", count)
            if problem:
                notes.append(f"销售人数{problem.removeprefix('人数')}，已忽略")
                continue
            new["team"] = _resized_team(fields.get("team"), count)
        elif not text:
            new.pop(key, None)
        else:
            new[key], note = _normalise(key, text, str(new.get("currency_unit") or "万元"))
            if note:
                notes.append(note)
    return new, notes


def _resized_team(team: Any, count: int) -> list[dict[str, Any]]:
    """The form's 销售人数 is the quota-bearing headcount: other roles (售前, 客户成功 …) keep their rows."""
    rows = [dict(r) for r in team or [] if isinstance(r, dict)]
    main = next((r for r in rows if r.get("quota_bearing", True)), None)
    if main is None:
        return [*rows, {"role": "销售代表", "count": count}]
    others = sum(int(r.get("count", 0)) for r in rows if r.get("quota_bearing", True) and r is not main)
    main["count"] = max(0, count - others)
    hires = min(int(main.pop("new_hires", 0) or 0), main["count"])
    if hires:
        main["new_hires"] = hires
    return rows


@dataclass
class Session:
    """One browser session's working state; the draft part is saved to disk after every change."""

    settings: Settings
    store: DraftStore
    draft: Draft
    progress: dict[str, str] = field(default_factory=dict)
    progress_detail: dict[str, str] = field(default_factory=dict)
    progress_mode: str = "draft"  # draft: every section is redrafted; revise / repair: only some are
    told_model_only: bool = False  # said once that rewording needs a model; later requests get a short reply
    report: Any = None
    exports: dict[str, str] = field(default_factory=dict)
    exported: tuple[str, int, str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: Any = None  # a revision waiting for the user's confirmation (a big change of headcount/target/budget)
    drafter: Drafter | None = None  # chosen once from the settings: every draft, revision and repair uses it
    owner: str = LOCAL_OWNER  # whose drafts and uploads these are (ui.access)
    may_list_all: bool = False  # without login (loopback only) the user may ask for every draft on this machine

    def __post_init__(self) -> None:
        if self.drafter is None:
            self.drafter = make_drafter(self.settings, owner=self.owner)

    @classmethod
    def start(cls, settings: Settings, store: DraftStore | None = None, owner: str = LOCAL_OWNER,
              may_list_all: bool = False) -> Session:
        store = store or DraftStore.for_settings(settings)
        session = cls(settings=settings, store=store, draft=store.new(owner), owner=owner, may_list_all=may_list_all)
        session.say(greeting(settings))
        return session

    def successor(self, draft: Draft) -> Session:
        """A session on another draft for the same owner (reopening one)."""
        return Session(settings=self.settings, store=self.store, draft=draft, drafter=self.drafter, owner=self.owner,
                       may_list_all=self.may_list_all)

    @property
    def plan(self) -> SalesPlan | None:
        return self.draft.plan

    @property
    def fields(self) -> dict[str, Any]:
        return self.draft.fields

    def say(self, text: str) -> None:
        self.draft.chat.append({"role": "assistant", "content": for_users(text)})

    def heard(self, text: str) -> None:
        shown = text if len(text) <= MAX_SHOWN_CHARS else \
            f"{text[:MAX_SHOWN_CHARS]}…（共 {len(text):,} 字，此处只显示前 {MAX_SHOWN_CHARS:,} 字）"
        self.draft.chat.append({"role": "user", "content": shown})

    def save(self) -> None:
        if self.draft.is_empty:
            return
        try:
            self.store.save(self.draft)
        except DraftConflict as conflict:
            self._save_as_copy(conflict)
        except OSError as exc:
            log.warning("could not save draft %s: %s", self.draft.id, exc)
            self.say(f"注意：草稿没能保存到磁盘（{exc.strerror or exc}），请检查数据目录 {self.settings.data_dir}")

    def _save_as_copy(self, conflict: DraftConflict) -> None:
        """Another tab saved this draft since this one loaded it: keep both. This tab's state becomes a new
        draft; the other tab's save stays as it is."""
        original = self.draft.id
        self.draft.id, self.draft.owner, self.draft.revision = self.store.new(self.owner).id, self.owner, 0
        self.draft.title = f"{conflict.current.title}（冲突副本）"
        self.say(f"注意：{conflict}。为了不覆盖它，您在这个页面的修改已另存为新草稿「{self.draft.title}」，"
                 f"两份都保留着。要在对方的版本上继续，请在「历史草稿」里打开原草稿（{original}）。")
        try:
            self.store.save(self.draft)
        except OSError as exc:
            log.warning("could not save draft copy %s: %s", self.draft.id, exc)
            self.say(f"注意：草稿副本没能保存到磁盘（{exc.strerror or exc}）")

    def mark(self, event: ProgressEvent) -> None:
        self.progress[event.section] = event.status
        if event.detail:
            self.progress_detail[event.section] = event.detail

    def reset_progress(self, mode: str = "draft") -> None:
        self.progress_mode = mode
        self.progress = {k: "waiting" for k in SECTION_KEYS} if mode == "draft" else {}
        self.progress_detail = {}

    def ensure_exports(self) -> dict[str, str]:
        """The current plan in every format under data_dir/exports/<draft id>/ (rewritten when the plan changes)."""
        plan = self.plan
        if plan is None:
            self.exports, self.exported = {}, None
            return self.exports
        key = (self.draft.id, len(self.draft.versions), self.draft.versions[-1].created_at.isoformat())
        if key != self.exported:
            folder = Path(self.settings.data_dir) / "exports" / self.draft.id
            stem = f"{safe_filename(plan.title)}_v{len(self.draft.versions)}"
            self.exports = {fmt: str(export(plan, folder / f"{stem}.{fmt}", fmt)) for fmt in FORMATS}
            self.exports["md"] = str(markdown_zip(plan, folder, stem))  # one download: the text and its charts
            self.exported = key
        return self.exports


# ---------------------------------------------------------------- what the UI shows

SETTING_NAMES = {"PLAN_LLM_BASE_URL": "模型接口地址", "PLAN_LLM_MODEL": "模型名称", "PLAN_LLM_API_KEY": "模型密钥",
                 "PLAN_EMBEDDING": "向量方式", "PLAN_COLLECTION": "知识库集合"}
_SETTING = re.compile(r"PLAN_[A-Z_]+")


def for_users(text: str) -> str:
    """Chat text in a user's words: setting names (environment variables, for whoever runs the server) become what
    they are, e.g. PLAN_LLM_BASE_URL -> 模型接口地址; README「接入大模型」 explains each."""
    return _SETTING.sub(lambda m: next((v for k, v in SETTING_NAMES.items() if m.group(0).startswith(k)), "相关设置"),
                        text)



def greeting(settings: Settings) -> str:
    return ("您好，我是方案助手，帮您起草完整、数字前后一致的销售工作方案。\n\n"
            "用一两句话告诉我您的计划，例如：\n"
            "「我们是华东工业润滑油有限公司，明年江苏要做到1200万，6个销售，预算150万」\n\n"
            "我会把听懂的信息填进右侧「需求表单」（可以直接改），缺的关键信息一次问一两个。"
            "信息齐了点「生成方案」；也可以随时说「先按默认生成」，缺的内容会列为假设和待确认事项——"
            "我不会替您编造数字或公司情况。\n\n"
            f"当前模式：{settings.model_label()}")


def header(session: Session) -> str:
    s = session.settings
    line = f"**方案助手**　当前模式：{s.model_label()}　｜　草稿自动保存，刷新或重启后可在「历史草稿」里打开"
    plan = session.plan
    if plan is None:
        return line
    m = plan.metadata
    if m.drafter == "llm":
        last = (f"上次起草：模型 {m.model}（{m.base_url_host or ''}）｜tokens 输入 {m.tokens_in:,} / 输出 {m.tokens_out:,}"
                f"｜估算费用 {m.cost:.4f}｜耗时 {m.latency_s:.1f} 秒")
        fallbacks = sum(1 for r in m.sections.values() if r.status == "fallback")
        if fallbacks:
            last += f"｜{fallbacks} 节由离线起草器兜底"
    else:
        last = f"上次起草：离线起草器（未使用大模型，无 token 费用）｜耗时 {m.latency_s:.2f} 秒"
    return f"{line}\n\n{last}"


def progress_view(session: Session) -> str:
    """Per-section status, two sections per table row to keep the preview in view; details listed below."""
    partial = session.progress_mode != "draft"
    if not session.progress and not partial:
        return "还没有开始起草。信息齐了以后点「生成方案」，这里会逐节显示进度。"
    default = "unchanged" if partial else "waiting"
    cells = [(SECTIONS[k].title, STATUS_LABELS.get(session.progress.get(k, default), "")) for k in SECTION_KEYS]
    half = (len(cells) + 1) // 2
    rows = ["| 章节 | 状态 | 章节 | 状态 |", "| --- | --- | --- | --- |"]
    for left, right in zip(cells[:half], cells[half:] + [("", "")], strict=False):
        rows.append(f"| {left[0]} | {left[1]} | {right[0]} | {right[1]} |")
    details = []
    for key, detail in session.progress_detail.items():
        title = SECTIONS[key].title if key in SECTIONS else key
        detail = detail.removeprefix(f"{title}：").strip()
        if detail and detail != title:
            details.append(f"- {title}：{detail if len(detail) <= 120 else detail[:120] + '…'}")
    done = sum(1 for v in session.progress.values() if v not in ("waiting", "started", "retried"))
    what = {"revise": "本次修改", "repair": "本次修复"}.get(session.progress_mode)
    title = f"**{what}：已改写 {done} 节，其余未改动**" if what else f"**起草进度：{done}/{len(SECTION_KEYS)}**"
    out = f"{title}\n\n" + "\n".join(rows)
    return out + ("\n\n" + "\n".join(details) if details else "")


def preview_view(session: Session) -> str:
    plan = session.plan
    if plan is None:
        return "（方案生成后在这里预览）"
    return to_markdown(plan, image_src=data_uri)


def score_view(session: Session) -> tuple[str, str]:
    """(score headline + per-section sub-scores, failing items with fix hints) of the current report."""
    report = session.report
    if session.plan is None:
        return "（方案生成后在这里显示评分）", ""
    if report is None:
        return "评分模块不可用：本次未能给方案打分。", ""
    history = session.plan.metadata.score_history
    trend = f"（历次：{' → '.join(f'{s:.0f}' for s in history[-5:])}）" if len(history) > 1 else ""
    failed = report.failed
    head = [f"## 完整性评分：{report.score:.0f}/100 {trend}",
            f"检查 {len(report.items)} 项：未通过 {len(failed)} 项。", "",
            "| 章节 | 得分 | 通过 | 未通过 | 不适用 |", "| --- | --- | --- | --- | --- |"]
    head += [f"| {s.title} | {'—' if s.score is None else f'{s.score:.0f}'} | {s.passed} | {s.failed} | {s.na} |"
             for s in report.sections]
    if not failed:
        return "\n".join(head), "所有检查项都已通过。"
    from ..validation import load_checklist

    severity = load_checklist().severity_labels
    order = {"critical": 0, "major": 1, "minor": 2}
    lines = ["### 未通过的检查项", "点上方「修复」会按这些提示自动改写相关章节；需要您补充事实的，请在对话里告诉我。"]
    for f in sorted(failed, key=lambda f: (order.get(f.severity, 3), f.id)):
        lines.append(f"- **[{severity.get(f.severity, f.severity)}] {f.section_title}｜{f.description}**"
                     f"<br>发现：{f.reason}<br>修改建议：{f.fix_hint}")
    return "\n".join(head), "\n".join(lines)


EXPORT_HINT = "方案生成后，可在这里下载 Word（DOCX，图表已嵌入）、Markdown（zip：正文与图表图片）和 JSON 三种格式。"


def exports_note(session: Session) -> str:
    if session.plan is None:
        return EXPORT_HINT
    return (f"当前版本：第 {len(session.draft.versions)} 版（{session.draft.versions[-1].note}）。"
            "Word 文件里已嵌入图表；Markdown 下载为 zip，解压后正文与「_图表」文件夹放在一起即可显示图表。")


def missing_text(fields: dict[str, Any]) -> str:
    return "、".join(FIELD_LABELS.get(k, k) for k in REQUIRED_FIELDS if fields.get(k) in (None, "", []))
