"""Batch input: a regions sheet (CSV/XLSX) + the company YAML -> one PlanRequest per region, targets allocated.

Reading the file (encodings, delimiters, merged cells, header names and units) is assistant.batch.sheets; here its rows
become RegionRows. Cells may say "1,200万" or "1.2亿". A 合计/总计 row is not a region: its figures are compared with
the sum of the rows.

Allocation. Rows that state a target keep it. The rest of the company total (--total, else the YAML's
revenue_target) is split by a blend of three components, each normalised over those rows:
    weight_i = Σ_c w_c · value_c,i / Σ_j value_c,j      c ∈ {potential (市场潜力, else 权重), last_year, headcount}
Default w = potential 0.4, last_year 0.4, headcount 0.2 (YAML `allocation: {potential: .5, ...}` or --weights).
A component nobody filled is dropped; a row missing a component gets the mean of the others. planning.allocate
rounds to 0.01 with the parts summing to the total exactly. A region whose target per head is more than 15% from
the median is flagged.
"""

from __future__ import annotations

import copy
import re
import statistics
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from ..planning.engine import allocate
from ..quantities import UNIT_YUAN, format_amount, normalise_unit, parse_amount, parse_rate
from ..request import FIELD_LABELS, PlanRequest, RequestError, build_request
from .sheets import (  # batch.py imports BatchInputError from here
    MAX_ROWS,
    BatchInputError,
    decode_text,
    header_columns,
    read_sheet,
)

DEFAULT_WEIGHTS = {"potential": 0.4, "last_year": 0.4, "headcount": 0.2}
COMPONENT_LABELS = {"potential": "市场潜力/权重", "last_year": "去年销售额", "headcount": "人数"}
OUTLIER = 0.15

_TOTAL_ROW = re.compile(r"^(合计|总计|小计|汇总|总和|全部|total|sum)\b", re.I)
_AMOUNT_OVERRIDES = ("avg_deal_size", "budget_total", "collection_target")


class RegionRow(BaseModel):
    line: int
    region: str = ""
    target: float | None = None
    potential: float | None = None
    last_year: float | None = None
    headcount: int | None = None
    channels: str | None = None
    competitors: str | None = None
    owner: str | None = None
    notes: str | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class RegionAllocation(BaseModel):
    """A region's line in the allocation table."""

    line: int
    region: str
    owner: str | None = None
    target: float | None = None
    explicit: bool = False
    share: float | None = None
    last_year: float | None = None
    growth: float | None = None
    headcount: int | None = None
    per_head: float | None = None
    flags: list[str] = Field(default_factory=list)


class RegionPlan(RegionAllocation):
    request: PlanRequest | None = None
    error: str | None = None


class Prepared(BaseModel):
    company: str
    period_label: str
    unit: str
    total: float
    weights: dict[str, float]
    regions: list[RegionPlan]
    warnings: list[str] = Field(default_factory=list)
    source_note: str = ""
    reallocated: list[int] = Field(default_factory=list, description="rows with errors whose share went to the rest")


# ---------------------------------------------------------------- reading the sheet

def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def _amount(v: Any, unit: str, header_unit: str | None, what: str) -> float:
    if isinstance(v, str) and re.fullmatch(r"\s*-?[\d,]+(\.\d+)?\s*", v):
        v = float(v.replace(",", ""))
    try:
        value = float(v) if isinstance(v, (int, float)) else parse_amount(str(v), unit)
    except (ValueError, KeyError):
        raise ValueError(f"{what}「{v}」不是可识别的金额（可写 1200、1200万、1.2亿、1,200万元）") from None
    if isinstance(v, (int, float)) and header_unit:
        value = value * UNIT_YUAN[header_unit] / UNIT_YUAN[unit]
    if value < 0:
        raise ValueError(f"{what}不能为负数（{v}）")
    return round(value, 4)


def _weight(v: Any) -> float:
    try:
        w = parse_rate(v) if isinstance(v, str) and "%" in v else float(str(v).replace(",", ""))
    except ValueError:
        raise ValueError(f"权重「{v}」不是数字") from None
    if w < 0:
        raise ValueError(f"权重不能为负数（{v}）")
    return w


def _headcount(v: Any) -> int:
    text = str(v).strip().removesuffix("人").removesuffix("名")
    try:
        n = float(text)
    except ValueError:
        raise ValueError(f"人数「{v}」不是数字") from None
    if n < 0:
        raise ValueError(f"人数不能为负数（{v}）")
    if not n.is_integer():
        raise ValueError(f"人数应为整数（{v}）")
    return int(n)


def parse_rows(rows: list[list[Any]], unit: str, warnings: list[str]) -> tuple[list[RegionRow], dict[str, float]]:
    """Sheet rows -> RegionRows (with per-row errors) and the 合计 row's figures, if any."""
    columns, start = header_columns(rows, warnings)
    out: list[RegionRow] = []
    totals: dict[str, float] = {}
    for i, raw in enumerate(rows[start:start + MAX_ROWS + 1], start=start + 1):
        cells = {canon: (raw[j] if j < len(raw) else None, hu) for j, (canon, hu) in columns.items()}
        if all(_blank(v) for v, _ in cells.values()):
            continue
        name = cells.get("region", (None,))[0]
        if isinstance(name, float) and name.is_integer():
            name = int(name)  # a region code typed as a number in Excel
        region = "" if _blank(name) else str(name).strip()
        row = RegionRow(line=i, region=region)
        if _TOTAL_ROW.match(region):
            for key in ("target", "last_year"):
                v, hu = cells.get(key, (None, None))
                if not _blank(v):
                    try:
                        totals[key] = _amount(v, unit, hu, "合计")
                    except ValueError:
                        pass
            continue
        problems = [] if region else ["缺少区域名称"]
        for canon, (v, hu) in cells.items():
            if canon == "region" or _blank(v):
                continue
            try:
                if canon in ("target", "last_year", "potential"):
                    label = {"target": "目标", "last_year": "去年销售额", "potential": "市场潜力"}[canon]
                    setattr(row, canon, _amount(v, unit, hu, label))
                elif canon == "weight":
                    row.overrides["_weight"] = _weight(v)
                elif canon == "headcount":
                    row.headcount = _headcount(v)
                elif canon.startswith("override:"):
                    field = canon.split(":", 1)[1]
                    row.overrides[field] = _amount(v, unit, hu, FIELD_LABELS[field]) \
                        if field in _AMOUNT_OVERRIDES else (str(v).strip() if isinstance(v, str) else v)
                else:
                    setattr(row, canon, str(v).strip())
            except ValueError as exc:
                problems.append(str(exc))
        if row.potential is None and "_weight" in row.overrides:
            row.potential = row.overrides["_weight"]
        row.overrides.pop("_weight", None)
        if row.target is not None and row.target == 0:
            problems.append("目标为0：不填目标可由系统分配")
        row.error = "；".join(problems) or None
        out.append(row)
    if len(rows) - start > MAX_ROWS:
        warnings.append(f"区域超过{MAX_ROWS}行，只处理前{MAX_ROWS}行")
    if not out:
        raise BatchInputError(["区域文件里没有数据行（只有表头）"])
    return out, totals


def read_regions(path: str | Path, unit: str = "万元") -> tuple[list[RegionRow], dict[str, float], list[str], str]:
    p = Path(path)
    rows, note = read_sheet(p)
    warnings: list[str] = []
    regions, totals = parse_rows(rows, unit, warnings)
    return regions, totals, warnings, note


# ---------------------------------------------------------------- company YAML and allocation

def load_company(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise BatchInputError([f"找不到公司配置文件：{p}"])
    text, _ = decode_text(p.read_bytes())
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BatchInputError([f"公司配置文件「{p.name}」不是合法的 YAML：{exc}"]) from None
    if not isinstance(data, dict):
        raise BatchInputError([f"公司配置文件「{p.name}」应为键值对（如 company: …、period: …）"])
    return data


def parse_weights(spec: str | dict | None) -> dict[str, float]:
    """'potential=0.5,last_year=0.3,headcount=0.2' (or a dict; Chinese names accepted) -> weights."""
    if not spec:
        return dict(DEFAULT_WEIGHTS)
    items = spec.items() if isinstance(spec, dict) else (p.split("=", 1) for p in re.split(r"[,，;]", spec) if p)
    names = {"市场潜力": "potential", "潜力": "potential", "权重": "potential", "去年销售额": "last_year",
             "去年": "last_year", "人数": "headcount", "产能": "headcount", "capacity": "headcount"}
    weights = dict.fromkeys(DEFAULT_WEIGHTS, 0.0)
    for key, value in items:
        key = names.get(str(key).strip(), str(key).strip())
        if key not in weights:
            raise BatchInputError([f"分配权重里的「{key}」不认识，可用：potential（市场潜力）、last_year（去年销售额）、"
                                   "headcount（人数）"])
        try:
            weights[key] = float(str(value).strip().rstrip("%")) / (100 if "%" in str(value) else 1)
        except ValueError:
            raise BatchInputError([f"分配权重「{key}={value}」不是数字"]) from None
        if weights[key] < 0:
            raise BatchInputError([f"分配权重「{key}」不能为负数"])
    if sum(weights.values()) <= 0:
        raise BatchInputError(["分配权重合计必须大于0"])
    return weights


def blend(rows: list[RegionRow], weights: dict[str, float], notes: dict[int, list[str]]) -> list[float]:
    """Allocation weights for rows without a target (see the module docstring)."""
    parts: list[list[float]] = []
    used: list[float] = []
    for comp, w in weights.items():
        if w <= 0:
            continue
        values = [getattr(r, comp) for r in rows]
        present = [v for v in values if v is not None]
        if not present or sum(present) <= 0:
            continue
        mean = statistics.fmean(present)
        for r, v in zip(rows, values, strict=False):
            if v is None:
                notes.setdefault(r.line, []).append(f"缺少{COMPONENT_LABELS[comp]}，分配时按平均值计")
        filled = [mean if v is None else v for v in values]
        total = sum(filled)
        parts.append([v / total for v in filled])
        used.append(w)
    if not parts:
        return [1.0] * len(rows)
    return [sum(w * p[i] for w, p in zip(used, parts, strict=False)) / sum(used) for i in range(len(rows))]


class _Company(BaseModel):
    """The company YAML split into what every region shares and the company-level figures to share out."""

    shared: dict[str, Any]
    company: str
    period_label: str
    unit: str
    weights: dict[str, float]
    total: float | None = None
    budget: float | None = None
    budget_ratio: float | None = None
    collection: float | None = None
    new_customers: Any = None
    warnings: list[str] = Field(default_factory=list)


def _company(path: str | Path, total: float | str | None, weights: str | dict | None) -> _Company:
    shared = copy.deepcopy(load_company(path))
    spec = shared.pop("allocation", None)
    spec = shared.pop("分配权重", None) or spec
    warnings = []
    if shared.pop("region", None):
        warnings.append("公司配置里的 region 已忽略：区域取自区域文件的每一行")
    if shared.pop("baseline_revenue", None) is not None:
        warnings.append("公司配置里的 baseline_revenue（去年销售额）不分到区域：请在区域文件的「去年销售额」列填写")
    company_total, budget, ratio = shared.pop("revenue_target", None), shared.pop("budget_total", None), \
        shared.pop("budget_ratio", None)
    collection, new_customers = shared.pop("collection_target", None), shared.pop("new_customers", None)
    weights = parse_weights(weights or spec)
    try:
        unit = normalise_unit(str(shared.get("currency_unit", "万元")))
    except ValueError as exc:
        raise BatchInputError([f"公司配置文件有问题：{exc}"]) from None
    try:
        cli_total = None if total is None else parse_amount(total, unit)
    except ValueError:
        raise BatchInputError([f"公司总目标「{total}」不是可识别的金额（可写 10000、1亿）"]) from None
    try:
        probe = build_request({**shared, "region": "（校验）", "revenue_target": 1e9}, "公司配置")

        def amount(v: Any) -> float | None:
            return None if v is None else parse_amount(v, unit)

        return _Company(shared=shared, company=probe.company, period_label=probe.period.label, unit=unit,
                        weights=weights, total=cli_total if cli_total is not None else amount(company_total),
                        budget=amount(budget), budget_ratio=None if ratio is None else parse_rate(ratio),
                        collection=amount(collection), new_customers=new_customers, warnings=warnings)
    except RequestError as exc:
        raise BatchInputError(["公司配置文件有问题："] + exc.problems) from None
    except ValueError as exc:  # an amount or rate that cannot be read
        raise BatchInputError([f"公司配置文件有问题：{exc}"]) from None


def _mark_duplicates(rows: list[RegionRow]) -> None:
    seen: dict[str, list[int]] = {}
    for r in rows:
        if r.region:
            seen.setdefault(r.region, []).append(r.line)
    for r in rows:
        lines = seen.get(r.region, [])
        if len(lines) > 1 and not r.error:
            r.error = f"区域名称「{r.region}」重复（第{'、'.join(map(str, lines))}行），请合并或改名"


def allocate_targets(rows: list[RegionRow], total: float | None, weights: dict[str, float], unit: str,
                     warnings: list[str], notes: dict[int, list[str]], reallocate_failed: bool = False,
                     ) -> tuple[dict[int, float], float, dict[int, float]]:
    """(targets of the good rows, the company total, shares held back for rows with errors).

    Good rows keep a stated target or get a share of what the stated ones leave. A row with an error takes part
    in the split as if it were good (a component it lacks counts as the mean) and its share is held back, not
    drafted and not spread over the others: fixing the row later leaves the other regions' targets as they are
    (unless the fix changes the row's own allocation inputs). `reallocate_failed` spreads it instead."""
    good = [r for r in rows if not r.error]
    sharing = good if reallocate_failed else rows
    stated = sum(r.target for r in sharing if r.target is not None)
    to_split = [r for r in sharing if r.target is None]
    if total is None:
        if to_split:
            raise BatchInputError(["有区域没有填写目标，又没有公司总目标：请用 --total 指定，或在公司配置里写 revenue_target"])
        total = stated
    elif total <= 0:
        raise BatchInputError([f"公司总目标必须大于0（收到 {format_amount(total, unit)}）"])
    remaining = round(total - stated, 2)
    if to_split and remaining <= 0:
        raise BatchInputError([f"已填写目标的区域合计 {format_amount(stated, unit)} 已达到或超过公司总目标 {format_amount(total, unit)}，"
                               "剩下的区域无目标可分"])
    if not to_split and abs(stated - total) > 0.005:
        warnings.append(f"各区域目标合计 {format_amount(stated, unit)} 与公司总目标 {format_amount(total, unit)} 不一致"
                        f"（差 {'+' if stated > total else '-'}{format_amount(abs(stated - total), unit)}），按各区域填写的目标起草")
    shared_out = allocate(remaining, blend(to_split, weights, notes)) if to_split else []
    allocated = dict(zip((r.line for r in to_split), shared_out, strict=False))
    shares = {r.line: (r.target if r.target is not None else allocated[r.line]) for r in sharing}
    held = {r.line: shares[r.line] for r in rows if r.error and r.line in shares}
    return {r.line: shares[r.line] for r in good}, total, held


def prepare(regions_path: str | Path, company_path: str | Path, total: float | str | None = None,
            weights: str | dict | None = None, reallocate_failed: bool = False) -> Prepared:
    """Read both files, allocate targets, and build each region's PlanRequest (or the reason it cannot be built).
    A row with an error keeps its share unallocated unless `reallocate_failed` (see allocate_targets)."""
    co = _company(company_path, total, weights)
    rows, sheet_totals, sheet_warnings, note = read_regions(regions_path, co.unit)
    warnings = co.warnings + sheet_warnings
    _mark_duplicates(rows)
    notes: dict[int, list[str]] = {}
    targets, company_total, held = allocate_targets(rows, co.total, co.weights, co.unit, warnings, notes,
                                                    reallocate_failed)
    for key, label in (("target", "目标"), ("last_year", "去年销售额")):
        if key not in sheet_totals:
            continue
        if key == "target" and any(r.target is None for r in rows):
            expected, what = company_total, "公司总目标"
        else:
            expected, what = sum(getattr(r, key) or 0 for r in rows), "各区域之和"
        if abs(sheet_totals[key] - expected) > 0.005:
            warnings.append(f"表中「合计」行的{label} {format_amount(sheet_totals[key], co.unit)} 与{what} "
                            f"{format_amount(expected, co.unit)} 不一致，已按各区域明细计算")
    splits = _company_splits({**targets, **held}, co)  # a held-back row keeps its part of the budget too
    grand = sum(targets.values()) + sum(held.values())
    plans: list[RegionPlan] = []
    for r in rows:
        target = targets.get(r.line, held.get(r.line, r.target))
        plan = RegionPlan(line=r.line, region=r.region, owner=r.owner, target=target,
                          explicit=r.target is not None, last_year=r.last_year, headcount=r.headcount,
                          error=r.error, flags=notes.get(r.line, []))
        if r.line in held:
            plan.share = round(target / grand, 4) if grand else None
        if r.line in targets:
            plan.share = round(target / grand, 4) if grand else None
            plan.growth = round(target / r.last_year - 1, 4) if r.last_year else None
            plan.per_head = round(target / r.headcount, 2) if r.headcount else None
            try:
                plan.request = build_request(_region_request(co, r, target, splits[r.line]),
                                             f"第{r.line}行（{r.region}）")
            except RequestError as exc:
                plan.error = "；".join(exc.problems)
        plans.append(plan)
    _flag_per_head(plans)
    return Prepared(company=co.company, period_label=co.period_label, unit=co.unit, total=company_total,
                    weights=co.weights, regions=plans, warnings=warnings, source_note=note,
                    reallocated=sorted(r.line for r in rows if r.error) if reallocate_failed else [])


def _company_splits(targets: dict[int, float], co: _Company) -> dict[int, dict[str, Any]]:
    """Company-level budget / collection / new customers shared out by target, exactly (planning.allocate)."""
    lines, weights = list(targets), list(targets.values())
    columns: dict[str, list[Any]] = {}
    if co.budget_ratio is not None:
        columns["budget_total"] = [round(t * co.budget_ratio, 2) for t in weights]
    elif co.budget is not None:
        columns["budget_total"] = allocate(co.budget, weights)
    if co.collection is not None:
        columns["collection_target"] = allocate(co.collection, weights)
    if co.new_customers is not None:
        try:  # whole customers: n/100 split to 0.01 is n split to units
            columns["new_customers"] = [round(x * 100) for x in allocate(int(co.new_customers) / 100, weights)]
        except (TypeError, ValueError):
            columns["new_customers"] = [co.new_customers] * len(lines)  # the request reports it
    return {line: {f: values[i] for f, values in columns.items()} for i, line in enumerate(lines)}


def _region_request(co: _Company, r: RegionRow, target: float, split: dict[str, Any]) -> dict:
    data = copy.deepcopy(co.shared)
    data.update(region=r.region, revenue_target=target, currency_unit=co.unit, **split)
    if r.last_year is not None:
        data["baseline_revenue"] = r.last_year
    if r.headcount:
        data["team"] = [{"role": "销售代表", "count": r.headcount}]
    for field in ("channels", "competitors"):
        if getattr(r, field):
            data[field] = re.sub(r"[+＋]", "、", getattr(r, field))
    data.update(r.overrides)
    extra = [f"区域负责人：{r.owner}" if r.owner else "", r.notes or ""]
    if any(extra):
        data["notes"] = "；".join(x for x in [data.get("notes") or "", *extra] if x)
    return data


def _flag_per_head(plans: list[RegionPlan]) -> None:
    heads = [p.per_head for p in plans if p.per_head and p.request is not None]
    if len(heads) < 3:
        return
    median = statistics.median(heads)
    for p in plans:
        if p.per_head and p.request is not None and abs(p.per_head / median - 1) > OUTLIER:
            diff = p.per_head / median - 1
            p.flags.append(f"人均目标{'高' if diff > 0 else '低'}于中位数{abs(diff):.0%}")
