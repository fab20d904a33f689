"""The LLM drafting chain: each section retrieved, prompted, drafted with structured output, checked, re-asked,
and — when it still fails — replaced by the offline drafter's section, marked as a fallback with the reason.

    plan = draft_sections(request, figures, settings=settings, kb=kb, progress=print)
    plan = redraft_sections(plan, {"swot": ["优势与劣势重复"]}, settings=settings, kb=kb)

Per section: retrieval query (prompts manifest) -> top-k chunks numbered [S1].. -> messages (shared system block
first: rules + request + figures + section map; then the section's instructions and sources) -> StructuredLLM ->
checks (Chinese, required items, dates in the period, amounts quoted from the figures, citations) ->
figures.apply_figures (the model never owns a number). Independent sections run concurrently; 执行摘要 last.
The offline drafter runs at most once per section: its section is the skeleton for engine-owned fields and the
fallback. Whether a model is used at all is decided before this module is reached (drafting.drafter).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import ValidationError

from ..config import Settings
from ..request import PlanRequest
from ..retrieval.text import to_simplified
from ..schema import (
    SECTION_KEYS,
    SECTIONS,
    Figures,
    Progress,
    ProgressEvent,
    Reference,
    SalesPlan,
    SectionBase,
    SectionRun,
)
from ..text_checks import content_problems
from . import offline
from .answers import (
    INLINE_CITE,
    amount_mentions,
    amounts_in,
    cited_ids,
    compact_json,
    dates_in,
    known,
    map_strings,
    sections_digest,
    shares_as_fractions,
    strings_in,
)
from .decompose import Part, describe_done, field_parts, merge, row_parts, rows_of
from .figures import apply_figures, phrases
from .json_answer import validation_problems
from .llm import AnswerError, StructuredLLM, StructuredResult, Usage
from .pace import OutOfTime, Phase, PlanClock
from .prompt_classes import describe as describe_prompts
from .prompts import (
    COMMON_FIELDS,
    PromptSet,
    figures_block,
    load_prompts,
    request_block,
    sanitize,
    section_schema,
    sources_block,
)

SUMMARY = "executive_summary"
BREAKER_FAILURES = 2  # consecutive "endpoint unavailable" sections before the rest go straight to the fallback
WHOLE_ATTEMPTS = 2    # with a "part" template, a section that fails twice is drafted as smaller calls

class _Chain:
    """One plan's drafting context: shared prompt prefix, model, knowledge base, progress and circuit breaker."""

    def __init__(self, request: PlanRequest, figures: Figures, *, settings: Settings, kb: Any,
                 progress: Progress | None, use_cache: bool, llm: BaseChatModel | None,
                 offline_sections: dict[str, SectionBase] | None = None, clock: PlanClock | None = None):
        self.request, self.figures, self.settings, self.kb = request, figures, settings, kb
        self.use_cache = use_cache
        self.prompts: PromptSet = load_prompts(settings.prompts_dir, settings.prompt_version)
        self.llm = StructuredLLM(settings, model=llm, use_cache=use_cache)
        self.clock = clock or PlanClock(settings, self.llm.memory.get(self.llm.id))
        self.slots = phrases(request, figures)
        self.system = self.prompts.render("system", request=request_block(request), figures=figures_block(figures),
                                          unit=figures.unit, section_map=self.prompts.section_map(),
                                          playbook=self.slots.get("playbook", ""))
        self.allowed_amounts = amounts_in(self.system, figures.unit)
        for key in self.prompts.sections:  # an unknown $slot in any template fails before the first model call
            self.prompts.section_text(key, self.slots)
        self.concurrency, self.concurrency_note, down = self.llm.concurrency()
        self._progress, self._lock = progress, threading.Lock()
        # an endpoint found unavailable stays so for the rest of the plan (its summary and repair round too)
        self._failures, self.breaker_reason, self.cached_calls = 0, down or self.clock.unavailable, 0
        self.clock.unavailable = self.breaker_reason
        self.chunks: dict[str, dict[str, Any]] = {}  # chunk id -> chunk, for references
        # the offline drafter's sections for this request and figures, each drafted at most once (shared with a
        # later redraft of the same plan by the caller)
        self.offline: dict[str, SectionBase] = {} if offline_sections is None else offline_sections
        self.to_simplified = to_simplified

    def offline_section(self, key: str) -> SectionBase:
        """The offline drafter's version of a section (skeleton and fallback), drafted once per chain."""
        if key not in self.offline:
            self.offline[key] = offline.draft_section(key, self.request, self.figures)
        return self.offline[key]

    # -- progress and breaker (called from worker threads)
    def emit(self, key: str, status: str, detail: str = "") -> None:
        if self._progress:
            with self._lock:
                self._progress(ProgressEvent(section=key, status=status, detail=detail or SECTIONS[key].title))

    def _record(self, unavailable: bool, reason: str | None) -> None:
        with self._lock:
            self._failures = self._failures + 1 if unavailable else 0
            if self._failures >= BREAKER_FAILURES and not self.breaker_reason:
                self.breaker_reason = self.clock.unavailable = reason

    # -- one section
    def retrieve(self, key: str, run: SectionRun) -> list[Any]:
        spec = self.prompts.sections[key]
        query = f"{spec.query} {self.request.industry or ''} {self.request.product or ''}".strip()
        try:
            chunks = list(self.kb.search(query, k=int(self.prompts.param("k", 3)), section=key)) if self.kb else []
        except Exception as exc:  # noqa: BLE001 — a broken index must not stop the draft
            run.errors.append(f"检索失败（{type(exc).__name__}），本节无参考资料")
            return []
        with self._lock:
            for c in chunks:
                self.chunks[c.id] = c
        return chunks

    def messages(self, key: str, chunks: list[Any], feedback: list[str] | None = None,
                 previous: str = "", digest: str = "") -> list:
        p = self.prompts
        fb = p.render("feedback", items="\n".join(f"- {sanitize(x)}" for x in feedback), previous=previous or "（无）") \
            if feedback and "feedback" in p.texts else ""
        ctx = p.render("context", digest=digest) if digest and "context" in p.texts else ""
        user = p.render("user", title=SECTIONS[key].title, instructions=p.section_text(key, self.slots),
                        feedback=fb,
                        sources=sources_block(chunks, int(p.param("max_chunk_chars", 220))), context=ctx)
        return [SystemMessage(content=self.system), HumanMessage(content=re.sub(r"\n{3,}", "\n\n", user))]

    def draft(self, key: str, *, feedback: list[str] | None = None, previous: str = "", digest: str = "",
              repairing: bool = False) -> tuple[SectionBase | None, SectionRun]:
        """Draft one section. Returns (section or None when the caller should keep/replace it, run record)."""
        started = time.perf_counter()
        run = SectionRun(status="fallback")
        self.emit(key, "started")
        if self.breaker_reason:
            run.fallback_reason = f"模型服务不可用（{self.breaker_reason}），本节未调用模型"
            return self._finish(key, None, run, started, repairing)
        phase: Phase = "repair" if repairing else ("summary" if key == SUMMARY else "body")
        chunks = self.retrieve(key, run)
        schema = section_schema(self.prompts, key)
        budget = self.prompts.sections[key].max_tokens or int(self.prompts.param("max_tokens", 700))
        splits = "part" in self.prompts.texts
        outcome = self._ask(key, self.messages(key, chunks, feedback, previous, digest), schema, chunks, phase,
                            budget, attempts=WHOLE_ATTEMPTS if splits else None,
                            build=lambda data: self.build(key, data, chunks))
        self._account(run, outcome)
        section = None
        if outcome.ok:
            section, run.dropped_citations = outcome.value
            run.status = "repaired" if repairing else ("retried" if outcome.reasks else "done")
        elif splits and not outcome.unavailable and not isinstance(outcome.stopped, OutOfTime):
            self.emit(key, "retried", f"{SECTIONS[key].title}：整章两次未通过，改为分步起草")
            section = self._by_parts(key, chunks, schema, phase, feedback, previous, digest, run)
            if section is not None:
                run.status = "repaired" if repairing else "retried"
        if section is None:
            run.fallback_reason = run.fallback_reason or outcome.failure
        return self._finish(key, section, run, started, repairing)

    def _ask(self, key: str, messages: list, schema: dict[str, Any], chunks: list[Any], phase: Phase,
             budget: int, *, attempts: int | None, build) -> StructuredResult:
        """One structured request for a section (whole or a part), within the plan's time budget."""
        title = SECTIONS[key].title
        self.clock.profile = self.llm.memory.get(self.llm.id)  # the pace measured so far sizes the reserves
        outcome = self.llm.structured(
            messages, name=key, schema=schema, build=build,
            reask=lambda problems: self.prompts.render("reask", title=title,
                                                       errors="\n".join(f"- {x}" for x in problems)),
            format_instructions=self.prompts.render("json_format", schema=compact_json(schema)),
            max_tokens=budget, use_cache=self.use_cache, attempts=attempts,
            limits=lambda: self.clock.limits(phase, max_tokens=budget),
            on_event=lambda status, detail: self.emit(key, "retried", detail) if status == "retried" else None)
        self._record(outcome.unavailable, outcome.failure)
        return outcome

    def _account(self, run: SectionRun, outcome: StructuredResult) -> None:
        u = outcome.usage
        if u.calls > u.cached_calls:
            self.clock.observe(u.latency_s / (u.calls - u.cached_calls))
        run.method = run.method or outcome.method
        run.attempts += outcome.attempts
        run.errors = run.errors + outcome.errors
        run.tokens_in, run.tokens_out = run.tokens_in + u.tokens_in, run.tokens_out + u.tokens_out
        run.cost = round(run.cost + u.cost, 6)
        with self._lock:
            self.cached_calls += u.cached_calls

    def _by_parts(self, key: str, chunks: list[Any], schema: dict[str, Any], phase: Phase,
                  feedback: list[str] | None, previous: str, digest: str, run: SectionRun) -> SectionBase | None:
        """The section as smaller calls: one field at a time; a list of rows that fails again, one row at a time.
        None (with run.fallback_reason) when a part still fails."""
        done: list[tuple[Part, Any]] = []
        citations: list[Any] = []
        budget = max(200, (self.prompts.sections[key].max_tokens or int(self.prompts.param("max_tokens", 700))) // 2)
        for part in field_parts(schema):
            for attempt in [[part]] + ([row_parts(schema, part.field)] if rows_of(schema, part.field) else []):
                got: list[tuple[Part, Any]] = []
                for p in attempt:  # rows in order: each row sees what was written before it (no repeats)
                    answer, outcome = self._part(key, p, chunks, phase, budget, done + got, feedback, previous,
                                                 digest, run)
                    if answer is None:
                        break
                    if p.row is None:
                        citations += answer.get("citations") or []
                    got.append((p, p.value(answer)))
                if len(got) == len(attempt):
                    done += got
                    break
                if isinstance(outcome.stopped, OutOfTime) or outcome.unavailable or self.breaker_reason:
                    return None
            else:
                return None
        try:
            section, run.dropped_citations = self.build(key, {**merge(done), "citations": citations}, chunks)
        except (AnswerError, ValidationError) as exc:  # parts that pass alone may still not fit together
            why = "；".join(exc.problems if isinstance(exc, AnswerError) else validation_problems(exc, schema))
            run.errors.append(f"分步合并后：{why}")
            run.fallback_reason = f"分步起草合并后未通过检查：{why}"[:300]
            return None
        return section

    def _part(self, key: str, part: Part, chunks: list[Any], phase: Phase, budget: int,
              done: list[tuple[Part, Any]], feedback, previous: str, digest: str,
              run: SectionRun) -> tuple[dict[str, Any] | None, StructuredResult]:
        """One part (a field, or a row) drafted and checked on its own: (its answer, the outcome)."""
        system, user = self.messages(key, chunks, feedback, previous, digest)
        task = self.prompts.render("part", label=part.label, done=describe_done(done) or "（无）")
        messages = [system, HumanMessage(content=f"{user.content}\n\n{task}")]

        def build(data: dict[str, Any]) -> dict[str, Any]:
            data = map_strings(data, self.to_simplified)
            value = part.value(data)
            problems = self.check(key, {part.field: value if part.row is None else [value]}, part=part)
            if problems:
                raise AnswerError(problems)
            return data

        outcome = self._ask(key, messages, part.schema, chunks, phase, budget, attempts=WHOLE_ATTEMPTS, build=build)
        self._account(run, outcome)
        run.parts += 1
        if not outcome.ok:
            run.fallback_reason = f"分步起草仍未通过：{part.label}：{outcome.failure}"[:300]
        return outcome.value, outcome

    def _finish(self, key: str, section: SectionBase | None, run: SectionRun, started: float,
                repairing: bool) -> tuple[SectionBase | None, SectionRun]:
        if section is None and not repairing:
            section = self.offline_section(key).model_copy(deep=True)
        run.latency_s = round(time.perf_counter() - started, 3)
        if run.status == "fallback":
            kept = "重写失败，保留原稿：" if repairing else ""
            self.emit(key, "fallback", f"{SECTIONS[key].title}：{kept}{run.fallback_reason}")
        else:  # "done" also after re-asks (the retried events came before); "repaired" for a redraft
            self.emit(key, "repaired" if run.status == "repaired" else "done",
                      f"{SECTIONS[key].title}（{run.attempts}次调用）")
        return section, run

    # -- the model's JSON -> a checked section
    def build(self, key: str, data: dict[str, Any], chunks: list[Any]) -> tuple[SectionBase, int]:
        spec, model = self.prompts.sections[key], SECTIONS[key].model
        data = map_strings(data, self.to_simplified)
        ids, dropped = cited_ids(data, chunks)
        data = map_strings(data, lambda s: INLINE_CITE.sub("", s).strip())
        data = shares_as_fractions(data)
        answer = data  # what the model wrote; engine-owned fields come from the offline skeleton
        omitted = [p for p in [*self.prompts.param("omit", []), *spec.omit] if "." not in p]
        if omitted:
            skeleton = self.offline_section(key).model_dump(include=set(omitted))
            data = {**{k: v for k, v in skeleton.items() if k not in COMMON_FIELDS}, **data}
        section = model.model_validate(data)
        problems = self.check(key, answer, section)
        if problems:
            raise AnswerError(problems)
        section = apply_figures(key, section, self.request, self.figures)
        section.citations = ids
        return section, dropped

    def check(self, key: str, data: dict[str, Any], section: SectionBase | None = None, *,
              part: Part | None = None) -> list[str]:
        """What is wrong with an answer (Chinese, fed back on a re-ask): required fields, then the content checks
        shared with the validator, dates in the period, amounts quoted from the figures. For one `part` of a
        decomposed section, only that part's field is judged (a single row is not held to the list's size)."""
        spec = self.prompts.sections[key]
        props = section_schema(self.prompts, key)["properties"]
        title = lambda f: props.get(f, {}).get("title", f)  # noqa: E731
        problems = []
        for f in spec.required if part is None else [part.field] if part.row is None else []:
            value = getattr(section, f, None) if section is not None else data.get(f)
            if value in (None, "", []):
                problems.append(f"「{title(f)}」（{f}）不能为空")
            elif isinstance(value, list) and len(value) < spec.min_items.get(f, 1):
                problems.append(f"「{title(f)}」（{f}）至少要写{spec.min_items[f]}条，现在只有{len(value)}条")
        strings = [(path, s) for path, s in strings_in(data) if path[0] != "citations"]
        lists = [v for f, v in data.items() if f not in COMMON_FIELDS and isinstance(v, list)]
        prose = [s for f, v in data.items() if f not in COMMON_FIELDS
                 for s in ([v] if isinstance(v, str) else v if isinstance(v, list) else []) if isinstance(s, str)]
        problems += content_problems([s for _, s in strings], [s for v in lists for s in v if isinstance(s, str)],
                                     prose, min_chinese_share=float(self.prompts.param("min_chinese_share", 0.6)))
        start, end = self.figures.period_start, self.figures.period_end
        for path, value in dates_in(section if section is not None else data):
            if not start <= value <= end:
                problems.append(f"{path}的日期{value:%Y-%m-%d}不在计划周期（{start:%Y-%m-%d}至{end:%Y-%m-%d}）内")
        foreign = [m for m in amount_mentions(strings, self.figures.unit) if not known(m[1], self.allowed_amounts)]
        if foreign:
            problems.append("这些金额不在测算数据中，请只照抄测算数据里的金额：" + "、".join(t for t, _ in foreign[:4]))
        rows = getattr(section, "channels", None)
        if key == "channel_plan" and rows and any(r.target_share for r in rows):
            total = sum(r.target_share or 0 for r in rows)
            if abs(total - 1) > 0.01:
                problems.append(f"各渠道目标占比（target_share）合计应为1，现在是{total:g}")
        return problems


# ---------------------------------------------------------------- the plan


def _run_all(chain: _Chain, keys: list[str], work: Callable[[str], tuple]) -> dict[str, tuple]:
    """Independent sections concurrently (bounded); the first runs alone while auto mode learns the method."""
    results: dict[str, tuple] = {}
    todo = list(keys)
    if todo and chain.llm.needs_discovery():
        first = todo.pop(0)
        results[first] = work(first)
    with ThreadPoolExecutor(max_workers=chain.concurrency) as pool:
        for key, result in zip(todo, pool.map(work, todo), strict=False):
            results[key] = result
    return results


def _assemble(plan: SalesPlan, chain: _Chain, runs: dict[str, SectionRun], started: float) -> SalesPlan:
    """References from what sections cite; totals, notes and model facts into the metadata."""
    known: dict[str, Reference] = {r.id: r for r in plan.references}
    for key in SECTION_KEYS:
        known.update({r.id: r for r in offline.methodology_refs(key)})
    for cid, c in chain.chunks.items():
        known[cid] = Reference(id=cid, source=c.source, title=c.title, excerpt=sanitize(c.text)[:120])
    refs: dict[str, Reference] = {}
    for _, section in plan.sections.items():
        for cid in section.citations if section else []:
            if cid in known:
                refs.setdefault(cid, known[cid])
    plan.references = list(refs.values())
    meta = plan.metadata
    meta.sections.update(runs)
    meta.drafter, meta.model = "llm", chain.settings.llm_model or chain.llm.id
    meta.base_url_host = chain.llm.host
    meta.prompt_version = chain.prompts.version
    total = Usage()
    for r in meta.sections.values():
        total.add(Usage(tokens_in=r.tokens_in, tokens_out=r.tokens_out, cost=r.cost))
    meta.tokens_in, meta.tokens_out, meta.cost = total.tokens_in, total.tokens_out, total.cost
    meta.latency_s = round(meta.latency_s + time.perf_counter() - started, 3)
    notes = [n for n in meta.notes if not n.startswith(("本方案由", "由大模型", "回退", "缓存", "丢弃", "重写失败", "分步"))]
    methods = sorted({r.method for r in meta.sections.values() if r.method})
    notes.insert(0, f"由大模型 {chain.llm.label} 起草（提示词 {describe_prompts(chain.settings)}"
                    + (f"，结构化方式 {'/'.join(methods)}" if methods else "")
                    + f"，同时{chain.concurrency}个请求：{chain.concurrency_note}）")
    parts = [SECTIONS[k].title for k, r in meta.sections.items() if r.parts and r.status != "fallback"]
    if parts:
        notes.append(f"分步：{'、'.join(parts)} 整章两次未通过，改为逐项起草后通过")
    fell = [SECTIONS[k].title for k, r in meta.sections.items() if r.status == "fallback"]
    if fell:
        notes.append(f"回退：{len(fell)} 个章节由离线起草器兜底生成：{'、'.join(fell)}")
    offline_keys = [SECTIONS[k].title for k, r in meta.sections.items() if r.status == "offline"]
    if offline_keys:
        notes.append(f"本方案由离线起草器生成的章节：{'、'.join(offline_keys)}")
    if chain.cached_calls:
        notes.append(f"缓存：{chain.cached_calls} 次模型调用直接使用了磁盘缓存")
    dropped = sum(r.dropped_citations for r in meta.sections.values())
    if dropped:
        notes.append(f"丢弃：{dropped} 个引用不在检索结果中，已删除")
    meta.notes = notes + [n for n in meta.notes if n.startswith("重写失败")]
    return plan


def draft_sections(request: PlanRequest, figures: Figures, *, settings: Settings, kb: Any,
                   progress: Progress | None = None, use_cache: bool = True, sections: list[str] | None = None,
                   llm: BaseChatModel | None = None, offline_sections: dict[str, SectionBase] | None = None,
                   clock: PlanClock | None = None) -> SalesPlan:
    """Draft a plan with the LLM chain. `sections` limits which sections use the model (the rest are drafted
    offline); `llm` injects a chat model (evals, tests), else the configured endpoint's. `offline_sections`
    receives the offline drafter's sections (pass the same dict to `redraft_sections` to reuse them); `clock` is
    the plan's time budget (pass the same one to `redraft_sections`: the repair round spends what is left)."""
    started = time.perf_counter()
    plan = offline.draft_offline(request, figures)
    chain = _Chain(request, figures, settings=settings, kb=kb, progress=progress, use_cache=use_cache, llm=llm,
                   offline_sections=offline_sections, clock=clock)
    chain.offline.update({spec.key: section.model_copy(deep=True) for spec, section in plan.sections.items()
                          if section is not None})
    keys = [k for k in SECTION_KEYS if sections is None or k in sections]
    for key in keys:
        chain.emit(key, "waiting")
    body = [k for k in keys if k != SUMMARY]
    results = _run_all(chain, body, lambda key: chain.draft(key))
    runs = {key: run for key, (_, run) in results.items()}
    for key, (section, _) in results.items():
        setattr(plan.sections, key, section)
    if SUMMARY in keys:
        current = {spec.key: sec for spec, sec in plan.sections.items()}
        digest = sections_digest(current, {SUMMARY}, int(chain.prompts.param("digest_chars", 700)))
        section, runs[SUMMARY] = chain.draft(SUMMARY, digest=digest)
        plan.sections.executive_summary = section
    return _assemble(plan, chain, runs, started)


def redraft_sections(plan: SalesPlan, feedback: dict[str, list[str]], *, settings: Settings, kb: Any,
                     progress: Progress | None = None, use_cache: bool = True,
                     llm: BaseChatModel | None = None, offline_sections: dict[str, SectionBase] | None = None,
                     clock: PlanClock | None = None) -> SalesPlan:
    """Redraft the sections named in `feedback` (validator findings fed to the model). A section whose redraft
    fails keeps its previous text (never made worse); the failure is recorded in its run and the plan notes."""
    started = time.perf_counter()
    plan = plan.model_copy(deep=True)
    keys = [k for k in SECTION_KEYS if feedback.get(k)]
    if not keys:
        return plan
    chain = _Chain(plan.request, plan.figures, settings=settings, kb=kb, progress=progress, use_cache=use_cache,
                   llm=llm, offline_sections=offline_sections, clock=clock)
    limit = int(chain.prompts.param("digest_chars", 700))
    current = {spec.key: sec for spec, sec in plan.sections.items()}
    runs: dict[str, SectionRun] = {}

    def work(key: str) -> tuple:
        previous = sections_digest({key: current[key]}, set(), 300) if current.get(key) else ""
        digest = sections_digest(current, {key}, limit) if key == SUMMARY else ""
        return chain.draft(key, feedback=feedback[key], previous=previous, digest=digest, repairing=True)

    results = _run_all(chain, [k for k in keys if k != SUMMARY], work)
    for key, (section, _) in results.items():
        current[key] = section or current[key]
    if SUMMARY in keys:
        results[SUMMARY] = work(SUMMARY)
    for key, (section, run) in results.items():
        old = plan.metadata.sections.get(key, SectionRun())
        run.tokens_in, run.tokens_out = run.tokens_in + old.tokens_in, run.tokens_out + old.tokens_out
        run.cost, run.attempts = round(run.cost + old.cost, 6), run.attempts + old.attempts
        if section is None:
            plan.metadata.notes.append(f"重写失败：「{SECTIONS[key].title}」保留原稿（{run.fallback_reason}）")
            run.status, run.method = old.status, old.method or run.method
            run.fallback_reason = old.fallback_reason
        else:
            setattr(plan.sections, key, section)
        runs[key] = run
    return _assemble(plan, chain, runs, started)
