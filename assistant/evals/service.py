"""What `planassist eval run` and `planassist eval compare` do, without the command-line shell."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ..config import PROJECT_ROOT, Settings
from ..schema import SECTIONS
from .compare import Comparison, GateConfig, compare, summarise
from .recording import DEFAULT_METHOD, has_recordings, open_cache, read_index, record_command, write_index
from .report import comparison_markdown, write_report
from .results import RunData, load_run
from .runner import EvalLog, HarnessError, RunOptions, run_eval, validator_scorer


def baseline_path(settings: Settings) -> Path:
    """The one blessed baseline the CI gate compares with (written only by `eval compare --bless`)."""
    return Path(settings.evals_dir) / "baselines" / "baseline.json"

def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def check_versions(settings: Settings, versions: list[str]) -> None:
    """Every prompt version must load completely (all section templates) before any model call."""
    from ..drafting.prompts import PromptError, load_prompts

    problems = []
    for v in versions:
        try:
            load_prompts(settings.prompts_dir, v)
        except PromptError as exc:
            problems.append(str(exc))
    if problems:
        raise HarnessError("提示词版本不可用，未调用任何模型：\n" + "\n".join(f"- {p}" for p in problems))


def resolve_mode(options: RunOptions, settings: Settings) -> str:
    mode = options.mode
    recorded = all(has_recordings(options.recordings / v) for v in options.versions)
    if mode == "auto":  # committed recordings first (no model needed); a configured model records new versions
        mode = "replay" if recorded or not settings.llm_configured else "record"
    if mode in ("live", "record") and not settings.llm_configured:
        raise HarnessError("未配置模型服务，无法录制或在线评测；可用 --mode replay 回放已提交的录制，"
                           "或 --mode offline 只评测离线起草器。\n"
                           + hint(options, options.versions, settings.llm_reask_attempts))
    if mode == "replay":
        missing = [v for v in options.versions if not has_recordings(options.recordings / v)]
        if missing:
            raise HarnessError(f"提示词版本 {', '.join(missing)} 没有录制的模型回答（{_rel(options.recordings)}/）。"
                               + hint(options, missing, settings.llm_reask_attempts))
    return mode


def recorded_scope(options: RunOptions, settings: Settings) -> tuple[RunOptions, Settings, str] | None:
    """Replaying without --sections / --case: the scope every requested version has recorded (the blessed
    baseline's scope first), so the README's `eval run --prompts v1 --prompts v2` compares what was recorded
    instead of failing on 16 sections × every case. None when the user chose a scope or nothing is common."""
    if options.sections is not None or options.only_cases:
        return None
    scopes = [[r for r in read_index(options.recordings / v).get("runs") or [] if not r.get("repair")]
              for v in options.versions]
    same = lambda a, b: (a["sections"], sorted(a["cases"]), a.get("reask_attempts")) == (  # noqa: E731
        b["sections"], sorted(b["cases"]), b.get("reask_attempts"))
    common = [r for r in scopes[0] if all(any(same(r, o) for o in other) for other in scopes[1:])]
    if not common:
        return None
    try:
        base = json.loads(baseline_path(settings).read_text(encoding="utf-8"))["manifest"]
        preferred = [r for r in common if r["sections"] == base["llm_sections"] and
                     sorted(r["cases"]) == sorted(base["case_ids"])]
    except (OSError, ValueError, KeyError):
        preferred = []
    run = (preferred or common)[0]
    titles = "、".join(SECTIONS[k].title for k in run["sections"] if k in SECTIONS)
    note = (f"未指定 --sections / --case：回放已录制的范围——{len(run['cases'])} 个用例 × 由模型起草「{titles}」"
            f"（重问 {run.get('reask_attempts', settings.llm_reask_attempts)} 次），其余章节用离线起草器")
    narrowed = options.model_copy(update={"sections": list(run["sections"]), "only_cases": list(run["cases"])})
    if run.get("reask_attempts") is not None:
        settings = settings.model_copy(update={"llm_reask_attempts": int(run["reask_attempts"])})
    return narrowed, settings, note


def hint(options: RunOptions, versions: list[str], reask: int | None = None) -> str:
    return record_command(versions, options.sections, {v: options.repeats_for(v) for v in versions},
                          _rel(options.cases_dir), options.only_cases, reask)


def eval_settings(settings: Settings, *, model: str | None, method: str | None, mode: str) -> Settings:
    update: dict = {}
    if model:
        update["llm_model"] = model
    chosen = method or settings.llm_structured_method
    if chosen == "auto" and mode != "replay":  # replaying, each version keeps the method it was recorded with
        chosen = DEFAULT_METHOD
    update["llm_structured_method"] = chosen
    if mode in ("record", "live"):
        # one call at a time: the recorded latency is the model's, not time spent queueing behind a sibling call
        update.update(llm_concurrency=1, llm_timeout=max(settings.llm_timeout, 300.0))
    return settings.model_copy(update=update)


def make_judge(settings: Settings, judge_model: str, options: RunOptions, mode: str):
    from ..drafting.llm import make_chat_model
    from .judge import Judge
    cache = open_cache(options.recordings, settings.data_dir, f"judge-{judge_model}", mode,
                       hint(options, options.versions, settings.llm_reask_attempts) + f" --judge {judge_model}")
    # max_tokens also as the classic field: llama.cpp-style servers ignore langchain-openai's max_completion_tokens
    model = None if mode == "replay" else make_chat_model(settings, model=judge_model, temperature=0.0,
                                                          max_tokens=600, extra_body={"max_tokens": 600})
    return Judge(model, judge_model, cache=cache)


def run(options: RunOptions, settings: Settings, *, model: str | None = None, method: str | None = None,
        progress: EvalLog | None = None, drafter=None, scorer=None) -> tuple[RunData, Path, list[Comparison]]:
    """The whole `eval run`: checks, draft/score every job, compare the first version with each other one,
    write the report. `drafter`/`scorer` are injectable for tests."""
    check_versions(settings, options.versions)
    mode = options.mode if drafter is not None else resolve_mode(options, settings)
    if mode == "replay" and drafter is None and (scope := recorded_scope(options, settings)):
        options, settings, note = scope
        if progress:
            progress(note)
    if mode == "offline" and len(options.versions) > 1 and progress:
        progress("[提示] 离线模式不使用提示词，各版本的方案完全相同，比较结果必然是持平；"
                 "要比较提示词，请回放已提交的录制（--mode replay，不需要模型）")
    settings = eval_settings(settings, model=model, method=method, mode=mode)
    judge = make_judge(settings, options.judge, options, mode) if options.judge else None
    if drafter is None:
        if mode == "offline":
            from ..drafting.drafter import OfflineDrafter
            from ..pipeline import draft_plan

            drafter = lambda request, version, repeat: draft_plan(  # noqa: E731
                request, settings=settings, drafter=OfflineDrafter(), repair=False, score=False)
        else:
            from .chain import ChainDrafter

            drafter = ChainDrafter(settings, mode=mode, recordings=options.recordings,
                                   llm_sections=options.llm_sections(), repair=options.repair,
                                   record_hint=lambda v: hint(options, [v], settings.llm_reask_attempts))
    if scorer is None:
        try:
            scorer = validator_scorer()
        except ImportError:
            scorer = None
            if progress:
                progress("[提示] 校验器不可用，只用用例断言打分")
    basis = _recorded_basis(options) if mode in ("record", "live") else None
    run_data, folder = run_eval(options, settings, drafter=drafter, scorer=scorer, mode=mode,
                                model=None if mode == "offline" else settings.llm_model, progress=progress,
                                judge=judge, estimate_basis=basis, live_calls=getattr(drafter, "live_calls", None))
    if mode == "record":
        for v in options.versions:
            m = run_data.manifest
            write_index(options.recordings / v, {
                "version": v, "prompt_hash": next(x.hash for x in m.versions if x.name == v),
                "model": settings.llm_model, "method": settings.llm_structured_method}, {
                "sections": m.llm_sections, "cases": m.case_ids, "cases_hash": m.cases_hash,
                "repeats": options.repeats_for(v), "reask_attempts": settings.llm_reask_attempts,
                "repair": options.repair, "updated_at": datetime.now().isoformat(timespec="seconds")})
    comparisons = [compare(run_data, options.versions[0], run_data, v) for v in options.versions[1:]]
    summaries = [summarise(run_data, v) for v in options.versions]
    write_report(folder, run_data, summaries, comparisons)
    return run_data, folder, comparisons


def _recorded_basis(options: RunOptions) -> tuple[float, float, float] | None:
    """Average tokens and seconds per call from what is already recorded (a better estimate than a guess)."""
    import json

    tin = tout = secs = n = 0.0
    for v in options.versions:
        for p in list((options.recordings / v).glob("*.json"))[:400] if (options.recordings / v).is_dir() else []:
            try:
                data = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            usage = data.get("usage") or {}
            if "latency_s" in data and usage:
                tin, tout = tin + usage.get("input_tokens", 0), tout + usage.get("output_tokens", 0)
                secs, n = secs + data["latency_s"], n + 1
    return (tin / n, tout / n, secs / n) if n else None


def resolve_run(arg: str, settings: Settings) -> RunData:
    reports_dir = Path(settings.evals_dir) / "reports"
    if arg == "baseline":
        return load_run(baseline_path(settings))
    path = Path(arg)
    if path.exists():
        return load_run(path)
    if (reports_dir / arg).exists():
        return load_run(reports_dir / arg)
    raise FileNotFoundError(f"找不到评测运行：{arg}（可用运行目录、run.json、运行编号，或 baseline 表示已认可的基线）")


def compare_runs(run_a: RunData, run_b: RunData, *, version_a: str | None, versions_b: list[str] | None,
                 cfg: GateConfig) -> list[Comparison]:
    va = version_a or run_a.versions()[0]
    vbs = versions_b or run_b.versions()
    return [compare(run_a, va, run_b, vb, cfg) for vb in vbs]


def write_comparison(comparisons: list[Comparison], run_b: RunData, reports_dir: Path) -> tuple[Path, str]:
    first = comparisons[0]
    folder = reports_dir / f"compare-{datetime.now():%Y%m%d-%H%M%S}-{first.a.version}-vs-" \
                           f"{'-'.join(c.b.version for c in comparisons)}"
    md = "\n".join(comparison_markdown(c) for c in comparisons)
    write_report(folder, run_b, [c.b for c in comparisons], comparisons, markdown=md)
    return folder, md


def bless(run: RunData, version: str, path: Path) -> Path:
    """The only writer of the baseline: one version of one run, as the new blessed reference."""
    if version not in run.versions():
        raise ValueError(f"运行 {run.manifest.run_id} 中没有版本 {version}")
    manifest = run.manifest.model_copy(update={
        "versions": [v for v in run.manifest.versions if v.name == version],
        "repeats": {version: run.manifest.repeats.get(version, 1)}})
    baseline = RunData(manifest=manifest, items=run.items, drafts=[d for d in run.drafts if d.version == version],
                       case_errors=run.case_errors)
    from ..files import atomic_write

    return atomic_write(path, baseline.model_dump_json(indent=1))
