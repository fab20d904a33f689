"""Reading a regions sheet (CSV or XLSX) into rows of cells, and naming its columns.

CSV: encoding UTF-8 (BOM or not), else detected by charset-normalizer (Excel in China saves GBK); the delimiter is
sniffed (comma, tab, semicolon, |, full-width comma) and, if the header then has no region column, the other
delimiters are tried. XLSX: the first sheet with a region column; merged cells are filled with their value. Headers
may be Chinese or English (traditional characters too); a two-row header ("销售额（元）" merged over "去年"/"目标") is
joined and a unit in brackets ("目标（元）") is returned with its column. pandas and openpyxl are imported inside the
readers, so importing this module stays cheap.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path
from typing import Any

from ..quantities import normalise_unit
from ..request import FIELD_LABELS

MAX_ROWS = 20_000  # regions read from one sheet
MAX_XLSX_XML = 12 * 1048576  # expanded XML of one .xlsx (20,000 rows of ten columns fit; ~35 s of openpyxl)
MAX_XLSX_EXPANDED = 64 * 1048576

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
class BatchInputError(ValueError):
    """Input that stops the whole batch (nothing can be planned); `problems` are Chinese lines."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))



def read_sheet(path: Path) -> tuple[list[list[Any]], str]:
    """The rows of a .csv/.txt/.tsv or .xlsx/.xlsm file, and a note on how it was read (encoding, sheet)."""
    if not path.is_file():
        raise BatchInputError([f"找不到区域文件：{path}"])
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path)
    if suffix == ".xls":
        raise BatchInputError(["暂不支持旧版 .xls，请在 Excel 中另存为 .xlsx 或 CSV"])
    raise BatchInputError([f"不支持的区域文件类型「{path.suffix}」，请用 .csv 或 .xlsx"])


_T2S = str.maketrans("區標銷額數競爭對負責備註權場潛員經單價贏週預產業戶務潤", "区标销额数竞争对负责备注权场潜员经单价赢周预产业户务润")


def _norm(text: Any) -> str:
    """Header text for matching: NFKC (full-width -> ASCII), no spaces, lower case, traditional -> simplified."""
    if text is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower().translate(_T2S)


def decode_text(data: bytes) -> tuple[str, str]:
    """Bytes of a text file Excel or a person wrote -> (text, encoding name). Raises BatchInputError."""
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
            raise BatchInputError(["文件编码无法识别，请另存为 UTF-8（Excel 里选「CSV UTF-8」或 .xlsx）"]) from None


def _read_csv(path: Path) -> tuple[list[list[Any]], str]:
    import pandas as pd

    data = path.read_bytes()
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise BatchInputError([f"区域文件「{path.name}」是空的"])
    text, encoding = decode_text(data)
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

    from ..files import ArchiveTooLarge, check_archive

    try:  # openpyxl reads ~0.3 MB of sheet XML a second: bound the work before it starts
        check_archive(path, max_total=MAX_XLSX_EXPANDED, max_xml=MAX_XLSX_XML)
    except ArchiveTooLarge as exc:
        raise BatchInputError([f"Excel 文件「{path.name}」：{exc}。区域文件最多 {MAX_ROWS:,} 行，请只保留区域表"]) from None
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


def header_columns(rows: list[list[Any]], warnings: list[str]) -> tuple[dict[int, tuple[str, str | None]], int]:
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
    (_, unit_t), (name_b, unit_b) = _split_header(top), _split_header(below)
    if not _column_of(name_b):
        return top + below
    return below if unit_b or not unit_t else f"{name_b}({unit_t})"
