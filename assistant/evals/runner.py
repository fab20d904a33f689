"""Run an eval: cases × prompt versions × repeats → draft → score → records, resumable, then the report.

Each finished draft is written to `<run>/drafts/<version>/<case>/r<repeat>.json` at once, so an interrupted run
resumes where it stopped (and every model call it already made is in the call cache anyway).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ..config import PROJECT_ROOT, Settings
from ..drafting.prompts import version_hash
from ..files import atomic_write
from ..request import PlanRequest
from ..schema import SECTION_KEYS, SalesPlan
from .cases import EvalCase, case_set_hash, load_cases
from .checks import run_checks, section_text
from .results import DraftRecord, ItemInfo, Manifest, RunData, SectionCall, VersionInfo, git_state

log = logging.getLogger(__name__)

Mode = Literal["auto", "live", "record", "replay", "offline"]
Drafter = Callable[[PlanRequest, str, int], SalesPlan]  # (request, prompt version, repeat index) -> plan
Scorer = Callable[[SalesPlan], "ValidatorView"]
EvalLog = Callable[[str], None]

VALIDATOR_WEIGHT = 0.7
# rough size of one section call, for the estimate before any call (refined from recordings when there are some)
EST_TOKENS_IN, EST_TOKENS_OUT, EST_SECONDS = 1800, 450, 15.0


class HarnessError(RuntimeError):
    """The eval cannot run (bad prompt version, budget exceeded, missing recording in replay); exit 1."""


class RunOptions(BaseModel):
    versions: list[str] = Field(min_length=1)
    cases_dir: Path = PROJECT_ROOT / "evals" / "cases"
    only_cases: list[str] = Field(default_factory=list)
    repeats: dict[str, int] = Field(default_factory=dict)  # per version; missing -> default_repeats
    default_repeats: int = Field(default=1, ge=1, le=20)
    sections: list[str] | None = None  # drafted by the model; None = all sections
    mode: Mode = "auto"
    recordings: Path = PROJECT_ROOT / "evals" / "recordings"
    reports_dir: Path = PROJECT_ROOT / "evals" / "reports"
    run_id: str | None = None
    repair: bool = False
    judge: str | None = None
    pairwise: bool = False
    max_cost: float | None = None
    pass_score: float = 70.0

    def repeats_for(self, version: str) -> int:
        return self.repeats.get(version, self.default_repeats)

    def llm_sections(self) -> list[str]:
        return list(SECTION_KEYS) if self.sections is None else [k for k in SECTION_KEYS if k in self.sections]


def parse_repeats(values: list[str]) -> tuple[int, dict[str, int]]:
    """["2"] -> (2, {}); ["v1=2", "v2=1"] -> (1, {"v1": 2, "v2": 1})."""
    default, per = 1, {}
    for raw in values:
        m = re.fullmatch(r"\s*(?:([\w.\-]+)\s*=\s*)?(\d+)\s*", raw)
        if not m or int(m.group(2)) < 1:
            raise ValueError(f"--repeats 应为正整数或 版本=次数（如 v1=2），收到 {raw!r}")
        if m.group(1):
            per[m.group(1)] = int(m.group(2))
        else:
            default = int(m.group(2))
    return default, per


def parse_sections(text: str | None) -> list[str] | None:
    if not text or text.strip() in ("all", "全部"):
        return None
    keys = [k.strip() for k in re.split(r"[,，\s]+", text) if k.strip()]
    unknown = [k for k in keys if k not in SECTION_KEYS]
    if unknown:
        raise ValueError(f"--sections 有未知章节：{', '.join(unknown)}；可用：{', '.join(SECTION_KEYS)}")
    return keys


# ---------------------------------------------------------------- scoring


class ValidatorView(BaseModel):
    """What the eval needs from the validator's Report, independent of its exact shape."""

    score: float
    items: dict[str, bool] = Field(default_factory=dict)
    details: dict[str, str] = Field(default_factory=dict)
    info: dict[str, ItemInfo] = Field(default_factory=dict)
    section_scores: dict[str, float] = Field(default_factory=dict)
    critical_failed: list[str] = Field(default_factory=list)


def validator_scorer() -> Scorer:
    from ..validation import validate_plan

    def score(plan: SalesPlan) -> ValidatorView:
        return view_of_report(validate_plan(plan))

    return score


def view_of_report(report) -> ValidatorView:
    """assistant.validation.Report -> what the eval keeps ("v:<item id>" keys; not-applicable items left out)."""
    items, details, info, critical = {}, {}, {}, []
    for f in report.items:
        if f.status == "na":
            continue
        key = f"v:{f.id}"
        items[key] = f.status == "pass"
        info[key] = ItemInfo(id=key, label=f"{f.id} {f.description}", source="validator", section=f.section,
                             severity=f.severity, critical=f.severity == "critical")
        if f.status != "pass":
            details[key] = f.reason[:200]
            if f.severity == "critical":
                critical.append(key)
    section_scores = {s.section: float(s.score) for s in report.sections if s.score is not None}
    return ValidatorView(score=float(report.score), items=items, details=details, info=info,
                         section_scores=section_scores, critical_failed=critical)


def scoped(assertions: list, llm_sections: list[str]) -> list:
    """When the model drafts only some sections, an assertion about named sections looks only at the ones the model
    wrote (offline text is the same for every prompt version); one about none of them does not apply."""
    if not llm_sections or len(llm_sections) == len(SECTION_KEYS):
        return list(assertions)
    out = []
    for a in assertions:
        if not a.sections:
            out.append(a)
        elif keep := [s for s in a.sections if s in llm_sections]:
            out.append(a.model_copy(update={"sections": keep}))
    return out


def score_draft(plan: SalesPlan, case: EvalCase, view: ValidatorView | None, llm_sections: list[str],
                pass_score: float) -> tuple[DraftRecord, dict[str, ItemInfo]]:
    """Deterministic score: validator (its sub-scores of the model-drafted sections when only some are) blended
    with the case's assertion pass rate. Judge scores never enter here."""
    fell_back = {k for k in llm_sections if (run := plan.metadata.sections.get(k)) and run.status == "fallback"}
    assertions = scoped(case.file.assertions, llm_sections)
    checks = run_checks(assertions, plan)
    for a, c in zip(assertions, checks, strict=False):
        if a.sections and set(a.sections) <= fell_back:  # the text is the offline fallback, not the prompt's
            c.passed, c.detail = False, "模型起草失败，该章节为离线兜底稿，不计为提示词的产出"
    items = {f"a:{c.id}": c.passed for c in checks}
    details = {f"a:{c.id}": c.detail for c in checks if not c.passed}
    info = {f"a:{c.id}": ItemInfo(id=f"a:{c.id}", label=c.desc, source="case", critical=c.critical, floor=c.floor)
            for c in checks}
    checks_rate = sum(c.passed for c in checks) / len(checks) if checks else None
    validator = None
    critical_ok = all(c.passed for c in checks if c.critical)
    if view is not None:
        items.update(view.items)
        details.update(view.details)
        info.update(view.info)
        for key, item in view.info.items():  # as with the score: a fallback section's items are not the prompt's
            if item.section in fell_back and items.get(key):
                items[key], details[key] = False, "模型起草失败，该章节为离线兜底稿，不计为提示词的产出"
        partial = 0 < len(llm_sections) < len(SECTION_KEYS)
        focus = [0.0 if k in fell_back else view.section_scores[k]
                 for k in [*llm_sections, "overall"] if k in view.section_scores]
        validator = sum(focus) / len(focus) if focus and partial else view.score
        scope = {*llm_sections, "overall"}
        relevant = [k for k in view.critical_failed if not partial or view.info[k].section in scope]
        critical_ok = critical_ok and not relevant
    parts = [(validator, VALIDATOR_WEIGHT), (None if checks_rate is None else checks_rate * 100, 1 - VALIDATOR_WEIGHT)]
    parts = [(v, w) for v, w in parts if v is not None]
    score = sum(v * w for v, w in parts) / sum(w for _, w in parts) if parts else 0.0
    record = DraftRecord(case_id=case.id, version="", repeat=0, score=round(score, 3),
                         validator_score=None if validator is None else round(validator, 3),
                         checks_rate=None if checks_rate is None else round(checks_rate, 4),
                         passed=critical_ok and score >= pass_score and not fell_back, items=items, details=details,
                         section_scores=view.section_scores if view else {})
    return record, info


SCORE_FORMULA = (f"得分 = {VALIDATOR_WEIGHT:.0%} × 校验器得分（只起草部分章节时取这些章节与全文项的分项得分均值）"
                 f" + {1 - VALIDATOR_WEIGHT:.0%} × 用例断言通过率 × 100（指定章节的断言只看模型起草的章节）；"
                 "模型起草失败而兜底为离线稿的章节记 0 分、其断言记为未通过（兜底稿不是提示词的产出）；"
                 "通过 = 得分 ≥ 及格线、关键项全部通过、且模型起草的章节没有兜底；"
                 "评审模型的打分单独报告，不计入得分")


def attach_metadata(record: DraftRecord, plan: SalesPlan, llm_sections: list[str]) -> None:
    """Per-section chain metadata (recorded latency, tokens, re-asks, fallbacks) and texts of the model sections."""
    for key in llm_sections:
        run = plan.metadata.sections.get(key)
        if run is None or run.status == "offline":
            continue
        record.sections[key] = SectionCall.model_validate(run.model_dump(include=set(SectionCall.model_fields))
                                                          | {"errors": run.errors[:5]})
        record.texts[key] = section_text(plan, key)
    record.tokens_in = sum(c.tokens_in for c in record.sections.values())
    record.tokens_out = sum(c.tokens_out for c in record.sections.values())
    record.cost = round(sum(c.cost for c in record.sections.values()), 6)
    record.latency_s = round(sum(c.latency_s for c in record.sections.values()), 3)
    record.score_history = list(plan.metadata.score_history)


# ---------------------------------------------------------------- the run


def new_run_id(versions: list[str]) -> str:
    return f"{datetime.now():%Y%m%d-%H%M%S}-{'-'.join(versions)[:40]}-{secrets.token_hex(2)}"


def draft_path(folder: Path, version: str, case_id: str, repeat: int) -> Path:
    return folder / "drafts" / version / case_id / f"r{repeat}.json"


def estimate(jobs: int, sections: int, settings: Settings, recorded: tuple[float, float, float] | None) -> dict:
    t_in, t_out, secs = recorded or (EST_TOKENS_IN, EST_TOKENS_OUT, EST_SECONDS)
    calls = jobs * sections
    cost = calls * (t_in * settings.llm_price_in + t_out * settings.llm_price_out) / 1000
    return {"drafts": jobs, "calls": calls, "tokens_in": int(calls * t_in), "tokens_out": int(calls * t_out),
            "cost": round(cost, 4), "minutes": round(calls * secs / 60, 1),
            "basis": "已有录制的平均值" if recorded else "默认估计"}


def run_eval(options: RunOptions, settings: Settings, *, drafter: Drafter, scorer: Scorer | None,
             mode: str, model: str | None, progress: EvalLog | None = None,
             judge=None, estimate_basis: tuple[float, float, float] | None = None,
             live_calls: Callable[[], int] | None = None) -> tuple[RunData, Path]:
    """Draft and score every job; returns the run data and its folder (run.json written)."""
    say = progress or (lambda _msg: None)
    cases, case_errors = load_cases(options.cases_dir, options.only_cases or None)
    for e in case_errors:
        say(f"[跳过] {e.message()}")
    if not cases:
        raise HarnessError("没有可运行的用例：" + "；".join(e.message() for e in case_errors))
    versions = [VersionInfo(name=v, hash=h, files=n) for v in options.versions
                for h, n in [version_hash(settings.prompts_dir, v)]]
    llm_sections = options.llm_sections() if mode != "offline" else []
    run_id = options.run_id or new_run_id(options.versions)
    folder = options.reports_dir / run_id
    # case-major: one case's prompts go to the model back to back, so a llama.cpp-style server reuses the shared
    # prompt prefix (system block: request + figures) across versions and repeats
    jobs = [(c, v, r) for c in cases for v in options.versions for r in range(options.repeats_for(v))]
    todo = [j for j in jobs if not draft_path(folder, j[1], j[0].id, j[2]).is_file()]
    est = estimate(len(todo), len(llm_sections), settings, estimate_basis) if mode in ("live", "record") else \
        {"drafts": len(todo), "calls": 0, "cost": 0.0, "minutes": 0.0, "basis": mode}
    say(f"计划：{len(cases)} 个用例 × {len(options.versions)} 个版本，共 {len(jobs)} 稿（待起草 {len(todo)}）；"
        f"模型章节 {len(llm_sections)} 个；预计最多 {est['calls']} 次模型调用、费用 {est['cost']}、约 {est['minutes']} 分钟"
        f"（{est['basis']}，已缓存的调用不计费）")
    if options.max_cost is not None and est["cost"] > options.max_cost:
        raise HarnessError(f"预计费用 {est['cost']} 超过 --max-cost {options.max_cost:g}，未开始运行。"
                           "可减少用例、版本、重复次数或 --sections 后重试。")
    commit, dirty = git_state(PROJECT_ROOT)
    manifest = Manifest(
        run_id=run_id, created_at=datetime.now(), git_commit=commit, git_dirty=dirty, mode=mode, model=model,
        params={"temperature": settings.llm_temperature, "max_tokens": settings.llm_max_tokens,
                "structured_method": settings.llm_structured_method, "reask_attempts": settings.llm_reask_attempts,
                "retrieval_k": settings.retrieval_k, "embedding": settings.embedding, "pass_score": options.pass_score,
                "repair_rounds": settings.repair_rounds if options.repair else 0,
                **({"repair_threshold": settings.repair_threshold} if options.repair else {})},
        versions=versions, llm_sections=llm_sections,
        offline_sections=[k for k in SECTION_KEYS if k not in llm_sections],
        repeats={v: options.repeats_for(v) for v in options.versions}, repair=options.repair,
        judge_model=getattr(judge, "model_name", None), judge_prompt_hash=getattr(judge, "prompt_hash", None),
        cases_hash=case_set_hash(cases), case_ids=[c.id for c in cases], score_formula=SCORE_FORMULA,
        recordings=str(options.recordings) if mode in ("record", "replay") else None, estimate=est)
    atomic_write(folder / "manifest.json", manifest.model_dump_json(indent=1))

    catalogue: dict[str, ItemInfo] = {}
    drafts: list[DraftRecord] = []
    for n, (case, version, repeat) in enumerate(jobs, 1):
        path = draft_path(folder, version, case.id, repeat)
        if path.is_file():
            stored = StoredDraft.model_validate_json(path.read_text(encoding="utf-8"))
            merge_items(catalogue, stored.items)
            drafts.append(stored.record)
            continue
        before = live_calls() if live_calls else 0
        record, info = _one_draft(case, version, repeat, drafter, scorer, llm_sections, options.pass_score)
        record.calls = (live_calls() - before) if live_calls else 0
        if judge is not None and record.ok:
            record.judge = judge.rubric(case, record)
        merge_items(catalogue, info)
        if record.ok:  # a failed draft is tried again when the run is resumed
            atomic_write(path, StoredDraft(record=record, items=info).model_dump_json(indent=1))
        drafts.append(record)
        state = "失败" if not record.ok else ("通过" if record.passed else "未通过")
        say(f"[{n}/{len(jobs)}] {case.id} · {version} · 第{repeat + 1}次：{state} {record.score:.1f}"
            + (f"（{record.error}）" if record.error else ""))
        if isinstance(record.error, str) and record.error.startswith("REPLAY-MISS"):
            raise HarnessError(record.error.removeprefix("REPLAY-MISS "))

    run = RunData(manifest=manifest, items=catalogue, drafts=drafts, case_errors=case_errors)
    if judge is not None and options.pairwise and len(options.versions) > 1:
        run.pairwise = judge.pairwise_all(run, cases)
    run.manifest.finished_at = datetime.now()
    run.save(folder)
    return run, folder


def merge_items(catalogue: dict[str, ItemInfo], new: dict[str, ItemInfo]) -> None:
    """Case assertions that share an id across cases (e.g. "summary-quotes-target") are one item in the
    pass-rate table; when their descriptions differ, the item is labelled by its id, not one case's wording."""
    for key, info in new.items():
        old = catalogue.get(key)
        if old is not None and old.label != info.label and info.source == "case":
            info = info.model_copy(update={"label": f"{key.removeprefix('a:')}（各用例的同名断言）",
                                           "critical": old.critical or info.critical,
                                           "floor": max((f for f in (old.floor, info.floor) if f is not None),
                                                        default=None)})
        catalogue[key] = info


class StoredDraft(BaseModel):
    """One finished draft on disk (what a resumed run reloads instead of drafting again)."""

    record: DraftRecord
    items: dict[str, ItemInfo] = Field(default_factory=dict)


def _one_draft(case: EvalCase, version: str, repeat: int, drafter: Drafter, scorer: Scorer | None,
               llm_sections: list[str], pass_score: float) -> tuple[DraftRecord, dict[str, ItemInfo]]:
    from .recording import ReplayMiss

    if case.request is None:
        return DraftRecord(case_id=case.id, version=version, repeat=repeat, ok=False,
                           error="用例请求尚未解析（LLM 抽取器不可用）"), {}
    try:
        plan = drafter(case.request, version, repeat)
        view = scorer(plan) if scorer else None
    except ReplayMiss as exc:
        return DraftRecord(case_id=case.id, version=version, repeat=repeat, ok=False,
                           error=f"REPLAY-MISS {exc}"), {}
    except Exception as exc:  # one broken draft is reported, the run goes on
        log.exception("draft failed: %s %s %s", case.id, version, repeat)
        return DraftRecord(case_id=case.id, version=version, repeat=repeat, ok=False,
                           error=f"{type(exc).__name__}: {str(exc)[:300]}"), {}
    record, info = score_draft(plan, case, view, llm_sections, pass_score)
    record.version, record.repeat = version, repeat
    attach_metadata(record, plan, llm_sections)
    cache = getattr(drafter, "last", None)
    if cache is not None:  # what the recordings say (replay time is not model time)
        tally = cache.tally
        record.tokens_in, record.tokens_out = tally.tokens_in, tally.tokens_out
        record.latency_s = round(tally.latency_s, 3)
    return record, info
