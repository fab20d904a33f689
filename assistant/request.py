"""The plan request: what a sales manager gives (YAML/JSON file, form or free text), validated.

Errors name the field in Chinese; `RequestError` carries them all so a user fixes everything in one go.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .quantities import UNIT_YUAN, format_amount, format_rate, normalise_unit, parse_amount, parse_period, parse_rate

FIELD_LABELS: dict[str, str] = {
    "company": "公司名称", "industry": "行业", "product": "产品/服务", "region": "区域", "period": "计划周期",
    "currency_unit": "金额单位", "revenue_target": "销售额目标", "baseline_revenue": "上期/去年销售额",
    "collection_target": "回款目标", "new_customers": "新客户数目标", "repurchase_rate": "老客户复购率",
    "avg_deal_size": "平均客单价", "win_rate": "赢单率", "stage_conversion": "阶段转化率",
    "sales_cycle_days": "销售周期（天）", "team": "团队", "budget_total": "预算总额", "budget_split": "预算分配",
    "channels": "渠道", "competitors": "竞争对手", "seasonality": "季节性", "notes": "备注",
    "start": "开始日期", "end": "结束日期", "name": "名称", "rate": "比例", "role": "岗位", "count": "人数",
    "ramp_months": "新人爬坡月数", "new_hires": "新招人数", "hire_month": "入职月份", "item": "预算科目",
    "share": "占比", "quota_bearing": "背指标", "productivity": "人均产能", "volume_target": "销量/签约数目标",
    "new_customer_kind": "新客户类型", "stand_ins": "暂用信息", "value": "数值", "unit": "单位", "per": "每",
    "playbook": "行业手册",
}
# Only the target is indispensable: a missing company, region or period gets a neutral stand-in, said at the top of
# the plan and asked first among its open questions.
REQUIRED_FIELDS = ("revenue_target",)
STAND_IN_FIELDS = ("company", "region", "period")


def stand_in(field: str, today: date | None = None) -> str:
    """The neutral stand-in for a missing company / region / period (the next full calendar year)."""
    today = today or date.today()
    return {"company": "本公司", "region": "目标区域", "period": f"{today.year + 1}年"}[field]


STAND_IN_NOTES = {"company": "公司名称未提供，方案中暂称「本公司」",
                  "region": "区域未提供，方案中暂称「目标区域」",
                  "period": "计划周期未提供，暂按下一个完整年度起草"}

# ---------------------------------------------------------------- one set of bounds for every entry point
# (request file, --text, chat, UI form): values outside them are refused with the field's name, never clipped.
AMOUNT_FIELDS = ("revenue_target", "baseline_revenue", "collection_target", "avg_deal_size", "budget_total")
RATE_BOUNDS: dict[str, float] = {"win_rate": 0.001, "repurchase_rate": 0.0, "rate": 0.0, "share": 0.0}
COUNT_BOUNDS: dict[str, tuple[int, int]] = {"sales_cycle_days": (1, 1500), "new_customers": (0, 10_000_000),
                                            "count": (0, 10_000), "new_hires": (0, 10_000)}
MAX_YUAN = 1e13  # 10万亿元: larger than any company's sales; 38-digit targets are typing accidents
MIN_TARGET_YUAN = 100.0  # a revenue target under 100元 is a unit mistake (and leaves nothing to divide)


def _shown(field: str, value: float, unit: str) -> str:
    if field in AMOUNT_FIELDS:
        short = unit.removesuffix("元") or "元"
        return format_amount(value, short) if 0.01 <= abs(value) < 1e9 else f"{value:g}{short}"
    if field in RATE_BOUNDS:
        return format_rate(value)
    return f"{value:g}"


def check_field(field: str, value: Any, unit: str = "万元") -> Any:
    """The value when it is inside the field's bounds, else ValueError with a Chinese reason (without the field's
    name: callers put it in front). Amounts are in `unit`, rates are fractions."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if not math.isfinite(value):
        raise ValueError(f"必须是有限的数字，收到「{value}」")
    if field in AMOUNT_FIELDS:
        yuan = value * UNIT_YUAN[normalise_unit(unit)]
        if field in ("revenue_target", "avg_deal_size") and value <= 0:
            raise ValueError(f"必须大于0，收到 {_shown(field, value, unit)}")
        if value < 0:
            raise ValueError(f"不能为负数，收到 {_shown(field, value, unit)}")
        if field == "revenue_target" and yuan < MIN_TARGET_YUAN:
            raise ValueError(f"不足100元（收到 {_shown(field, value, unit)}），请检查金额单位")
        if yuan > MAX_YUAN:
            raise ValueError(f"超过10万亿元（收到 {_shown(field, value, unit)}），请检查金额单位")
    elif field in RATE_BOUNDS:
        low = RATE_BOUNDS[field]
        if not (low < value <= 1 if low == 0 else low <= value <= 1):
            shown = format_rate(value) if abs(value) >= 0.001 else f"{value * 100:g}%"
            if low == 0:
                raise ValueError(f"必须大于0且不超过100%，收到 {shown}")
            raise ValueError(f"必须在{format_rate(low)}到100%之间，收到 {shown}")
    elif field in COUNT_BOUNDS:
        low, high = COUNT_BOUNDS[field]
        if not low <= value <= high:
            raise ValueError(f"必须在{low}到{high:,}之间，收到 {value:g}")
    return value


def bound_problem(field: str, value: Any, unit: str = "万元") -> str | None:
    """check_field as a message naming the field, or None when the value is fine."""
    try:
        check_field(field, value, unit)
    except ValueError as exc:
        return f"{FIELD_LABELS.get(field, field)}{exc}"
    return None


class RequestError(ValueError):
    """A request that cannot be used; `problems` are Chinese, one per field."""

    def __init__(self, problems: list[str], source: str | None = None):
        self.problems = problems
        self.source = source
        head = f"请求文件「{source}」有问题：" if source else "计划请求有问题："
        super().__init__(head + "\n" + "\n".join(f"- {p}" for p in problems))


def _unit_of(info) -> str:
    return (info.data or {}).get("currency_unit", "万元")


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: date
    end: date
    label: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, (str, int)):
            start, end, label = parse_period(str(value))
            return {"start": start, "end": end, "label": label}
        return value

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"结束日期（{self.end}）早于开始日期（{self.start}）")
        if (self.end - self.start).days > 3 * 366:
            raise ValueError("计划周期超过3年，请拆成多个计划")
        if not self.label:
            self.label = f"{self.start:%Y年%m月%d日}至{self.end:%Y年%m月%d日}"
        return self


def _in_unit_interval(v: float) -> float:
    return check_field("rate", v)


# a rate as people write it ("65%", "0.65", 65, "三成"), stored as a fraction in (0, 1]
Rate = Annotated[float, BeforeValidator(parse_rate), AfterValidator(_in_unit_interval)]
WinRate = Annotated[float, BeforeValidator(parse_rate), AfterValidator(lambda v: check_field("win_rate", v))]


class StageRate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    rate: Rate


def _finite_number(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"必须是有限的数字，收到「{v}」")
    if isinstance(v, str) and v.strip().lower().lstrip("+-.") in ("inf", "infinity", "nan"):
        raise ValueError(f"必须是有限的数字，收到「{v}」")
    return v


Count = Annotated[int, BeforeValidator(_finite_number)]


class TeamRole(BaseModel):
    """One role of the team. `quota_bearing`: whether its people carry a sales quota (售前 and 客户成功 do not)."""

    model_config = ConfigDict(extra="forbid")
    role: str = Field(default="销售代表", min_length=1)
    count: Count = Field(ge=0, le=10_000)
    new_hires: Count = Field(default=0, ge=0, le=10_000)
    ramp_months: int = Field(default=3, ge=0, le=24)
    hire_month: int | None = Field(default=None, ge=1, le=12)
    quota_bearing: bool = True
    names: list[str] = Field(default_factory=list)


PRODUCTIVITY_PERIODS = {"周": 12 / 52, "月": 1.0, "季度": 3.0, "年": 12.0}


class Productivity(BaseModel):
    """What one rep closes per period, in the user's unit: "每人每月能签4家" -> {value: 4, unit: 家, per: 月}."""

    model_config = ConfigDict(extra="forbid")
    value: float = Field(gt=0, le=10_000)
    unit: str = Field(default="单", min_length=1, max_length=10)
    per: str = "月"

    @field_validator("value", mode="before")
    @classmethod
    def _finite(cls, v: Any) -> Any:
        return _finite_number(v)

    @field_validator("per")
    @classmethod
    def _period(cls, v: str) -> str:
        if v not in PRODUCTIVITY_PERIODS:
            raise ValueError(f"应为 周、月、季度 或 年，收到「{v}」")
        return v

    @property
    def per_month(self) -> float:
        return self.value / PRODUCTIVITY_PERIODS[self.per]


class VolumeTarget(BaseModel):
    """A target in units rather than money: "明年卖1500台" -> {count: 1500, unit: 台}."""

    model_config = ConfigDict(extra="forbid")
    count: Count = Field(gt=0, le=1_000_000_000)
    unit: str = Field(default="单", min_length=1, max_length=10)


class BudgetShare(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item: str = Field(min_length=1)
    share: Rate


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        import re

        return [p.strip() for p in re.split(r"[、,，;；/\n]+", v) if p.strip()]
    return [str(x).strip() for x in v if str(x).strip()]


class PlanRequest(BaseModel):
    """Everything the plan is drafted from. Amounts are in `currency_unit`; rates are fractions."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    company: str = Field(min_length=1, max_length=200)
    industry: str | None = None
    product: str | None = None
    region: str = Field(min_length=1, max_length=200)
    period: Period
    stand_ins: list[str] = Field(default_factory=list)  # company / region / period filled with a neutral stand-in
    currency_unit: str = "万元"
    revenue_target: float
    baseline_revenue: float | None = None
    collection_target: float | None = None
    new_customers: Count | None = Field(default=None, ge=0, le=10_000_000)
    new_customer_kind: str | None = Field(default=None, max_length=20)  # 经销商, 门店, 医院 … (plain 客户 when None)
    volume_target: VolumeTarget | None = None
    productivity: Productivity | None = None
    repurchase_rate: Rate | None = None
    avg_deal_size: float | None = None
    win_rate: WinRate | None = None
    stage_conversion: list[StageRate] = Field(default_factory=list)
    sales_cycle_days: Count | None = Field(default=None, gt=0, le=1500)
    team: list[TeamRole] = Field(default_factory=list)
    budget_total: float | None = None
    budget_split: list[BudgetShare] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)
    competitors: list[str] = Field(default_factory=list)
    seasonality: list[float] | str | None = None
    notes: str | None = None
    # industry playbook id (knowledge/playbooks); empty = chosen from the request's words
    playbook: str | None = None

    @field_validator("currency_unit", mode="before")
    @classmethod
    def _unit(cls, v: Any) -> str:
        return normalise_unit(str(v))

    @model_validator(mode="before")
    @classmethod
    def _stand_ins(cls, data: Any) -> Any:
        """A missing company, region or period never blocks a draft: a neutral stand-in, remembered in stand_ins."""
        if not isinstance(data, dict):
            return data
        missing = [f for f in STAND_IN_FIELDS if data.get(f) is None or data.get(f) == ""]
        if not missing:
            return data
        data = dict(data)
        for f in missing:
            data[f] = stand_in(f)
        data["stand_ins"] = list(dict.fromkeys([*(data.get("stand_ins") or []), *missing]))
        return data

    @field_validator("revenue_target", "baseline_revenue", "collection_target", "avg_deal_size", "budget_total",
                     mode="before")
    @classmethod
    def _amount(cls, v: Any, info) -> Any:
        return None if v is None or v == "" else parse_amount(v, _unit_of(info))

    @field_validator("revenue_target", "baseline_revenue", "collection_target", "avg_deal_size", "budget_total")
    @classmethod
    def _amount_bounds(cls, v: float | None, info) -> float | None:
        return check_field(info.field_name, v, _unit_of(info))

    @field_validator("win_rate", "repurchase_rate", mode="before")
    @classmethod
    def _blank_rate(cls, v: Any) -> Any:
        return None if v == "" else v

    @field_validator("playbook", mode="before")
    @classmethod
    def _playbook(cls, v: Any) -> Any:
        if v is None or str(v).strip() == "":
            return None
        from .planning.playbooks import load_playbooks

        books = load_playbooks()
        key = str(v).strip()
        by_name = {pb.name: pid for pid, pb in books.items()}
        if key in books:
            return key
        if key in by_name:
            return by_name[key]
        raise ValueError(f"不认识的行业手册「{key}」，可用：" + "、".join(f"{pid}（{pb.name}）" for pid, pb in books.items()))

    @field_validator("channels", "competitors", mode="before")
    @classmethod
    def _list(cls, v: Any) -> list[str]:
        return _as_list(v)

    @field_validator("stage_conversion", mode="before")
    @classmethod
    def _stages(cls, v: Any) -> Any:
        if isinstance(v, dict):  # {"线索→商机": "30%", ...}
            return [{"name": k, "rate": r} for k, r in v.items()]
        return v or []

    @field_validator("budget_split", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return [{"item": k, "share": s} for k, s in v.items()]
        return v or []

    @field_validator("team", mode="before")
    @classmethod
    def _team(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            return [{"role": "销售代表", "count": v}]
        if isinstance(v, dict):
            return [{"role": k, "count": c} if not isinstance(c, dict) else {"role": k, **c} for k, c in v.items()]
        return v or []

    @field_validator("seasonality", mode="before")
    @classmethod
    def _season(cls, v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            if len(v) != 12:
                raise ValueError(f"月度权重需要12个数（1月到12月），收到 {len(v)} 个")
            weights = [float(x) for x in v]
            if any(w < 0 for w in weights) or sum(weights) <= 0:
                raise ValueError("月度权重不能为负，且合计必须大于0")
            return weights
        return v

    @model_validator(mode="after")
    def _consistency(self) -> PlanRequest:
        if self.budget_split:
            total = sum(s.share for s in self.budget_split)
            if abs(total - 1) > 0.005:
                raise ValueError(f"budget_split: 预算分配各项占比合计应为100%，现在是 {total:.1%}")
        if self.budget_total is not None and self.budget_total > self.revenue_target:
            raise ValueError("budget_total: 预算总额大于销售额目标，请检查金额单位")
        if self.collection_target is not None and self.collection_target > self.revenue_target * 1.5:
            raise ValueError("collection_target: 回款目标远大于销售额目标，请检查金额单位")
        if self.avg_deal_size is not None and self.avg_deal_size > self.revenue_target:
            raise ValueError("avg_deal_size: 平均客单价大于销售额目标，请检查金额单位")
        if self.team and sum(r.count for r in self.team) == 0:
            raise ValueError("team: 团队总人数为0，至少需要1名销售")
        for r in self.team:
            if r.new_hires > r.count:
                raise ValueError(f"team: 岗位「{r.role}」新招人数（{r.new_hires}）大于总人数（{r.count}）")
        return self

    @property
    def headcount(self) -> int:
        return sum(r.count for r in self.team if r.quota_bearing)


def _field_path(loc: tuple) -> str:
    names = [str(p) for p in loc if not str(p).startswith(("function-", "constrained"))]
    if not names:
        return ""
    label = FIELD_LABELS.get(names[-1] if not names[-1].isdigit() else names[0], "")
    path = ".".join(names)
    return f"{path}（{label}）" if label else path


_TYPE_MESSAGES = {
    "missing": "缺少必填字段", "extra_forbidden": "未知字段（请检查拼写）", "int_parsing": "应为整数",
    "int_from_float": "应为整数", "float_parsing": "应为数字", "string_type": "应为文字", "list_type": "应为列表",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD", "date_parsing": "日期格式应为 YYYY-MM-DD",
    "greater_than_equal": "数值太小", "greater_than": "数值太小", "less_than_equal": "数值太大",
    "string_too_short": "不能为空", "string_too_long": "太长", "model_type": "格式不对", "dict_type": "格式不对",
}


def friendly_errors(exc: ValidationError) -> list[str]:
    """Pydantic errors -> Chinese lines that name the field."""
    lines = []
    for err in exc.errors():
        path = _field_path(err["loc"])
        kind = err["type"]
        if kind == "value_error":
            msg = str(err.get("ctx", {}).get("error") or err["msg"]).removeprefix("Value error, ")
            if not path and ":" in msg.split(" ")[0]:
                field, msg = msg.split(":", 1)
                path = _field_path((field,))
        else:
            msg = _TYPE_MESSAGES.get(kind, err["msg"])
            if kind in ("greater_than_equal", "greater_than", "less_than_equal") and "ctx" in err:
                bound = next(iter(err["ctx"].values()))
                msg = f"{msg}（界限 {bound}，收到 {err.get('input')}）"
        lines.append(f"字段 {path}：{msg.strip()}" if path else msg.strip())
    return lines


def build_request(data: Any, source: str | None = None) -> PlanRequest:
    if not isinstance(data, dict):
        raise RequestError(["请求内容应为键值对（YAML 映射或 JSON 对象）"], source)
    try:
        return PlanRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestError(friendly_errors(exc), source) from None


def load_request(path: str | Path) -> PlanRequest:
    """Read a YAML or JSON request file."""
    p = Path(path)
    if not p.is_file():
        raise RequestError([f"找不到请求文件：{p}"], str(p))
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = p.read_text(encoding="gb18030")
        except UnicodeDecodeError:
            raise RequestError(["文件编码无法识别，请另存为 UTF-8"], str(p)) from None
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise RequestError([f"文件不是合法的 {'JSON' if p.suffix.lower() == '.json' else 'YAML'}：{exc}"],
                           str(p)) from None
    if data is None:
        raise RequestError(["文件是空的"], str(p))
    return build_request(data, str(p))
