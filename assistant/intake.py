"""Rule-based free-text intake: what a sales manager types in a chat -> request-file fields.

    extract_fields("我们是做工业润滑油的，明年江苏要做到1200万，6个销售，预算150万")
    -> fields {product: 工业润滑油, period: 2027年全年, region: 江苏, revenue_target: 1200, team: [6 reps],
               budget_total: 150}, missing [company], notes [...]

The text is cut into clauses; each clause is read by a fixed sequence of passes (company, lists, period, rates,
day counts, head counts, amounts, region, product/industry). A pass masks what it consumed, so one number is never
read twice. Later statements win over earlier ones and a Chinese note says so; a message merges onto `previous`
(a chat accumulates). Nothing is invented: a value is only set when the user said it; derived values (target from
"增长20%") carry a note. Only the stdlib, pydantic and parsing/request are imported: the UI and the LLM extractor
(which returns the same IntakeResult) import this module cheaply.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from .parsing import UNIT_YUAN, cn_to_number, format_rate, normalise_unit, parse_amount, parse_period, parse_rate
from .request import FIELD_LABELS, REQUIRED_FIELDS

MAX_CHARS = 20_000  # a chat message longer than this is cut (1 MB of text is still answered in milliseconds)
MASK = "\x00"
KEY_REACH = 40  # an amount's key ("目标", "预算") is looked for this many characters around it


class IntakeResult(BaseModel):
    """Fields in request-file form (amounts in the request's unit, rates as fractions, period as its label)."""

    fields: dict[str, Any] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


# ---------------------------------------------------------------- vocabulary (data, not logic)

_PLACES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 "
    "云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 "
    "华东 华南 华北 华中 华西 西南 西北 东北 全国 长三角 珠三角 京津冀 大湾区 粤港澳 川渝 成渝 苏南 苏北 苏中 浙南 浙北 "
    "闽南 胶东 海外 东南亚 "
    "深圳 广州 杭州 南京 苏州 无锡 常州 南通 宁波 温州 成都 武汉 西安 郑州 长沙 青岛 济南 烟台 厦门 福州 合肥 沈阳 大连 "
    "哈尔滨 长春 石家庄 太原 南昌 昆明 贵阳 南宁 东莞 佛山 珠海 惠州 兰州 乌鲁木齐 呼和浩特 银川 西宁 拉萨 海口 徐州 "
    "嘉兴 绍兴 金华 台州 泉州 洛阳 唐山 保定"
).split()
_PLACE_RE = re.compile("|".join(sorted(_PLACES, key=len, reverse=True)))
_NAMED_AREA_RE = re.compile(r"([\u4e00-\u9fa5]{2,4}?)(?:大区|片区|区域)")
_AREA_STOP = {"这个", "各个", "我们", "整个", "所有", "哪个", "重点", "目标", "销售", "负责", "其他", "每个", "新"}

# amount keys, most specific first; the nearest key before an amount (else after it) names the field
_AMOUNT_KEYS: list[tuple[str, str]] = [
    ("collection_target", "回款目标|收款目标|回款额|回款|收款"),
    ("avg_deal_size", "平均客单价|客单价|平均单价|单笔金额|平均合同额|合同均价|平均订单金额|平均每单|每单|单均"),
    ("budget_total", "费用预算|销售费用|市场费用|营销费用|预算总额|预算|费用"),
    ("baseline_revenue", "去年同期|去年全年|去年|上年度|上一年|上年|前年|往年|基数"),
    ("revenue_target", "销售额目标|销售目标|业绩目标|营收目标|收入目标|目标|销售额|销售任务|任务|指标|营收|业绩|做到|达到|"
                       "冲到|完成|实现|冲刺"),
]
_AMOUNT_KEY_RE = re.compile("|".join(f"(?P<{f}>{k})" for f, k in _AMOUNT_KEYS))
_RATE_KEYS: list[tuple[str, str]] = [
    ("win_rate", "赢单率|成交率|胜率|签单率|成单率|商机转化率|成交转化率"),
    ("repurchase_rate", "复购率|续约率|续费率|回头率|老客户复购"),
    ("_collection_rate", "回款率"),
    ("_expense_ratio", "费用率|费用占比|预算|费用"),
    ("_growth", "增长率|增长|增速|增幅|提升|提高|同比"),
]
_RATE_KEY_RE = re.compile("|".join(f"(?P<{f}>{k})" for f, k in _RATE_KEYS))
_PAST = re.compile(r"去年|上年|上一年|前年|往年|历史|做了|完成了|实现了|卖了|达成了|累计")
_CORRECTION = re.compile(r"不对|改为|改成|调整为|调整到|调到|更正|应该是|而是|修改为|改到|其实是")
_BREAKDOWN = re.compile(r"其中")

_CN_NUM = "零〇一二两三四五六七八九十百千万亿点"
_INT = r"(?<![\d一二两三四五六七八九十百])(\d++|[一二两三四五六七八九十百]++)"  # possessive: linear on long runs
_AMOUNT_RE = re.compile(
    r"[¥￥]?(?<![\d.])(?:(?P<lo>\d+(?:\.\d+)?)\s*(?:-|~|到|至)\s*)?(?P<num>\d+(?:\.\d+)?)(?P<more>多)?\s*"
    r"(?P<unit>亿元|亿|千万元|千万|百万元|百万|万元|万|千元|元|块|[wWkK](?![a-zA-Z]))?"
    rf"|(?<![{_CN_NUM}])(?P<cn>[{_CN_NUM}]++(?<=[万亿])元?|[{_CN_NUM}]++元)"
)
_RATE_RE = re.compile(r"(?<![\d.])(\d++(?:\.\d+)?)\s*%|百分之([\d.零一二两三四五六七八九十点]+)"
                      r"|([一二两三四五六七八九\d](?:\.\d)?)成(半)?(?![交本功为])")
_STAGE_RE = re.compile(r"([\u4e00-\u9fa5]{2,6}?)(?:到|→|->|转)([\u4e00-\u9fa5]{2,6}?)的?转化率")
_CYCLE_RE = re.compile(rf"(?:销售|成交|签约|签单)?周期[^\d{_CN_NUM}{MASK}]{{0,4}}{_INT}\s*(天|日|个月|月|周|星期)"
                       rf"|{_INT}\s*(天|日|个月|周)(?:左右)?的?(?:销售|成交|签约)周期")
_ROLES = "销售代表|销售人员|大客户经理|客户经理|渠道经理|销售经理|业务员|销售|BD|bd|地推"
_TEAM_RES = [
    re.compile(rf"{_INT}\s*(?:个|名|位)?\s*({_ROLES})(?![额量费目收周渠政策任])"),
    re.compile(rf"(?:销售团队|销售人员|团队|销售|业务员)(?:共|有|是|一共|现有|目前|总共)*\s*{_INT}\s*(?:个人|人|名|位)"),
    re.compile(rf"{_INT}\s*(?:个人|人)的?(?:销售)?团队"),
]
_HIRE_RES = [re.compile(rf"(?:新招|招聘|计划招|还要招|再招|扩招|招)\s*{_INT}\s*(?:个|名|位)?(?:人|新人|销售|业务员)?(?![家户])"),
             re.compile(rf"新增\s*{_INT}\s*(?:个|名|位)?(?:人|新人|销售|业务员)"),
             re.compile(rf"{_INT}\s*(?:个|名|位)新人"), re.compile(rf"新人\s*{_INT}\s*(?:个|名|位|人)")]
_NEW_CUSTOMER_RES = [re.compile(rf"(?:新客户|新客|新开发|新增客户|开发新客户|拓展新客户)[^\d{MASK}]{{0,4}}{_INT}\s*(?:家|个|位|户)"),
                     re.compile(rf"(?:新开发|新增|开发|拓展)\s*{_INT}\s*(?:家|个|户)(?:新)?客户")]
_LIST_SPLIT = re.compile(r"以及|[、,/+和与及跟]|加上")
_COMPETITOR_RES = [re.compile(r"(?:竞争对手|竞品|对手|竞争品牌|友商)(?:主要)?(?:有|是|包括|为|:)?\s*(.+)"),
                   re.compile(r"^(.{1,60}?)(?:是|为)(?:我们)?(?:的)?(?:最大的|主要的?)?(?:竞争对手|对手|竞品)")]
_CHANNEL_RES = [re.compile(r"渠道(?:主要)?(?:有|是|包括|为|:|以)\s*(.{1,200})"),
                re.compile(r"(?:主要)?(?:通过|走|靠)(.{1,60}?)(?:渠道|模式)?(?:销售|卖)?$")]
_COMPANY_RES = [
    re.compile(rf"(?:公司(?:名称|名字|全称|名)|公司叫|公司:|我们叫|我司叫|我司名称)(?:是|为|叫|:)?\s*([^\s,;:。{MASK}]{{2,40}})"),
    re.compile(r"^(?:我们是|我们|我司是|我司|这是|本公司是)?([\u4e00-\u9fa5A-Za-z0-9()]{2,30}?(?:有限责任公司|股份有限公司|有限公司|集团|公司))"),
]
_PRODUCT_RES = [
    re.compile(rf"(?:做|卖|生产|代理|经营)的(?:是|主要是)([^\s{MASK}]{{2,20}})"),
    re.compile(rf"(?:是|主要|专门)?(?:做|卖|生产|代理)(?![到了好出成过的])([^\s{MASK}]{{2,20}}?)(?:的|生意|业务)"),
    re.compile(rf"(?:主营|主营产品是|主推|产品是|产品为|产品:|经营)([^\s{MASK}]{{2,20}})"),
]
_INDUSTRY_RES = [re.compile(rf"(?:所属行业|所在行业|行业)(?:是|为|:)\s*([^\s{MASK}]{{2,20}})"),
                 re.compile(rf"(?:属于|在|从事|做)([\u4e00-\u9fa5]{{2,10}}?)行业")]
_SEASON_RE = re.compile(r"旺季|淡季|季节性")
_Q = r"(?:[Qq]([1-4])|第?([一二三四])季度)"
_QUARTERS = rf"(?:[Qq][1-4]|第?[一二三四]季度)\s*(?:-|~|至|到)\s*(?:[Qq][1-4]|第?[一二三四]季度)"
_CONTINUE_RE = re.compile(r"^(?:其次是|其次|还有|以及|另外还有|另外|再就是)(.+)")

AMOUNT_FIELDS = ("revenue_target", "baseline_revenue", "collection_target", "avg_deal_size", "budget_total")
RATE_FIELDS = ("win_rate", "repurchase_rate")
LIST_FIELDS = ("competitors", "channels")

# (fields that answer it, question) in the order they matter; the first k unanswered are asked
QUESTIONS: list[tuple[tuple[str, ...], str]] = [
    (("company",), "请问公司名称是什么？"),
    (("region",), "这份方案覆盖哪个区域或市场（如江苏、华东、全国）？"),
    (("period",), "计划周期是哪段时间（如2027年全年、2027年Q2、2027年上半年）？"),
    (("revenue_target",), "这个周期的销售额目标是多少（如1200万）？"),
    (("team",), "现在有几名销售？计划期内是否新招人、几月到岗？"),
    (("budget_total",), "销售费用预算大约多少？"),
    (("competitors",), "主要竞争对手有哪些（最好3家以上）？"),
    (("avg_deal_size", "win_rate"), "平均客单价和历史赢单率大概是多少？"),
    (("industry", "product"), "主营什么产品或服务，属于哪个行业？"),
    (("baseline_revenue",), "去年（上期）销售额是多少？"),
    (("sales_cycle_days",), "从商机到签约，平均销售周期大约多少天？"),
    (("channels",), "主要通过哪些渠道销售（直销、经销商、线上等）？"),
]


# ---------------------------------------------------------------- small helpers

def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else round(v, 4)


def _int_of(token: str) -> int:
    return int(token) if token.isdigit() else int(cn_to_number(token))


def _short_unit(unit: str) -> str:
    return unit.removesuffix("元") or "元"


def amount_of(value: object, unit: str = "万元") -> float:
    """Like parsing.parse_amount, but Chinese numerals are read as one number ("一千二百万" -> 1200 万元)."""
    if isinstance(value, str):
        text = re.sub(r"[\s,，]", "", value).removesuffix("元").removesuffix("块")
        if text and all(c in _CN_NUM for c in text) and text[-1] in "万亿" and any(c not in "万亿" for c in text):
            return cn_to_number(text) / UNIT_YUAN[normalise_unit(unit)]
    return parse_amount(value, unit)


def show(field: str, value: Any, unit: str = "万元") -> str:
    """A field value as a user would write it (for notes and confirmations)."""
    if field in AMOUNT_FIELDS and isinstance(value, (int, float)):
        return f"{_num(value)}{_short_unit(unit)}"
    if field in RATE_FIELDS and isinstance(value, (int, float)):
        return format_rate(value)
    if field == "team" and isinstance(value, list):
        return "、".join(f"{r.get('role', '销售')}{r.get('count')}人" for r in value if isinstance(r, dict))
    if field == "sales_cycle_days":
        return f"{value}天"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _quarter_months(text: str) -> str:
    """'Q1到Q2' -> '1月至6月' (parse_period reads month ranges); anything else unchanged."""
    qs = [int(a) if a else "一二三四".index(b) + 1 for a, b in re.findall(_Q, text)]
    if len(qs) == 2 and re.fullmatch(_QUARTERS, text):
        return f"{3 * qs[0] - 2}月至{3 * qs[1]}月"
    return text


def _list_items(text: str) -> list[str]:
    items = [re.sub(r"(这几家|这几个|这些|那几家|那些|几家|等等|等|之类|为主|为辅|渠道|模式|品牌|^还有|^也有|^主要是|^是|^有|也$|都$|同样$)", "", p)
             .strip(" :") for p in _LIST_SPLIT.split(text.replace(MASK, ""))]
    return [p for p in items if 1 <= len(p) <= 20 and not re.search(r"\d", p)]


def _label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


class _Reader:
    """Reads one message clause by clause into `values` (later wins, with a note)."""

    def __init__(self, previous: dict[str, Any], today: date):
        self.prev = previous
        self.today = today
        self.unit = previous.get("currency_unit", "万元")
        self.values: dict[str, Any] = {}
        self.additive: set[str] = set()
        self.notes: list[str] = []
        self.extra: dict[str, float] = {}  # growth / collection rate / expense ratio, used after reading
        self.last_amount_field: str | None = None
        self.period_range: tuple[date, date] | None = None
        self.bare_unit_noted = False
        self.negated_field: str | None = None
        self.last_list: str | None = None

    # -- recording
    def put(self, field: str, value: Any, additive: bool = False) -> None:
        old = self.values.get(field)
        if additive and isinstance(value, list):
            merged = list(dict.fromkeys([*(old or []), *value]))
            self.values[field] = merged
            self.additive.add(field)
            return
        if old is not None and old != value:
            self.notes.append(f"后一句的{_label(field)}（{show(field, value, self.unit)}）覆盖了前面的 "
                              f"{show(field, old, self.unit)}")
        self.values[field] = value

    def current(self, field: str) -> Any:
        return self.values.get(field, self.prev.get(field))

    # -- the passes, in order
    def read(self, clause: str) -> None:
        s = clause
        past = bool(_PAST.search(s))
        correction = bool(_CORRECTION.search(s))
        s = self._company(s)
        if self._lists(s):
            return
        more = _CONTINUE_RE.match(s)
        if self.last_list and more and not re.search(r"\d", s):  # "竞争对手是壳牌，其次是美孚和嘉实多"
            items = _list_items(more.group(1))
            if items:
                self.put(self.last_list, items, additive=True)
                return
        self.last_list = None
        s, period_state = self._period(s, past, correction) if not _SEASON_RE.search(s) else (s, "")
        s = self._rates(s)
        s = self._cycle(s)
        s = self._counts(s)
        s = self._amounts(s, past, correction, period_state)
        s = self._region(s)
        self._product(s)
        if _SEASON_RE.search(clause):
            text = clause.strip()
            old = self.values.get("seasonality")
            self.values["seasonality"] = f"{old}；{text}" if isinstance(old, str) and text not in old else text

    @staticmethod
    def _mask(s: str, m: re.Match) -> str:
        return s[:m.start()] + MASK * (m.end() - m.start()) + s[m.end():]

    def _company(self, s: str) -> str:
        for rx in _COMPANY_RES:
            m = rx.search(s)
            if m and not re.match(r"(做|卖|一家|从事|主营|生产|我们|在|这|那|该|本|贵|对方|客户)", m.group(1)) \
                    and m.group(1) not in ("公司", "集团") and not m.group(1).endswith(("分公司", "子公司")):
                self.put("company", m.group(1).strip("()"))
                return self._mask(s, m)
        return s

    def _lists(self, s: str) -> bool:
        for field, patterns in (("competitors", _COMPETITOR_RES), ("channels", _CHANNEL_RES)):
            for i, rx in enumerate(patterns):
                m = rx.search(s)
                if not m:
                    continue
                items = _list_items(m.group(1))
                if items:
                    self.last_list = field
                    reverse = field == "competitors" and i == 1  # "长城是我们最大的竞争对手" adds one
                    additive = reverse or bool(re.search(r"还有|另外|也有|再加上|增加|以及", s[:m.start(1) + 2]))
                    self.put(field, items, additive=additive)
                    return True
        return False

    def _period(self, s: str, past: bool, correction: bool) -> tuple[str, str]:
        """Returns (masked clause, state): 'set', 'inner' (a breakdown inside the plan period) or ''."""
        year = r"(?:今年|明年|后年|来年|本年|下一年|下年|\d{4}\s*年|\d{4}(?=[Qq]))"
        sub = (rf"(?:{_QUARTERS}|全年|年度|整年|上半年|下半年|[Qq][1-4]|第?[一二三四1-4]季度|\d{{1,2}}月份?\s*(?:-|~|至|到)\s*"
               r"(?:\d{4}年)?\d{1,2}月|\d{1,2}月份?)")
        bare = rf"(?:{_QUARTERS}|上半年|下半年|[Qq][1-4]|第[一二三四1-4]季度|[一二三四]季度|\d{{1,2}}月\s*(?:-|~|至|到)\s*\d{{1,2}}月)"
        m = re.search(rf"(?P<y>{year})\s*(?P<sub>{sub})?|(?P<bare>{bare})", s)
        if not m:
            return s, ""
        s2 = self._mask(s, m)
        if m.group("bare"):
            if self.current("period"):
                return s2, "inner"
            text, note = self._upcoming(_quarter_months(m.group("bare")))
        else:
            y = m.group("y").replace(" ", "").replace("下一年", "明年").replace("下年", "明年")
            text, note = y + _quarter_months((m.group("sub") or "").replace("份", "")), None
            if text.endswith("年") and not m.group("sub"):
                text += "全年"
        try:
            start, end, label = parse_period(text.replace("到", "至"), self.today)
        except ValueError:
            return s2, ""
        if end < self.today.replace(day=1) or past and start <= self.today:
            return s2, ""  # history ("2025年做了900万", "今年做了3000万"), not the plan period
        if self.period_range and not correction:
            a, b = self.period_range
            if a <= start and end <= b and (start, end) != (a, b):
                return s2, "inner"
        if m.group("sub") and re.fullmatch(r"\d{1,2}月", m.group("sub").replace("份", "")) and self.current("period"):
            return s2, "inner"  # "2027年3月底前" is a milestone, not the plan period
        if note:
            self.notes.append(note.format(label=label))
        self.period_range = (start, end)
        self.put("period", label)
        return s2, "set"

    def _upcoming(self, bare: str) -> tuple[str, str]:
        """A period said without a year: the next one that has not started yet."""
        for y in (self.today.year, self.today.year + 1):
            try:
                start, _, _ = parse_period(f"{y}年{bare}".replace("到", "至"), self.today)
            except ValueError:
                continue
            if start >= self.today:
                return f"{y}年{bare}", f"「{bare}」没有说年份，按即将到来的{{label}}理解，如不对请说明"
        y = self.today.year + 1
        return f"{y}年{bare}", f"「{bare}」没有说年份，按{{label}}理解，如不对请说明"

    def _rates(self, s: str) -> str:
        for m in list(_STAGE_RE.finditer(s)):
            r = _RATE_RE.search(s, m.end())
            if r and r.start() - m.end() <= 4:
                stages = list(self.values.get("stage_conversion") or [])
                name = f"{m.group(1)}→{m.group(2)}"
                stages = [st for st in stages if st["name"] != name] + [{"name": name, "rate": self._rate(r)}]
                self.values["stage_conversion"] = stages
                s = self._mask(self._mask(s, r), m)
        for r in list(_RATE_RE.finditer(s)):
            keys = list(_RATE_KEY_RE.finditer(s, max(0, r.start() - KEY_REACH), r.start()))
            key = keys[-1] if keys else _RATE_KEY_RE.search(s, r.end(), r.end() + KEY_REACH)
            if not key:
                continue
            value = self._rate(r)
            if key.lastgroup.startswith("_"):
                self.extra[key.lastgroup] = value
            elif 0 < value <= 1:
                self.put(key.lastgroup, round(value, 4))
            s = self._mask(s, r)
        return s

    @staticmethod
    def _rate(m: re.Match) -> float:
        if m.group(1):
            return float(m.group(1)) / 100
        if m.group(2):
            return parse_rate(f"百分之{m.group(2)}")
        return parse_rate(f"{m.group(3)}成") + (0.05 if m.group(4) else 0.0)

    def _cycle(self, s: str) -> str:
        m = _CYCLE_RE.search(s)
        if m:
            n, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            days = _int_of(n) * {"天": 1, "日": 1, "周": 7, "星期": 7, "个月": 30, "月": 30}[unit]
            if 0 < days <= 1500:
                self.put("sales_cycle_days", days)
            s = self._mask(s, m)
        return s

    def _counts(self, s: str) -> str:
        for rx in _NEW_CUSTOMER_RES:
            m = rx.search(s)
            if m:
                self.put("new_customers", _int_of(m.group(1)))
                s = self._mask(s, m)
                break
        hires = None
        for rx in _HIRE_RES:
            m = rx.search(s)
            if m:
                hires, s = _int_of(m.group(1)), self._mask(s, m)
                break
        count, role = None, "销售代表"
        for rx in _TEAM_RES:
            m = rx.search(s)
            if m:
                count = _int_of(m.group(1))
                if (m.lastindex or 0) >= 2 and m.group(2) not in ("销售", "销售人员", "业务员", "BD", "bd"):
                    role = m.group(2)
                s = self._mask(s, m)
                break
        if count is None and not hires:
            return s
        team = self.current("team") or []
        existing = sum(r.get("count", 0) for r in team)
        if count is not None and role != "销售代表" and existing > count and re.search(r"其中|包括|包含|含", s):
            # "团队有15个人，包括3个销售经理": the 3 are part of the 15
            self.values["team"] = [{"role": "销售代表", "count": existing - count}, {"role": role, "count": count}]
            return s
        row = dict(team[0]) if count is None and team else {}
        row.setdefault("role", role)
        if count is not None:
            row["count"] = count
        if hires:
            before = row.get("count", 0)
            if re.search(r"其中|包括|包含|含", s):  # "8个销售，其中2个新人": the 2 are part of the 8
                row["count"] = max(before, hires)
            else:
                row["count"] = before + hires
                if before:
                    self.notes.append(f"团队按现有{before}人加新招{hires}人，共{row['count']}人计")
            row["new_hires"] = hires
        if count is None:
            self.values["team"] = [row]  # more detail on the team already described: no "覆盖" note
        else:
            self.put("team", [row])
        return s

    def _amounts(self, s: str, past: bool, correction: bool, period_state: str) -> str:
        for m in list(_AMOUNT_RE.finditer(s)):
            bare = m.group("num") is not None and not m.group("unit")
            if bare:
                # a bare number is an amount only right after an amount key ("预算150"), never a count or a year
                before = re.search(r"(?:" + _AMOUNT_KEY_RE.pattern + r")(?:是|为|要|约|大约|大概|:|在|\s)*$",
                                   s[max(0, m.start() - 16):m.start()])
                if not before or re.match(r"\s*[%天个月年日周名位人家户次倍成号]", s[m.end():]):
                    continue
            token = m.group(0).lstrip("¥￥")
            try:
                if m.group("cn"):
                    value = amount_of(token, self.unit)
                else:
                    one = lambda n: float(n) if bare else amount_of(n + m.group("unit"), self.unit)  # noqa: E731
                    value = (one(m.group("lo")) + one(m.group("num"))) / 2 if m.group("lo") else one(m.group("num"))
            except (ValueError, KeyError):
                continue
            if bare and not self.bare_unit_noted:
                self.notes.append(f"「{token}」没有写单位，按{self.unit}理解")
                self.bare_unit_noted = True
            field = self._amount_field(s, m, past, correction, period_state)
            s = self._mask(s, m)
            if field is None:
                self.notes.append(f"没看出「{token}」指哪项金额，未采用；可以说「目标{token}」或「预算{token}」")
                continue
            if field == "negated":
                continue
            if field == "skip":
                self.notes.append(f"「{token}」看起来是分期或分项目标，未当作总目标")
                continue
            if m.group("lo"):
                self.notes.append(f"{_label(field)}说的是区间「{token}」，按中值{show(field, _num(value), self.unit)}计")
            elif m.group("more"):
                self.notes.append(f"「{token}」按{show(field, _num(value), self.unit)}计（实际略高）")
            self.put(field, _num(round(value, 4)))
            self.last_amount_field = field
        return s

    def _amount_field(self, s: str, m: re.Match, past: bool, correction: bool, period_state: str) -> str | None:
        keys = list(_AMOUNT_KEY_RE.finditer(s, max(0, m.start() - KEY_REACH), m.start()))
        key = keys[-1] if keys else _AMOUNT_KEY_RE.search(s, m.end(), m.end() + KEY_REACH)
        field = key.lastgroup if key else None
        if s[:m.start()].rstrip(MASK).endswith("不是"):
            self.negated_field = field or self.last_amount_field
            return "negated"
        if field in (None, "revenue_target") and (period_state == "inner" or _BREAKDOWN.search(s)):
            return "skip"
        if field is None:
            if self.negated_field and s.lstrip(MASK).startswith("是") or correction and self.last_amount_field:
                return self.negated_field or self.last_amount_field
            if period_state == "set" and not past:
                return "revenue_target"
            if past:
                return "baseline_revenue"
            return None
        if past and field == "revenue_target" and period_state != "set":
            return "baseline_revenue"
        return field

    def _region(self, s: str) -> str:
        names = [m.group(0) for m in _PLACE_RE.finditer(s)]
        if not names:
            m = _NAMED_AREA_RE.search(s)
            if m and m.group(1) not in _AREA_STOP and not any(w in m.group(1) for w in _AREA_STOP):
                names = [m.group(1)]
        if names:
            self.put("region", "、".join(dict.fromkeys(names)))
            s = _PLACE_RE.sub(lambda m: MASK * len(m.group(0)), s)
        return s

    def _product(self, s: str) -> None:
        for field, patterns in (("industry", _INDUSTRY_RES), ("product", _PRODUCT_RES)):
            for rx in patterns:
                m = rx.search(s)
                if m and not re.search(r"计划|方案|目标|销售额|市场|多少", m.group(1)):
                    self.put(field, m.group(1).strip(":"))
                    s = self._mask(s, m)
                    break

    # -- after the whole message
    def derive(self) -> None:
        unit = self.unit
        target, base = self.current("revenue_target"), self.current("baseline_revenue")
        g = self.extra.get("_growth")
        if g is not None and "revenue_target" not in self.values and base:
            self.put("revenue_target", _num(round(base * (1 + g), 2)))
            self.notes.append(f"销售额目标按去年{show('baseline_revenue', base, unit)}增长{format_rate(g)}算得"
                              f"{show('revenue_target', self.values['revenue_target'], unit)}")
        target = self.current("revenue_target")
        for key, field, what in (("_collection_rate", "collection_target", "回款率"),
                                 ("_expense_ratio", "budget_total", "费用率")):
            r = self.extra.get(key)
            if r is not None and field not in self.values and not target:
                self.notes.append(f"{what}{format_rate(r)}需要先知道销售额目标才能算出{_label(field)}，请告诉我目标")
            if r is not None and field not in self.values and target:
                self.put(field, _num(round(target * r, 2)))
                self.notes.append(f"{_label(field)}按销售额目标×{what}{format_rate(r)}算得"
                                  f"{show(field, self.values[field], unit)}")


def _clauses(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # 1,200万 -> 1200万
    return [c.strip() for c in re.split(r"[。!?;\n,]+", text) if c.strip()]


def merge_fields(previous: dict[str, Any] | None, new: dict[str, Any],
                 additive: set[str] | frozenset[str] = frozenset()) -> tuple[dict[str, Any], list[str]]:
    """New values over previous ones; a changed value gets a note. Lists named in `additive` are unioned."""
    merged = dict(previous or {})
    notes: list[str] = []
    unit = merged.get("currency_unit", "万元")
    for field, value in new.items():
        old = merged.get(field)
        if field in additive and isinstance(old, list) and isinstance(value, list):
            merged[field] = list(dict.fromkeys([*old, *value]))
            continue
        if old not in (None, "", []) and old != value:
            notes.append(f"新说的{_label(field)}（{show(field, value, unit)}）替换了之前的 {show(field, old, unit)}")
        merged[field] = value
    return merged, notes


def missing_fields(fields: dict[str, Any]) -> list[str]:
    return [f for f in REQUIRED_FIELDS if fields.get(f) in (None, "", [])]


def extract_fields(text: str, previous: dict[str, Any] | None = None, today: date | None = None) -> IntakeResult:
    """Read one message; merge onto `previous` (the fields gathered so far in this conversation)."""
    previous = dict(previous or {})
    notes: list[str] = []
    if not isinstance(text, str) or not text.strip():
        return IntakeResult(fields=previous, missing=missing_fields(previous),
                            notes=["没有收到内容，请用一两句话描述公司、区域、计划周期和销售目标"])
    if len(text) > MAX_CHARS:
        notes.append(f"内容过长（共{len(text):,}字），只读取了前{MAX_CHARS:,}字；建议只贴关键信息")
        text = text[:MAX_CHARS]
    reader = _Reader(previous, today or date.today())
    for clause in _clauses(text):
        reader.read(clause)
    reader.derive()
    merged, merge_notes = merge_fields(previous, reader.values, reader.additive)
    notes += reader.notes + merge_notes
    if not reader.values and not reader.notes:
        notes.append("这段话里没有识别出计划信息（公司、区域、周期、目标金额等）")
    return IntakeResult(fields=merged, missing=missing_fields(merged), notes=list(dict.fromkeys(notes)))


def next_questions(fields: dict[str, Any], k: int = 2) -> list[str]:
    """Chinese follow-up questions for the most important facts still missing, at most k."""
    asked = [q for keys, q in QUESTIONS if all(fields.get(f) in (None, "", []) for f in keys)]
    return asked[:max(0, k)]
