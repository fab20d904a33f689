"""Batch: one plan skeleton per sales region from one spreadsheet, run like a job.

    regions sheet + company YAML --allocation.prepare--> one PlanRequest per region (targets allocated)
        --draft_region (pipeline.draft_plan + render), concurrently--> bytes per format
        --parent writes files atomically, then the region's manifest.json last--> summary.csv / summary.md

A region is complete iff its manifest exists, was made from the same request and drafter (its `key`) and lists
every requested format with files whose SHA-256 match, and no section of it fell back to the offline drafter (a
model that was down or failed its checks: the files are kept for reading, but a re-run drafts the region again).
A re-run skips complete regions (--force redoes them), removes temp files a killed run left behind, moves region
folders this run does not produce to superseded/<time>/ (a different sheet into the same folder), and redoes the
rest; so a kill at any moment loses, duplicates or half-writes nothing. Only this (parent) process writes files:
workers just compute. A row that cannot be planned is reported with its reason in the summary while the others
complete, and its share of the company target stays unallocated (allocation.allocate_targets);
`BatchResult.exit_code` is 1 if any row failed or fell back.

Offline drafting is CPU-bound, so it runs in worker processes (spawned: they exit when the parent dies); the LLM
chain is I/O-bound and runs in threads.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..config import Settings
from ..drafting.drafter import Drafter, make_drafter
from ..files import atomic_write, safe_filename
from ..quantities import format_amount, format_number, format_rate
from ..render import FORMATS
from ..request import PlanRequest
from .allocation import BatchInputError, Prepared, RegionAllocation, RegionPlan, prepare

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
REGIONS_DIR = "regions"
SUMMARY_CSV, SUMMARY_MD = "summary.csv", "summary.md"
OVERVIEW_PNG = "regions.png"  # the regions overview chart beside summary.md
SUPERSEDED = "superseded"
LOCK = ".batch.lock"
_TEMP = re.compile(r"^\..+\.tmp$")  # files.atomic_write's temp names
STATUS_LABELS = {"done": "已生成", "skipped": "已完成（沿用）", "fallback": "部分章节离线兜底", "failed": "失败",
                 "pending": "未完成（中断）"}
_FORMULA = re.compile(r"^[=+\-@\t\r\n＝＋－＠]")
_NUMBER = re.compile(r"^[+-]?\d[\d,]*(\.\d+)?%?$")


class BatchOptions(BaseModel):
    out_dir: Path
    formats: list[str] = Field(default_factory=lambda: list(FORMATS))
    total: float | str | None = None
    weights: str | dict[str, float] | None = None
    concurrency: int | None = None
    force: bool = False
    offline: bool | None = None
    repair: bool = True
    reallocate_failed: bool = False


class RegionOutcome(RegionAllocation):
    status: Literal["done", "skipped", "fallback", "failed", "pending"] = "pending"
    reason: str | None = None
    score: float | None = None
    failing: list[str] = Field(default_factory=list)
    seconds: float = 0.0
    tokens: int = 0
    files: list[str] = Field(default_factory=list)
    fallbacks: list[list[str]] = Field(default_factory=list,
                                       description="[section title, reason] the offline drafter wrote instead")

    @property
    def where(self) -> str:
        return f"第{self.line}行" + (f"「{self.region}」" if self.region else "")


class BatchResult(BaseModel):
    prepared: Prepared
    outcomes: list[RegionOutcome]
    out_dir: Path
    seconds: float = 0.0
    superseded: list[str] = Field(default_factory=list, description="region folders of an earlier run, moved away")

    @property
    def failed(self) -> list[RegionOutcome]:
        """Rows not finished as asked: failed, interrupted, or drafted with offline fallbacks."""
        return [o for o in self.outcomes if o.status in ("failed", "pending", "fallback")]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


RegionListener = Callable[[RegionOutcome, int, int], None]


# ---------------------------------------------------------------- the worker (runs in a process or thread)

def draft_region(request: PlanRequest, formats: list[str], settings: Settings, drafter: Drafter,
                 repair: bool) -> dict[str, Any]:
    """Draft one region and render it; returns bytes per format plus score, failing items, time and tokens."""
    from ..pipeline import draft_plan
    from ..render import render
    from ..schema import SECTIONS

    started = time.perf_counter()
    plan = draft_plan(request, settings=settings, drafter=drafter, repair=repair)
    score, failing = _score(plan)
    fallbacks = [[SECTIONS[k].title if k in SECTIONS else k, (r.fallback_reason or "模型输出未通过检查")[:120]]
                 for k, r in plan.metadata.sections.items() if r.status == "fallback"]
    blobs = {}
    for fmt in formats:
        data = render(plan, fmt)
        blobs[fmt] = data.encode("utf-8") if isinstance(data, str) else data
    return {"blobs": blobs, "score": score, "failing": failing, "seconds": round(time.perf_counter() - started, 3),
            "tokens": plan.metadata.tokens_in + plan.metadata.tokens_out, "fallbacks": fallbacks}


def _score(plan) -> tuple[float, list[str]]:
    """(validator score, failing checklist items as "id description")."""
    from ..validation import validate_plan

    report = validate_plan(plan)
    return round(float(report.score), 1), [f"{i.id} {i.description}" for i in report.failed]


# ---------------------------------------------------------------- completeness

def job_key(request: PlanRequest, drafter: str) -> str:
    payload = json.dumps({"request": request.model_dump(mode="json"), "drafter": drafter}, sort_keys=True,
                         ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def region_dir(out_dir: Path, region: str) -> Path:
    return out_dir / REGIONS_DIR / safe_filename(region, default="region")


def file_name(region: str, fmt: str) -> str:
    return f"{safe_filename(region, default='region')}_销售方案.{fmt}"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def complete_manifest(folder: Path, key: str, region: str, formats: list[str]) -> dict | None:
    """The region's manifest if the region is complete for this key and these formats, else None. A region with
    sections the offline drafter wrote in the model's place is not complete: a re-run retries the model."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if manifest.get("version") != MANIFEST_VERSION or manifest.get("key") != key or not isinstance(files, dict):
        return None
    if any(file_name(region, fmt) not in files for fmt in formats) or manifest.get("fallbacks"):
        return None
    for name, digest in files.items():
        try:
            if _digest((folder / name).read_bytes()) != digest:
                return None
        except OSError:
            return None
    return manifest


def write_region(folder: Path, region: str, key: str, result: dict[str, Any]) -> dict:
    """Outputs first, manifest last (each atomically): a region is never half-written."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)
    files = {}
    for fmt, blob in result["blobs"].items():
        name = file_name(region, fmt)
        atomic_write(folder / name, blob)
        files[name] = _digest(blob)
    manifest = {"version": MANIFEST_VERSION, "region": region, "key": key, "files": files,
                "score": result["score"], "failing": result["failing"], "seconds": result["seconds"],
                "tokens": result["tokens"], "fallbacks": result.get("fallbacks", []),
                "finished_at": datetime.now().isoformat(timespec="seconds")}
    atomic_write(folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


def remove_temp_files(out_dir: Path) -> int:
    """Temp files of a run that was killed mid-write."""
    removed = 0
    for folder in [out_dir, *(p for p in (out_dir / REGIONS_DIR).glob("*") if p.is_dir())]:
        for path in folder.glob(".*.tmp"):
            if _TEMP.match(path.name):
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def set_aside_other_regions(out_dir: Path, keep: set[str]) -> list[str]:
    """Move region folders this run does not produce (an earlier run from another sheet) to superseded/<time>/,
    so the folder holds exactly the regions its summary lists; nothing is deleted. Returns the moved names."""
    regions = out_dir / REGIONS_DIR
    stale = sorted(p for p in regions.glob("*") if p.is_dir() and p.name not in keep) if regions.is_dir() else []
    if not stale:
        return []
    target = out_dir / SUPERSEDED / datetime.now().strftime("%Y%m%d-%H%M%S")
    target.mkdir(parents=True, exist_ok=True)
    for folder in stale:
        folder.rename(target / folder.name)
    return [p.name for p in stale]


@contextmanager
def _exclusive(out_dir: Path):
    """One batch per output folder at a time (the lock dies with the process)."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        yield
        return
    with open(out_dir / LOCK, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BatchInputError([f"另一个批量任务正在写入「{out_dir}」，请等它结束或换一个输出目录"]) from None
        yield


# ---------------------------------------------------------------- the job

def _watch_parent(parent: int) -> None:
    """Worker initializer: exit when the batch process is gone (killed with SIGKILL leaves no orphans)."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _executor(n: int, processes: bool):
    if processes and n > 1:
        import multiprocessing

        return ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_watch_parent, initargs=(os.getpid(),))
    return ThreadPoolExecutor(max_workers=n)


def run_batch(regions_path: str | Path, company_path: str | Path, options: BatchOptions, *,
              settings: Settings, on_start: Callable[[Prepared, int], None] | None = None,
              on_event: RegionListener | None = None, prepared: Prepared | None = None,
              drafter: Drafter | None = None) -> BatchResult:
    """Prepare, skip complete regions, draft the rest, write the summaries. Raises BatchInputError for fatal input.
    `drafter` defaults to the one the settings (and options.offline) choose."""
    started = time.perf_counter()
    formats = list(dict.fromkeys(f.strip().lower().lstrip(".") for f in options.formats if f.strip()))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise BatchInputError([f"不支持的输出格式「{'、'.join(bad) or '（空）'}」，可选：md、docx、json"])
    prepared = prepared or prepare(regions_path, company_path, options.total, options.weights,
                                   options.reallocate_failed)
    out_dir = Path(options.out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise BatchInputError([f"输出路径「{out_dir}」已存在且不是目录"])
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchInputError([f"无法创建输出目录「{out_dir}」：{exc.strerror or exc}"]) from None
    drafter = drafter or make_drafter(settings, offline=bool(options.offline))
    outcomes = _outcomes(prepared)
    with _exclusive(out_dir):
        remove_temp_files(out_dir)
        superseded = set_aside_other_regions(out_dir, {safe_filename(o.region, default="region") for o in outcomes
                                                       if o.status != "failed"})
        todo = []
        for o, p in zip(outcomes, prepared.regions, strict=False):
            if o.status == "failed":
                continue
            key = job_key(p.request, drafter.key)
            manifest = None if options.force else complete_manifest(region_dir(out_dir, p.region), key, p.region,
                                                                    formats)
            if manifest:
                o.status, o.score, o.failing = "skipped", manifest.get("score"), manifest.get("failing") or []
                o.seconds, o.tokens = manifest.get("seconds", 0.0), manifest.get("tokens", 0)
                o.files = sorted(manifest["files"])
            else:
                todo.append((o, p, key))
        if on_start:
            on_start(prepared, len(todo))
        done = len(outcomes) - len(todo)
        try:
            with closing(_drafts(todo, formats, settings, options, drafter)) as drafts:
                for (o, p, key), result in drafts:
                    _finish(o, p, key, out_dir, result)
                    done += 1
                    if on_event:
                        on_event(o, done, len(outcomes))
        finally:  # also on Ctrl-C: what finished is on disk, the rest is "未完成" in the summary
            result = BatchResult(prepared=prepared, outcomes=outcomes, out_dir=out_dir, superseded=superseded,
                                 seconds=round(time.perf_counter() - started, 2))
            write_summaries(result)
    return result


def _outcomes(prepared: Prepared) -> list[RegionOutcome]:
    """One outcome per row; rows that cannot be planned (or whose names collide as folders) fail up front."""
    outcomes = [RegionOutcome(**p.model_dump(include=set(RegionAllocation.model_fields))) for p in prepared.regions]
    folders: dict[str, list[RegionOutcome]] = {}
    for o, p in zip(outcomes, prepared.regions, strict=False):
        if p.error:
            o.status, o.reason = "failed", p.error
        else:
            folders.setdefault(safe_filename(p.region, default="region"), []).append(o)
    for same in (v for v in folders.values() if len(v) > 1):  # "苏/南" and "苏_南" share a folder name
        for o in same:
            o.status = "failed"
            o.reason = "区域名称与" + "、".join(f"「{x.region}」" for x in same if x is not o) + "只差特殊字符，请改名"
    return outcomes


def _drafts(todo: list[tuple], formats: list[str], settings: Settings, options: BatchOptions, drafter: Drafter):
    """Yields (job, result or exception) as regions finish, at most `concurrency` at a time: offline drafting is
    CPU-bound (worker processes), the model's is I/O-bound (threads)."""
    processes = not drafter.uses_model
    default = min(os.cpu_count() or 1, 4) if processes else 2
    n = max(1, min(options.concurrency or default, len(todo) or 1))
    args = (formats, settings, drafter, options.repair)
    if n == 1:
        for job in todo:
            try:
                yield job, draft_region(job[1].request, *args)
            except Exception as exc:  # one region failing must not stop the others
                yield job, exc
        return
    pool = _executor(n, processes)
    finished = False
    try:
        futures: dict[Future, tuple] = {pool.submit(draft_region, job[1].request, *args): job for job in todo}
        for fut in as_completed(futures):
            job = futures.pop(fut)  # a finished future holds its result (the rendered files): let it go
            try:
                result = fut.result()
            except Exception as exc:
                result = exc
            yield job, result
        finished = True
    finally:  # on Ctrl-C or an error: drop what has not started
        pool.shutdown(wait=finished, cancel_futures=True)


def _finish(o: RegionOutcome, p: RegionPlan, key: str, out_dir: Path, result: dict | Exception) -> None:
    if isinstance(result, Exception):
        o.status, o.reason = "failed", f"起草失败：{type(result).__name__}: {result}"[:300]
        return
    try:
        manifest = write_region(region_dir(out_dir, p.region), p.region, key, result)
    except OSError as exc:
        o.status, o.reason = "failed", f"写入失败：{exc.strerror or exc}"
        return
    o.status, o.score, o.failing = "done", result["score"], result["failing"]
    o.seconds, o.tokens, o.files = result["seconds"], result["tokens"], sorted(manifest["files"])
    o.fallbacks = result.get("fallbacks", [])
    if o.fallbacks:
        o.status = "fallback"
        reasons = list(dict.fromkeys(reason for _, reason in o.fallbacks))
        o.reason = (f"{len(o.fallbacks)} 节由离线起草器代写（{'；'.join(reasons[:2])}{'…' if len(reasons) > 2 else ''}）："
                    f"{'、'.join(title for title, _ in o.fallbacks)}。文件已生成可先看，重新运行同一命令会再用模型起草")


# ---------------------------------------------------------------- summaries

SUMMARY_COLUMNS = ["行号", "区域", "负责人", "目标", "占比", "去年销售额", "增长率", "人数", "人均目标", "提示", "评分",
                   "未通过项", "状态", "原因", "耗时(秒)", "tokens", "文件"]


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text: one that would start a formula (= + - @, tab, CR) gets a leading
    apostrophe, unless it is a plain number such as -12.5 or -3%."""
    return "'" + cell if _FORMULA.match(cell) and not _NUMBER.match(cell) else cell


def _row(o: RegionOutcome, unit: str) -> list[str]:
    def num(v: float | None) -> str:
        return "" if v is None else format_number(v, grouped=False)

    return [str(o.line), o.region, o.owner or "", num(o.target), format_rate(o.share) if o.share is not None else "",
            num(o.last_year), format_rate(o.growth) if o.growth is not None else "",
            "" if o.headcount is None else str(o.headcount), num(o.per_head), "；".join(o.flags),
            "" if o.score is None else f"{o.score:g}", "；".join(o.failing), STATUS_LABELS[o.status], o.reason or "",
            f"{o.seconds:.2f}", str(o.tokens), "；".join(o.files)]


def totals(result: BatchResult) -> dict[str, Any]:
    ok = [o for o in result.outcomes if o.status in ("done", "skipped")]
    planned = [o for o in result.outcomes if o.target is not None and o.status != "failed"]
    held = [o for o in result.outcomes if o.target is not None and o.status == "failed"]
    return {"regions": len(result.outcomes), "done": sum(o.status == "done" for o in result.outcomes),
            "skipped": sum(o.status == "skipped" for o in result.outcomes), "complete": len(ok),
            "fallback": sum(o.status == "fallback" for o in result.outcomes),
            "failed": len(result.failed), "target_sum": round(sum(round(o.target * 100) for o in planned) / 100, 2),
            "unallocated": round(sum(round(o.target * 100) for o in held) / 100, 2),
            "tokens": sum(o.tokens for o in result.outcomes)}


def write_summaries(result: BatchResult) -> None:
    p, unit = result.prepared, result.prepared.unit
    rows = [_row(o, unit) for o in sorted(result.outcomes, key=lambda o: o.line)]
    header = [c if c not in ("目标", "去年销售额", "人均目标") else f"{c}({unit})" for c in SUMMARY_COLUMNS]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    atomic_write(result.out_dir / SUMMARY_CSV, buf.getvalue().encode("utf-8-sig"))  # Excel opens UTF-8 with BOM

    t = totals(result)
    weights = "、".join(f"{ {'potential': '市场潜力', 'last_year': '去年销售额', 'headcount': '人数'}[k]}{v:g}"
                       for k, v in p.weights.items() if v)
    lines = [f"# {p.company} {p.period_label} 区域方案汇总", "",
             f"- 公司总目标：{format_amount(p.total, unit)}；已分配到可起草区域的目标合计：{format_amount(t['target_sum'], unit)}",
             f"- 分配方法：未填目标的区域按 {weights} 加权分配（精确到0.01，各区域合计等于总目标）",
             *_allocation_notes(result, t),
             f"- 区域 {t['regions']} 个：完成 {t['complete']}（本次生成 {t['done']}，沿用 {t['skipped']}），"
             f"部分章节离线兜底 {t['fallback']}，失败或未完成 {t['failed'] - t['fallback']}",
             f"- 读取：{p.source_note}；耗时 {result.seconds:.1f} 秒；tokens {t['tokens']}", ""]
    planned = [(o.region, o.target) for o in result.outcomes if o.target is not None and o.status != "failed"]
    if planned:
        from ..charts import regions_chart

        chart = regions_chart(planned, unit)
        atomic_write(result.out_dir / OVERVIEW_PNG, chart.png)
        lines += [f"![{chart.title}]({OVERVIEW_PNG})", ""]
    cols = [0, 1, 2, 3, 4, 6, 8, 9, 10, 11, 12, 13, 14, 15]
    lines.append("| " + " | ".join(header[i] for i in cols) + " |")
    lines.append("|" + "---|" * len(cols))
    for row in rows:
        row = [*row[:11], "、".join(x.split(" ")[0] for x in row[11].split("；") if x), *row[12:]]  # item ids only
        lines.append("| " + " | ".join(row[i].replace("|", "／").replace("\n", " ") for i in cols) + " |")
    if p.warnings:
        lines += ["", "## 提示", *[f"- {w}" for w in p.warnings]]
    failed = result.failed
    if failed:
        lines += ["", "## 需要处理的行", *[f"- {o.where}：{o.reason or STATUS_LABELS[o.status]}"
                                          for o in sorted(failed, key=lambda o: o.line)],
                  "", "修改区域文件后重新运行同一命令即可：已完成的区域会自动跳过，目标变化的区域会重新生成。"]
    if result.superseded:
        lines += ["", f"上次运行留下的 {len(result.superseded)} 个区域（本次区域文件中没有或无法起草）已移到 "
                      f"{SUPERSEDED}/ 下：{'、'.join(result.superseded[:20])}{'…' if len(result.superseded) > 20 else ''}"]
    atomic_write(result.out_dir / SUMMARY_MD, "\n".join(lines) + "\n")


def _allocation_notes(result: BatchResult, t: dict[str, Any]) -> list[str]:
    """Where the shares of rows with errors went: held back (default) or spread (--reallocate-failed)."""
    p, unit = result.prepared, result.prepared.unit
    held = [o for o in result.outcomes if o.target is not None and o.status == "failed"]
    if held:
        rows = "、".join(f"{o.where}{format_amount(o.target, unit)}" for o in sorted(held, key=lambda o: o.line))
        return [f"- 未分配：{format_amount(t['unallocated'], unit)}（{rows}：这些行有问题未起草，份额暂不分给其他区域；"
                "修正后重新运行，只起草这些行，其他区域的目标不变——除非改的是该行的市场潜力、去年销售额或人数，"
                "那样各区域会按新数据重新分配）"]
    if p.reallocated:
        rows = "、".join(o.where for o in result.outcomes if o.line in p.reallocated)
        return [f"- 按 --reallocate-failed，{rows}（有问题未起草）的份额已分给其他区域；修正这些行后重新运行，"
                "所有区域的目标都会重新计算"]
    return []
