"""Batch input: a regions sheet (CSV/XLSX) + the company YAML -> one PlanRequest per region, targets allocated.

Reading. CSV: encoding UTF-8 (BOM or not), else detected by charset-normalizer (Excel in China saves GBK); the
delimiter is sniffed (comma, tab, semicolon, |, full-width comma) and, if the header then has no region column, the
other delimiters are tried. XLSX: the first sheet with a region column; merged cells are filled with their value and a
two-row header ("销售额" merged over "去年"/"目标") is joined. Headers may be Chinese or English; a unit in brackets
("目标（元）") converts bare numbers. Cells may say "1,200万" or "1.2亿". A 合计/总计 row is not a region: its
figures are compared with the sum of the rows.

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
import csv
import io
import re
import statistics
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from .intake import amount_of
from .parsing import UNIT_YUAN, format_amount, normalise_unit, parse_rate
from .planning import allocate
from .request import FIELD_LABELS, PlanRequest, RequestError, build_request

DEFAULT_WEIGHTS = {"potential": 0.4, "last_year": 0.4, "headcount": 0.2}
COMPONENT_LABELS = {"potential": "市场潜力/权重", "last_year": "去年销售额", "headcount": "人数"}
OUTLIER = 0.15
MAX_ROWS = 20_000

COLUMNS: dict[str, tuple[str, ...]] = {  # canonical -> aliases (normalised: lower case, no spaces)
    "region": ("区域", "地区", "大区", "片区", "省份", "省区", "销售区域", "区域名称", "region", "area", "territory"),
    "last_year": ("去年销售额", "去年业绩", "去年实际", "上年销售额", "上年度销售额", "去年", "上年", "基数", "上期",
                  "last_year", "lastyear", "lastyearsales", "baseline"),
    "target": ("目标", "销售目标", "目标销售额", "年度目标", "指标", "任务", "target", "quota"),
    "weight": ("权重", "weight"),
    "potential": ("市场潜力", "潜力", "市场容量", "市场规模", "potential"),
    "headcount": ("人数", "销售人数", "编制", "人员", "headcount", "reps"),
    "channels": ("渠道", "channels", "channel"),
    "competitors": ("竞争对手", "竞品", "对手", "competitors"),
    "owner": ("负责人", "区域经理", "经理", "owner", "manager"),
    "notes": ("备注", "说明", "notes", "note", "remark", "remarks"),
}
OVERRIDES = ("industry", "product", "avg_deal_size", "win_rate", "sales_cycle_days", "budget_total",
             "collection_target", "new_customers", "repurchase_rate")
_OVERRIDE_ALIASES = {**{FIELD_LABELS[f]: f for f in OVERRIDES}, **{f: f for f in OVERRIDES}, "客单价": "avg_deal_size",
                     "预算": "budget_total", "费用预算": "budget_total", "销售周期": "sales_cycle_days",
                     "新客户": "new_customers", "新客户数": "new_customers", "回款目标": "collection_target",
                     "复购率": "repurchase_rate", "产品": "product"}
_TOTAL_ROW = re.compile(r"^(合计|总计|小计|汇总|总和|全部|total|sum)\b", re.I)
_AMOUNT_OVERRIDES = ("avg_deal_size", "budget_total", "collection_target")


class BatchInputError(ValueError):
    """Input that stops the whole batch (nothing can be planned); `problems` are Chinese lines."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


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


# ---------------------------------------------------------------- reading the sheet

_T2S = str.maketrans("區標銷額數競爭對負責備註權場潛員經單價贏週預產業戶務潤", "区标销额数竞争对负责备注权场潜员经单价赢周预产业户务润")


def _norm(text: Any) -> str:
    """Header text for matching: NFKC (full-width -> ASCII), no spaces, lower case, traditional -> simplified."""
    if text is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower().translate(_T2S)


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "UTF-8"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    encoding = best.encoding if best else "gb18030"
    if encoding.replace("_", "").lower() in ("gbk", "gb2312", "gb18030", "hz"):
        encoding = "gb18030"  # superset of what Excel writes as "GBK"
    try:
        return data.decode(encoding), encoding.upper()
    except (UnicodeDecodeError, LookupError):
        try:
            return data.decode("gb18030"), "GB18030"
        except UnicodeDecodeError:
            raise BatchInputError(["文件编码无法识别，请在 Excel 中另存为「CSV UTF-8」或 .xlsx"]) from None


def _read_csv(path: Path) -> tuple[list[list[Any]], str]:
    import pandas as pd

    data = path.read_bytes()
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise BatchInputError([f"区域文件「{path.name}」是空的"])
    text, encoding = _decode(data)
    sample = text[:8192]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",\t;|，").delimiter
    except csv.Error:
        sniffed = ","
    first = [ln for ln in sample.splitlines() if ln.strip()][:1] or [""]
    names = {",": "逗号", "\t": "制表符", ";": "分号", "|": "竖线", "，": "中文逗号"}
    for delim in dict.fromkeys([sniffed, ",", "\t", ";", "|", "，"]):
        if delim != sniffed and delim not in first[0]:
            continue
        try:
            frame = pd.read_csv(io.StringIO(text), sep=delim, header=None, dtype=str, keep_default_na=False,
                                skip_blank_lines=False, engine="python")
        except pd.errors.ParserError as exc:
            m = re.search(r"line (\d+)", str(exc))
            where = f"第{m.group(1)}行" if m else "某一行"
            raise BatchInputError([f"{where}的列数比表头多：可能分隔符不对，或单元格里有未加引号的逗号"]) from None
        except pd.errors.EmptyDataError:
            raise BatchInputError([f"区域文件「{path.name}」是空的"]) from None
        rows = frame.values.tolist()
        if _header_index(rows) is not None:
            return rows, f"编码 {encoding}，分隔符 {names.get(delim, delim)}"
    raise BatchInputError([f"找不到「区域」列（表头：{first[0][:80]}）。请确认第一行是表头，"
                           "列名如：区域、目标、市场潜力、去年销售额、人数；分隔符为逗号、制表符或分号"])


def _read_xlsx(path: Path) -> tuple[list[list[Any]], str]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or non-Excel file
        raise BatchInputError([f"无法打开 Excel 文件「{path.name}」：{type(exc).__name__}。请确认是 .xlsx 格式"]) from None
    for sheet in book.worksheets:
        grid = [list(r) for r in sheet.iter_rows(values_only=True)]
        for rng in sheet.merged_cells.ranges:  # a merged cell's value fills the whole range
            value = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(grid) else None
            for r in range(rng.min_row - 1, min(rng.max_row, len(grid))):
                for c in range(rng.min_col - 1, rng.max_col):
                    if c < len(grid[r]):
                        grid[r][c] = value
        if _header_index(grid) is not None:
            note = f"工作表「{sheet.title}」" + ("（含合并单元格）" if sheet.merged_cells.ranges else "")
            return grid, note
    raise BatchInputError([f"Excel 文件「{path.name}」里没有找到含「区域」列的工作表"])


def _split_header(cell: Any) -> tuple[str, str | None]:
    """'目标（万元）' -> ('目标', '万元')."""
    text = _norm(cell)
    m = re.match(r"^(.*?)[(\[]([^)\]]*)[)\]]$", text)
    if m:
        unit = m.group(2).replace("单位:", "").replace("单位", "")
        try:
            return m.group(1), normalise_unit(unit)
        except ValueError:
            return m.group(1), None
    return text, None


def _column_of(name: str) -> str | None:
    for alias, field in _OVERRIDE_ALIASES.items():
        if name == _norm(alias):
            return "override:" + field
    for canon, aliases in COLUMNS.items():
        if name in aliases:
            return canon
    matches = [(len(a), -i, canon) for i, (canon, aliases) in enumerate(COLUMNS.items()) for a in aliases if a in name]
    return max(matches)[2] if matches else None


def _header_index(rows: list[list[Any]]) -> int | None:
    """The row (among the first 10) naming the region column and the most other known columns."""
    best, best_score = None, 0
    for i, row in enumerate(rows[:10]):
        names = {_column_of(_split_header(c)[0]) for c in row if c not in (None, "")}
        if "region" in names and len(names) > best_score:
            best, best_score = i, len(names)
    return best


def _header(rows: list[list[Any]], warnings: list[str]) -> tuple[dict[int, tuple[str, str | None]], int]:
    """Column index -> (canonical name, unit), and the index of the first data row."""
    h = _header_index(rows)
    assert h is not None
    texts = [[("" if c is None else str(c)) for c in row] for row in rows]
    rc = next(j for j, c in enumerate(texts[h]) if _column_of(_split_header(c)[0]) == "region")
    width = len(texts[h])

    def cell(i: int, j: int) -> str:
        return texts[i][j] if j < len(texts[i]) else ""

    def sub_header(i: int) -> bool:  # no region name and no numbers: a heading row, not data
        numbers = any(re.fullmatch(r"[\d.,\-]+", _norm(c)) for c in texts[i] if c)
        return cell(i, rc) in ("", cell(i - 1, rc)) and not numbers

    # two header rows under merged group headings ("销售额（元）" over "去年" / "目标")
    if h > 0 and cell(h - 1, rc) == cell(h, rc):
        upper, lower = h - 1, h
    elif h + 1 < len(rows) and sub_header(h + 1) and any(cell(h + 1, j) not in ("", cell(h, j)) for j in range(width)):
        upper, lower = h, h + 1
    else:
        upper = lower = h
    width = max(len(texts[upper]), len(texts[lower]))
    top = [_join_header(cell(upper, j), cell(lower, j)) if lower != upper else cell(h, j) for j in range(width)]
    start = lower + 1
    columns: dict[int, tuple[str, str | None]] = {}
    seen: dict[str, str] = {}
    ignored = []
    for j, cell in enumerate(top):
        if not cell.strip():
            continue
        name, unit = _split_header(cell)
        canon = _column_of(name)
        if canon is None:
            ignored.append(cell.strip())
        elif canon in seen:
            warnings.append(f"列「{cell.strip()}」与「{seen[canon]}」含义相同，只使用「{seen[canon]}」")
        else:
            seen[canon] = cell.strip()
            columns[j] = (canon, unit)
    if ignored:
        warnings.append("未识别的列（已忽略）：" + "、".join(ignored[:10]))
    if "weight" in seen and "potential" in seen:
        warnings.append("同时有「权重」和「市场潜力」列：某行未填市场潜力时用它的权重")
    return columns, start


def _join_header(top: str, below: str) -> str:
    """'销售额（元）' over '去年' -> '去年(元)'; an unknown sub-heading is appended to its group heading."""
    if not below or below == top:
        return top
    (name_t, unit_t), (name_b, unit_b) = _split_header(top), _split_header(below)
    if not _column_of(name_b):
        return top + below
    return below if unit_b or not unit_t else f"{name_b}({unit_t})"


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def _amount(v: Any, unit: str, header_unit: str | None, what: str) -> float:
    if isinstance(v, str) and re.fullmatch(r"\s*-?[\d,]+(\.\d+)?\s*", v):
        v = float(v.replace(",", ""))
    try:
        value = float(v) if isinstance(v, (int, float)) else amount_of(str(v), unit)
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
    columns, start = _header(rows, warnings)
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
    if not p.is_file():
        raise BatchInputError([f"找不到区域文件：{p}"])
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows, note = _read_xlsx(p)
    elif suffix in (".csv", ".txt", ".tsv"):
        rows, note = _read_csv(p)
    elif suffix == ".xls":
        raise BatchInputError(["暂不支持旧版 .xls，请在 Excel 中另存为 .xlsx 或 CSV"])
    else:
        raise BatchInputError([f"不支持的区域文件类型「{p.suffix}」，请用 .csv 或 .xlsx"])
    warnings: list[str] = []
    regions, totals = parse_rows(rows, unit, warnings)
    return regions, totals, warnings, note


# ---------------------------------------------------------------- company YAML and allocation

def load_company(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise BatchInputError([f"找不到公司配置文件：{p}"])
    raw = p.read_bytes()
    text = raw.decode("utf-8-sig", errors="strict") if _is_utf8(raw) else raw.decode("gb18030", errors="replace")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BatchInputError([f"公司配置文件「{p.name}」不是合法的 YAML：{exc}"]) from None
    if not isinstance(data, dict):
        raise BatchInputError([f"公司配置文件「{p.name}」应为键值对（如 company: …、period: …）"])
    return data


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


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
        for r, v in zip(rows, values):
            if v is None:
                notes.setdefault(r.line, []).append(f"缺少{COMPONENT_LABELS[comp]}，分配时按平均值计")
        filled = [mean if v is None else v for v in values]
        total = sum(filled)
        parts.append([v / total for v in filled])
        used.append(w)
    if not parts:
        return [1.0] * len(rows)
    return [sum(w * p[i] for w, p in zip(used, parts)) / sum(used) for i in range(len(rows))]


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
        cli_total = None if total is None else amount_of(total, unit)
    except ValueError:
        raise BatchInputError([f"公司总目标「{total}」不是可识别的金额（可写 10000、1亿）"]) from None
    try:
        probe = build_request({**shared, "region": "（校验）", "revenue_target": 1e9}, "公司配置")

        def amount(v: Any) -> float | None:
            return None if v is None else amount_of(v, unit)

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
                     warnings: list[str], notes: dict[int, list[str]]) -> tuple[dict[int, float], float]:
    """Targets of the good rows (stated, or shared out of what the stated ones leave) and the company total."""
    good = [r for r in rows if not r.error]
    stated = sum(r.target for r in good if r.target is not None)
    to_split = [r for r in good if r.target is None]
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
    allocated = dict(zip((r.line for r in to_split), shared_out))
    return {r.line: (r.target if r.target is not None else allocated[r.line]) for r in good}, total


def prepare(regions_path: str | Path, company_path: str | Path, total: float | str | None = None,
            weights: str | dict | None = None) -> Prepared:
    """Read both files, allocate targets, and build each region's PlanRequest (or the reason it cannot be built)."""
    co = _company(company_path, total, weights)
    rows, sheet_totals, sheet_warnings, note = read_regions(regions_path, co.unit)
    warnings = co.warnings + sheet_warnings
    _mark_duplicates(rows)
    notes: dict[int, list[str]] = {}
    targets, company_total = allocate_targets(rows, co.total, co.weights, co.unit, warnings, notes)
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
    splits = _company_splits(targets, co)
    grand = sum(targets.values())
    plans: list[RegionPlan] = []
    for r in rows:
        target = targets.get(r.line, r.target)
        plan = RegionPlan(line=r.line, region=r.region, owner=r.owner, target=target,
                          explicit=r.target is not None, last_year=r.last_year, headcount=r.headcount,
                          error=r.error, flags=notes.get(r.line, []))
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
                    weights=co.weights, regions=plans, warnings=warnings, source_note=note)


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
