"""What each UI action does, as plain functions over a `Session` (no Gradio; testable without a browser).

Long actions (draft, revise, repair) are generators: the work runs in a worker thread and every ProgressEvent it
emits is yielded as an updated session, so the page can show per-section progress while the chain runs.
Nothing here raises to the UI: every failure becomes a Chinese chat message and the draft so far stays saved.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

from ..config import Settings, strip_url_credentials
from ..drafting.drafter import OfflineDrafter
from ..intake.revision import Revision, RevisionError, apply_revision, interpret, request_fields
from ..intake.rule_reader import IntakeResult, extract_fields, missing_fields, next_questions, show
from ..request import FIELD_LABELS, STAND_IN_FIELDS, RequestError, build_request, stand_in
from ..schema import SECTIONS, Progress, ProgressEvent, SalesPlan
from .draft_store import DraftError
from .session import Session, apply_form

log = logging.getLogger(__name__)
T = TypeVar("T")

_DEFAULT_CMD = re.compile(r"(先|就|直接)?按默认(值|设置|参数)?(生成|起草|出)|直接生成|先生成一版|先出一版")
_DRAFT_CMD = re.compile(r"^(请|帮我)?(开始|重新)?(生成|起草)(方案|一版|初稿)?[。!！]?$")
_UNDO_CMD = re.compile(r"^(撤销|撤回|回退|回到上一版|undo)", re.I)
_REPAIR_CMD = re.compile(r"^(一键|自动)?修复[。!！]?$")
_YES = re.compile(r"^(是|是的|对|对的|确认|好|好的|可以|没错|嗯|行|改吧|就这样)[。!！]?$")
_NO = re.compile(r"^(不|不是|不对|不用|算了|取消|不改|先不改)[。!！]?$")


# ---------------------------------------------------------------- running work with progress


def _stream(session: Session, job: Callable[[Progress], T]) -> Generator[Session, None, T]:
    """Run job(progress) in a worker thread; yield the session after each batch of progress events."""
    events: queue.Queue[ProgressEvent | None] = queue.Queue()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = job(events.put)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc
        finally:
            events.put(None)

    threading.Thread(target=work, name="planassist-job", daemon=True).start()
    finished = False
    while not finished:
        event = events.get()
        while event is not None:
            session.mark(event)
            try:
                event = events.get_nowait()
            except queue.Empty:
                break
        finished = event is None
        yield session
    if "error" in box:
        raise box["error"]
    return box["result"]


def _why(exc: BaseException) -> str:
    """An exception for the chat: its type and the start of its message, credentials in URLs removed."""
    return f"{type(exc).__name__}: {strip_url_credentials(str(exc))[:200]}"


def score(plan: SalesPlan, record: bool = False) -> Any:
    """The validator's report for a plan."""
    from ..validation import validate_plan

    report = validate_plan(plan)
    if record:
        plan.metadata.score_history.append(report.score)
    return report


def _score_text(report: Any) -> str:
    return f"完整性评分 {report.score:.0f}/100" if report is not None else "未评分"


# ---------------------------------------------------------------- chat


def chat(session: Session, text: Any, form: list[Any]) -> Iterator[Session]:
    """One chat message: a command, a revision of the current plan, or intake of facts."""
    text = text if isinstance(text, str) else ""
    stripped = text.strip()
    if not stripped:
        session.say("消息是空的。请用一两句话描述需求，例如「明年江苏要做到1200万，6个销售」。")
        yield session
        return
    sync_form(session, form)
    session.heard(stripped)
    pending, session.pending = session.pending, None
    if pending is not None and session.plan is not None and _YES.match(stripped):
        yield from _exclusive(session, _revise(session, session.plan, pending))
    elif pending is not None and _NO.match(stripped):
        session.say("好的，这次不改，方案保持原样。")
        yield session
    elif _UNDO_CMD.match(stripped):
        yield undo(session)
    elif _REPAIR_CMD.match(stripped):
        yield from repair(session)
    elif _DEFAULT_CMD.search(stripped):
        yield from draft(session, None, defaults=True)
    elif _DRAFT_CMD.match(stripped):
        yield from draft(session, None)
    elif session.plan is not None:
        yield from revise(session, stripped)
    else:
        intake(session, stripped)
        session.save()
        yield session


def sync_form(session: Session, form: list[Any] | None) -> None:
    if not form:
        return
    fields, notes = apply_form(session.fields, form)
    session.draft.fields = fields
    for note in notes:
        session.say(note)


def _extract(session: Session, text: str) -> IntakeResult:
    """Rules alone offline; with a model drafter, rules first and the model fills gaps (falls back to the rules)."""
    if session.drafter.uses_model:
        from ..intake.model_reader import read_text

        return read_text(text, session.settings, previous=session.fields, unknown=session.draft.unknown)
    return extract_fields(text, previous=session.fields, unknown=session.draft.unknown)


def intake(session: Session, text: str) -> None:
    before = dict(session.fields)
    result = _extract(session, text)
    session.draft.fields = result.fields
    session.draft.unknown = list(result.unknown)
    unit = str(result.fields.get("currency_unit") or "万元")
    heard = [f"{FIELD_LABELS.get(k, k)}：{show(k, v, unit)}" for k, v in result.fields.items()
             if before.get(k) != v and k != "currency_unit"]
    parts = []
    if heard:
        parts.append("已记录（右侧「需求表单」可修改）：\n" + "\n".join(f"- {h}" for h in heard))
    parts += [f"注意：{n}" for n in result.notes]
    questions = next_questions(result.fields, k=2, unknown=result.unknown)
    if result.missing:
        parts.append("还需要确认：\n" + "\n".join(f"- {q}" for q in questions))
    else:
        stand_ins = [f"{FIELD_LABELS[f]}（暂用「{stand_in(f)}」）" for f in STAND_IN_FIELDS
                     if result.fields.get(f) in (None, "")]
        parts.append("必填信息已齐全，点「生成方案」或发送「生成」即可起草。" + (
            f"还没说的{'、'.join(stand_ins)}会在方案开头说明，并列为第一批待确认事项。" if stand_ins else ""))
        if questions:
            parts.append("如果方便，再补充这些会让方案更准确：\n" + "\n".join(f"- {q}" for q in questions))
    session.say("\n\n".join(parts))


# ---------------------------------------------------------------- drafting


def _exclusive(session: Session, work: Iterator[Session]) -> Iterator[Session]:
    """Run one long task per session at a time (a second click while drafting gets a message, not a race)."""
    if not session.lock.acquire(blocking=False):
        session.say("上一个任务还在进行，请稍候再试。")
        yield session
        return
    try:
        yield from work
    finally:
        session.lock.release()


def _gain(before: float | None, after: float | None) -> str:
    return f"（{before:.0f} → {after:.0f}）" if before is not None and after is not None else ""


def draft(session: Session, form: list[Any] | None, defaults: bool = False) -> Iterator[Session]:
    """Draft the whole plan from the fields (a new version); streams per-section progress."""
    yield from _exclusive(session, _draft(session, form, defaults))


def _draft(session: Session, form: list[Any] | None, defaults: bool) -> Iterator[Session]:
    from ..pipeline import draft_plan

    sync_form(session, form)
    fields = dict(session.fields)
    if "revenue_target" in missing_fields(fields):
        session.say("还缺少销售额目标。销售额目标是整份方案的基础（月度分解、漏斗、人员和预算都由它算出），我不能替您假设。"
                    "请告诉我目标金额，例如「目标1200万」；其余缺的信息可以先按默认处理。")
        yield session
        return
    try:
        request = build_request(fields, None)
    except RequestError as exc:
        session.say("需求里有需要修改的地方（改好后再点「生成方案」，已填的内容都还在）：\n"
                    + "\n".join(f"- {p}" for p in exc.problems))
        session.save()
        yield session
        return
    settings, drafter = session.settings, session.drafter
    session.reset_progress()
    session.say(f"开始起草「{request.company}｜{request.region}｜{request.period.label}」，"
                f"使用{'模型 ' + drafter.label if drafter.uses_model else drafter.label}。进度见右侧「方案预览」。")
    yield session
    try:
        plan = yield from _stream(session, lambda progress: draft_plan(request, settings=settings, drafter=drafter,
                                                                       progress=progress))
    except Exception as exc:  # noqa: BLE001 - e.g. the model timing out in a way the chain did not absorb
        log.exception("draft failed")
        if not drafter.uses_model:
            session.say(f"起草失败：{exc}。您填写的需求已保存，可以修改后重试。")
            session.save()
            yield session
            return
        session.say(f"模型调用出错（{_why(exc)}），改用离线起草器生成完整方案；"
                    "您的需求和之前的版本都在。")
        session.reset_progress()
        yield session
        try:
            plan = yield from _stream(session, lambda progress: draft_plan(
                request, settings=settings, drafter=OfflineDrafter(), progress=progress))
        except Exception as again:  # noqa: BLE001 - nothing here raises to the UI
            log.exception("offline draft failed too")
            session.say(f"离线起草也失败了：{again}。您填写的需求已保存，可以修改后重试。")
            session.save()
            yield session
            return
    session.report = score(plan)
    first = not session.draft.versions
    session.draft.add_version(plan, "初稿" if first else "重新生成",
                              session.report.score if session.report is not None else None)
    session.say(_drafted_message(session, plan))
    session.save()
    yield session


def _drafted_message(session: Session, plan: SalesPlan) -> str:
    fallbacks = [SECTIONS[k].title for k, r in plan.metadata.sections.items() if r.status == "fallback"]
    parts = [f"方案已生成（第 {len(session.draft.versions)} 版）：{_score_text(session.report)}；"
             f"假设 {len(plan.assumptions)} 项，待确认 {len(plan.all_open_questions())} 项。",
             "在「方案预览」查看全文，「评分」看哪些检查没通过，「导出」下载 Word/Markdown/JSON。"]
    used = plan.request.stand_ins
    if used:
        values = {"company": plan.request.company, "region": plan.request.region, "period": plan.request.period.label}
        parts.append("以下信息您还没提供，暂用中性称呼，并列为第一批待确认事项："
                     + "、".join(f"{FIELD_LABELS[k]}「{values[k]}」" for k in used))
    if fallbacks:
        parts.append(f"注意：{'、'.join(fallbacks)} 由离线起草器兜底生成（模型输出未通过检查或超时）。")
    parts.append("想改哪里直接说，例如「风险部分再具体一点」「把预算里线上投放提高到50%」；说「撤销」可回到上一版。")
    return "\n\n".join(parts)


# ---------------------------------------------------------------- revise / undo / repair


def revise(session: Session, instruction: str) -> Iterator[Session]:
    plan = session.plan
    if plan is None:
        session.say("还没有方案可以修改，请先生成方案。")
        yield session
        return
    try:
        revision = interpret(instruction, plan)
    except RevisionError as exc:
        session.say(str(exc))
        session.save()
        yield session
        return
    if revision.confirm:  # a big move of headcount, target or budget: asked first, applied on "确认"
        session.pending = revision
        session.say("\n".join([*(f"- {n}" for n in revision.notes), revision.question]))
        session.save()
        yield session
        return
    yield from _exclusive(session, _revise(session, plan, revision))


def _revise(session: Session, plan: SalesPlan, revision: Revision) -> Iterator[Session]:
    session.reset_progress("revise")
    yield session
    try:
        result = yield from _stream(session, lambda progress: apply_revision(
            plan, revision, drafter=session.drafter, progress=progress))
    except RevisionError as exc:
        session.say(str(exc))
        yield session
        return
    except Exception as exc:  # noqa: BLE001 - model failure: keep the current version
        log.exception("revision failed")
        session.say(f"修改没有完成（{_why(exc)}）。当前方案保持不变，可以稍后重试。")
        yield session
        return
    if not result.changed_fields and set(result.unchanged) >= set(result.sections):  # nothing moved: no new version
        session.reset_progress("revise")
        session.say(f"{'、'.join(SECTIONS[k].title for k in result.unchanged)}没有变化（离线模式，原因同上）。"
                    if result.unchanged and session.told_model_only else result.message)
        session.told_model_only = session.told_model_only or bool(result.unchanged)
        yield session
        return
    before = session.report.score if session.report is not None else None
    session.report = score(result.plan, record=True)
    after = session.report.score if session.report is not None else None
    session.draft.add_version(result.plan, f"修订：{revision.instruction[:40]}", after)
    new_fields = request_fields(result.plan.request)
    session.draft.fields.update({k: new_fields[k] for k in result.changed_fields if k in new_fields})
    warning = ("\n\n注意：这次修改让评分下降了，可以说「撤销」回到上一版，或换个说法再试。"
               if before is not None and after is not None and after < before else "")
    session.say(f"{result.message}\n\n{_score_text(session.report)}{_gain(before, after)}{warning}")
    session.save()
    yield session


def undo(session: Session) -> Session:
    current = session.plan
    restored = session.draft.undo()
    if restored is None or current is None:
        session.say("已经是最早的版本，没有可撤销的修改。")
        return session
    old, new = request_fields(current.request), request_fields(restored.plan.request)
    session.draft.fields.update({k: v for k, v in new.items() if old.get(k) != v})
    session.report = score(restored.plan)
    session.reset_progress("revise")
    session.say(f"已撤销，回到第 {len(session.draft.versions)} 版（{restored.note}）。{_score_text(session.report)}")
    session.save()
    return session


def repair(session: Session) -> Iterator[Session]:
    plan = session.plan
    if plan is None:
        session.say("还没有方案，先生成方案再修复。")
        yield session
        return
    if session.report is not None and not session.report.failing_by_section():
        session.say("所有检查项都已通过，不需要修复。")
        yield session
        return
    yield from _exclusive(session, _repair(session, plan))


def _repair(session: Session, plan: SalesPlan) -> Iterator[Session]:
    from ..pipeline import validate_and_repair

    def job(progress: Progress) -> SalesPlan:
        return validate_and_repair(plan.model_copy(deep=True), session.drafter, settings=session.settings,
                                   progress=progress)

    session.reset_progress("repair")
    session.say("开始按未通过的检查项修复……")
    yield session
    before = session.report.score if session.report is not None else None
    try:
        fixed = yield from _stream(session, job)
    except Exception as exc:  # noqa: BLE001
        log.exception("repair failed")
        session.say(f"修复没有完成（{_why(exc)}）。当前方案保持不变。")
        yield session
        return
    new_report = score(fixed)
    after = new_report.score if new_report is not None else None
    if before is not None and after is not None and after <= before:
        session.reset_progress("repair")  # the redrafts were discarded: nothing on screen changed
        offline = not session.drafter.uses_model
        session.say(f"修复没有提高评分（仍为 {before:.0f}），保留原方案。剩下的问题需要您补充事实（「评分」里每项都写了缺什么，"
                    "直接在对话里告诉我即可）" + ("；按文字改写措辞需要接入大模型（见 README「接入大模型」）。"
                                                if offline and not session.told_model_only else "。"))
        session.told_model_only = session.told_model_only or offline
    else:
        session.report = new_report
        session.draft.add_version(fixed, "修复", after)
        session.say(f"修复完成：{_score_text(new_report)}{_gain(before, after)}。说「撤销」可回到修复前。")
        session.save()
    yield session


# ---------------------------------------------------------------- drafts


def new_session(settings: Settings, previous: Session | None = None) -> Session:
    """A fresh draft for the same owner as `previous`."""
    if previous is None:
        return Session.start(settings)
    return Session.start(settings, previous.store, owner=previous.owner, may_list_all=previous.may_list_all)


def reopen(session: Session, draft_id: str | None, any_owner: bool = False, quiet: bool = False) -> Session:
    """Open one of the owner's drafts (`any_owner`: any draft on this machine, only where no login is used).
    `quiet`: a draft that cannot be opened leaves the session as it was, without a message (page reload)."""
    if not draft_id:
        session.say("请先在「历史草稿」里选一份草稿。")
        return session
    try:
        loaded = session.store.load(draft_id, owner=None if any_owner and session.may_list_all else session.owner)
    except DraftError as exc:
        if not quiet:
            session.say(str(exc))
        return session
    fresh = session.successor(loaded)
    fresh.report = score(loaded.plan) if loaded.plan is not None else None
    fresh.say(f"已打开草稿「{loaded.title}」（{len(loaded.versions)} 个版本），可以继续对话修改。")
    return fresh


def draft_choices(session: Session, limit: int = 20, everyone: bool = False) -> list[tuple[str, str]]:
    """The owner's recent drafts (`everyone`: every draft on this machine, only where no login is used)."""
    owner = None if everyone and session.may_list_all else session.owner
    return [(s.label(), s.id) for s in session.store.list_recent(limit, owner=owner)]
