"""Pattern tables of the free-text intake reader. Data, not logic.

Every pattern here must stay linear on long runs of one character (possessive quantifiers, bounded repeats):
tests/test_intake.py feeds 20,000-character runs through the reader.
"""

from __future__ import annotations

import re

from ..quantities import CN_NUMBER_CHARS
from .text import MASK

PLACES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 "
    "云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 "
    "华东 华南 华北 华中 华西 西南 西北 东北 全国 长三角 珠三角 京津冀 大湾区 粤港澳 川渝 成渝 苏南 苏北 苏中 浙南 浙北 "
    "闽南 胶东 海外 东南亚 苏锡常 "
    "深圳 广州 杭州 南京 苏州 无锡 常州 南通 宁波 温州 成都 武汉 西安 郑州 长沙 青岛 济南 烟台 厦门 福州 合肥 沈阳 大连 "
    "哈尔滨 长春 石家庄 太原 南昌 昆明 贵阳 南宁 东莞 佛山 珠海 惠州 兰州 乌鲁木齐 呼和浩特 银川 西宁 拉萨 海口 徐州 "
    "嘉兴 绍兴 金华 台州 泉州 洛阳 唐山 保定"
).split()
PLACE_RE = re.compile("(?:" + "|".join(sorted(PLACES, key=len, reverse=True)) + ")(?:省|市|地区)?")
REGION_GROUPS = {"江浙沪": ["江苏", "浙江", "上海"], "江浙": ["江苏", "浙江"], "京津冀": ["北京", "天津", "河北"]}
REGION_GROUP_RE = re.compile("|".join(REGION_GROUPS))
# "三个城市", "两省", "华东六省一市": counts that belong to the places just named
REGION_COUNT_RE = re.compile(rf"[{CN_NUMBER_CHARS}\d]{{1,3}}(?:个)?(?:城市|省|地|个?大区|个?区域|市)(?:一市)?")
NAMED_AREA_RE = re.compile(r"([\u4e00-\u9fa5]{2,4}?)(?:大区|片区|区域)")
AREA_STOP = {"这个", "各个", "我们", "整个", "所有", "哪个", "重点", "目标", "销售", "负责", "其他", "每个", "新", "两个", "三个"}

# "把…改为/改成…": the words that introduce a corrected value of a named field
CHANGE_VERB = r"(?:改名为|改名叫|更名为|改为|改成|改叫|换成|更改为|变更为|修改为|更正为|调整为|应该是|应为|就叫)"
REGION_KEY_RE = re.compile(rf"(?:销售区域|负责区域|区域|地区)(?:{CHANGE_VERB}|是|为|:)\s*([\u4e00-\u9fa5A-Za-z]{{2,12}})")

# amount keys, most specific first. Nouns name their field; verbs (做到, 冲, 卖 …) say "the target" unless a noun
# right before them names another field ("回款要做到2.8亿").
AMOUNT_KEYS: list[tuple[str, str]] = [
    ("collection_target", "回款目标|收款目标|回款额|回款|收款"),
    ("avg_deal_size", "平均客单价|客单价|平均单价|单价|每套|每台|每辆|每件|单笔金额|平均合同额|合同均价|平均订单金额|"
                      "平均每单|每单|单均|单台设备|单台|单套|均价|年费|月费|服务费|加盟费|平均单子|单子|项目平均|每个项目|"
                      "单个客户|每个客户|单个项目|单个订单|每个订单|单笔|每家"),
    ("budget_total", "费用预算|销售费用|市场费用|营销费用|投放预算|预算总额|预算|费用"),
    ("baseline_revenue", "去年同期|去年全年|去年|上年度|上一年|上年|前年|往年|基数"),
    ("revenue_target", "销售额目标|销售目标|业绩目标|营收目标|收入目标|目标|销售额|销售任务|任务|指标|营收|业绩|ARR|GMV|KPI|"
                       "流水|产值"),
]
AMOUNT_VERBS = "做到|达到|冲到|冲刺|冲|完成|实现|卖|做|搞|要|保住|合计|总共|一共"
AMOUNT_KEY_RE = re.compile("|".join(f"(?P<{f}>{k})" for f, k in AMOUNT_KEYS) + f"|(?P<verb>{AMOUNT_VERBS})")
# an amount per store / per person / a cost is not one of the request's amounts ("单店月销售30万", "获客成本")
PER_UNIT_RE = re.compile(r"(?:单店|每家店|店均|人均|每人|获客成本|成本|毛利|利润|单价按)[^\d]{0,4}$")
MONTHLY_RE = re.compile(r"(?:每月|每个月|月均|一个月|月)[^\d]{0,3}$")
# rate keys; a name starting with "_" is an input to a derived field (see Reader.derive)
RATE_KEYS: list[tuple[str, str]] = [
    ("win_rate", "赢单率|成交率|胜率|签单率|成单率|商机转化率|成交转化率"),
    ("repurchase_rate", "复购率|续约率|续费率|回头率|老客户复购"),
    ("_collection_rate", "回款率|回款(?:目标)?(?:要)?(?:达到|为|是)?销售额的"),
    ("_expense_ratio", "费用率|费用占比|预算|费用"),
    ("_conversion", "转化率"),
    ("_growth", "增长率|(?:增长|增速|增幅|提升|提高|同比)(?![到至为成])"),
]
RATE_KEY_RE = re.compile("|".join(f"(?P<{f}>{k})" for f, k in RATE_KEYS))
# rates that name a stage of the funnel by themselves ("留档率60%": 进店→留档)
STAGE_RATE_NAMES = {"留档率": "进店→留档", "到店率": "邀约→到店", "试听率": "线索→试听", "续费转化率": "试用→付费"}
STAGE_RATE_RE = re.compile("|".join(STAGE_RATE_NAMES))
PAST = re.compile(r"去年|上年|上一年|前年|往年|历史|做了|完成了|实现了|卖了|达成了|累计|开了|签了")
CORRECTION = re.compile(r"不对|改为|改成|调整为|调整到|调到|更正|应该是|而是|修改为|改到|其实是|其实|降到|提到|砍到|加到")
BREAKDOWN = re.compile(r"^其中|^包括")

# a clause about how the plan is written, not about facts ("竞争对手部分写详细些")
INSTRUCTION_RE = re.compile(r"具体|详细|详尽|细化|展开|丰富|充实|简洁|精简|简短|改写|重写|润色|专业|说服力|举例|例子|多写|少写|"
                            r"写得|写成|写短|写长|写清楚|说清楚|讲清楚|突出|强调|语气|通俗|口语|书面|落地|太空|"
                            r"(?:部分|章节|这一?节|这段)(?:再|要|请|写|改|多|少|更)|"
                            r"(?:里|中|部分)(?:加上|加|补充|增加)[^\d]{1,20}(?:应对|分析|内容|案例|说明|措施|对比)")

# "预算还没定", "不清楚竞争对手有哪些": the user does not know yet; the nearest field key names what
UNKNOWN_RE = re.compile(r"还没定|没定|未定|待定|没确定|不确定|不清楚|不太清楚|不知道|说不准|不好说|没想好|还没想|没数|"
                        r"没有数据|没统计|不了解|暂无|暂时没有")
UNKNOWN_REACH = 8
FIELD_KEYS: list[tuple[str, str]] = [
    ("competitors", "竞争对手|竞品|对手|友商"),
    ("channels", "渠道"),
    ("collection_target", "回款"),
    ("budget_total", "预算|费用"),
    ("baseline_revenue", "去年|上年|上期"),
    ("avg_deal_size", "客单价|单价"),
    ("win_rate", "赢单率|成交率|胜率"),
    ("period", "计划周期|时间段"),
    ("sales_cycle_days", "销售周期|成交周期|周期"),
    ("team", "团队|人数|人手|销售人员|几个人"),
    ("new_customers", "新客户"),
    ("revenue_target", "目标|任务|指标"),
    ("industry", "行业"),
    ("product", "产品"),
    ("company", "公司"),
    ("region", "区域|地区"),
]
FIELD_KEY_RE = re.compile("|".join(f"(?P<{f}>{k})" for f, k in FIELD_KEYS))

CN_NUM = CN_NUMBER_CHARS
CN_SMALL = CN_NUMBER_CHARS.replace("万", "").replace("亿", "")
# a count: digits or Chinese numerals, possibly approximate (十来个, 二十多个)
INT = rf"(?<![\d{CN_NUM}.])(\d++|[一二两三四五六七八九十百千]++)(来|多|几)?"


def num(name: str = "n") -> str:
    """A named count: group `name` holds the number, `name`_x the approximation word (来/多/几)."""
    return rf"(?<![\d{CN_NUM}.])(?P<{name}>\d++|[一二两三四五六七八九十百千]++)(?P<{name}_x>来|多|几)?"
AMOUNT_RE = re.compile(
    r"[¥￥]?(?<![\d.A-Za-z])(?P<sign>[-－负](?=\d))?(?:(?P<lo>\d+(?:\.\d+)?)\s*(?P<lo_unit>万|亿)?\s*(?:-|~|到|至)\s*)?"
    r"(?P<num>\d+(?:\.\d+)?)(?P<more>多)?\s*"
    r"(?P<unit>亿元|亿|千万元|千万|百万元|百万|万元|万|千元|元|块|[wWkK](?![a-zA-Z]))?"
    rf"|(?<![{CN_NUM}])(?P<cn>(?:[{CN_SMALL}]*+[万亿])++(?:[一二两三四五六七八九](?![{CN_NUM}]))?元?|[{CN_NUM}]++元)"
)
RATE_RE = re.compile(r"(?<![\d.:])(?P<sign>[-－](?=\d))?(?:(?P<lo>\d+(?:\.\d+)?)%?\s*(?:-|~|到|至)\s*)?"
                     r"(?P<pct>\d++(?:\.\d+)?)\s*%|百分之(?P<cnpct>[\d.零一二两三四五六七八九十点]+)"
                     r"|(?P<tenths>[一二两三四五六七八九\d](?:\.\d)?)成(?P<half>半)?(?![交本功为])|(?P<double>翻一番|翻番|翻倍)")
RATIO_RE = re.compile(r"(?<![\d.])\d++(?:\.\d+)?\s*[:：比]\s*\d+(?:\.\d+)?")
STAGE_RE = re.compile(r"([\u4e00-\u9fa5]{2,6}?)(?:到|→|->|转)([\u4e00-\u9fa5]{2,6}?)的?(?:转化率|转化)?\s*$")
CYCLE_KEY = r"(?<!计划)(?:销售|成交|签约|签单|招标|项目)?周期"
DURATION = rf"(?:(?<![\d.])\d++(?:\.\d+)?|[{CN_NUM}]{{1,3}}|半)(?:个半|个)?(?:天|日|周|星期|月|季度|年)半?"
CYCLE_RE = re.compile(rf"{CYCLE_KEY}[^\d{MASK}]{{0,10}}?(?P<d>{DURATION})"
                      rf"|(?P<d2>{DURATION})(?:左右)?的?(?:销售|成交|签约)周期"
                      rf"|从[\u4e00-\u9fa5]{{1,6}}到[\u4e00-\u9fa5]{{1,6}}[^\d{CN_NUM}{MASK}]{{0,8}}?(?P<d3>{DURATION})")

LIST_SPLIT = re.compile(r"以及|[、,/+和与及跟]|加上|\s+")
LIST_NOISE_RE = re.compile(r"这几家|这几个|这些|那几家|那些|几家|等等|等|之类|为主|为辅|渠道|模式|品牌|三条线|两条线|合作的|"
                           r"^还有|^也有|^主要是|^主要|^是|^有|^加上|^再加|^一个|^一家|^再|也$|都$|同样$|也要做$|也要$")
LIST_ADDS = re.compile(r"还有|另外|也有|加上|再加|加一|增加|新增|添加|补充|以及|也要|也做|也在")
LIST_REMOVE = re.compile(r"去掉|删掉|拿掉|删除|砍掉|不做了|不做|取消|停掉|不算")
NOT_A_NAME = re.compile(r"^的|对比|分析|价格|情况|优劣|策略|数据|信息|一些|一批|其他|其它|本地|小公司|小厂|几家|杂牌|外资|国产")
COMPETITOR_KEY = r"(?:竞争对手|竞品店|竞品|竞争品牌|竞对|对手|友商)"
COMPETITOR_RES = [
    re.compile(rf"{COMPETITOR_KEY}(?:部分)?(?:主要|也|还|里)?(?:再)?(?:加上|增加|新增|添加|补充|加)?(?:一个|一家)?"
               r"(?:有|是|包括|为|:)?(?:主要是|主要有)?\s*(.+)"),
    re.compile(r"^(.{1,60}?)(?:是|为)(?:我们)?(?:的)?(?:最大的|主要的?)?(?:竞争对手|对手|竞品)"),
    re.compile(r"(?:主要)?(?:跟|和|与)(.{2,40}?)竞争"),
]
COMPANY_KEY_RE = re.compile(
    rf"(?:公司(?:名称|名字|全称|名)|公司(?=叫|:|改叫|改名|更名|是)|我们公司|我们叫|我司叫|我司名称)"
    rf"(?:{CHANGE_VERB}|是|为|叫|:)\s*([^\s,;:。{MASK}]{{2,40}})")
COMPANY_STOP = re.compile(r"(做|卖|一家|一个|从事|主营|生产|我们|在|这|那|该|本|贵|对方|客户|个)")
PRODUCT_RES = [
    re.compile(rf"(?:做|卖|生产|代理|经营)的(?:是|主要是)([^\s{MASK}]{{2,20}})"),
    re.compile(rf"(?:是|主要|专门)?(?:做|卖|生产|代理)(?![到了好出成过的给\x00])([^{MASK}]{{1,20}}?)(?:的|生意)"),
    re.compile(rf"(?:主营|主营产品是|主推|产品是|产品为|产品:|经营|两个品牌:|几个品牌:|品牌是|品牌有)([^\s{MASK}]{{2,20}})"),
    re.compile(rf"主要(?:卖|做)(?!给)([^\s{MASK}]{{2,20}})"),
    re.compile(rf"卖{MASK}+的([\u4e00-\u9fa5]{{1,6}})"),
]
INDUSTRY_RES = [re.compile(rf"(?<!重点)(?<!目标)(?:所属行业|所在行业|行业)(?:是|为|:)\s*([^\s{MASK}]{{2,20}})"),
                re.compile(r"(?:属于|从事)([\u4e00-\u9fa5]{2,10}?)行业")]

Q = r"(?:[Qq]([1-4])|第?([一二三四])季度)"
QUARTERS = r"(?:[Qq][1-4]|第?[一二三四]季度)\s*(?:-|~|至|到)\s*(?:[Qq][1-4]|第?[一二三四]季度)"
_YEAR = r"(?:今年|明年|后年|来年|本年|下一年|下年|\d{4}\s*年|\d{4}(?=[QqHh]))"
_MONTHS = r"\d{1,2}月?份?\s*(?:-|~|至|到)\s*(?:\d{4}年)?\d{1,2}月"
_SUB = (rf"(?:{QUARTERS}|全年|年度|整年|上半年|下半年|[Hh][12]|[Qq][1-4]|第?[一二三四1-4]季度|{_MONTHS}|\d{{1,2}}月份?)")
_BARE = rf"(?:{QUARTERS}|上半年|下半年|[Hh][12](?![0-9])|[Qq][1-4]|第[一二三四1-4]季度|[一二三四]季度|{_MONTHS})"
PERIOD_RE = re.compile(rf"(?P<y>{_YEAR})\s*(?P<sub>{_SUB})?|(?P<bare>{_BARE})")
REST_OF_YEAR_RE = re.compile(r"今年(?:剩下|剩余|余下)(?:的)?(?:时间|几个月|两个月|这段时间)?|年底前")
SPAN_RE = re.compile(r"(?P<n>半年|一个季度|一季度|[一二两三四五六七八九十\d]{1,2}个月)(?:内|之内|时间)?")
MILESTONE_RE = re.compile(r"上市|上线|到岗|启动|投产|开业|发布|交付")
FUTURE_RE = re.compile(r"明年|后年|来年|下一年|下年")


def quarter_months(text: str) -> str:
    """'Q1到Q2' -> '1月至6月', 'H2' -> '下半年' (parse_period reads month ranges); anything else unchanged."""
    text = re.sub(r"^[Hh]([12])$", lambda m: "上半年" if m.group(1) == "1" else "下半年", text)
    qs = [int(a) if a else "一二三四".index(b) + 1 for a, b in re.findall(Q, text)]
    if len(qs) == 2 and re.fullmatch(QUARTERS, text):
        return f"{3 * qs[0] - 2}月至{3 * qs[1]}月"
    return re.sub(r"^(\d{1,2})\s*(?:-|~|至|到)", r"\1月至", text) if re.match(r"^\d{1,2}\s*[-~至到]", text) else text


CONTINUE_RE = re.compile(r"^(?:其次是|其次|还有|以及|另外还有|另外|再就是|再加上|加上|再加|增加|新增)(.+)")

AMOUNT_FIELDS = ("revenue_target", "baseline_revenue", "collection_target", "avg_deal_size", "budget_total")
RATE_FIELDS = ("win_rate", "repurchase_rate")
LIST_FIELDS = ("competitors", "channels")

# (fields that answer it, question) in the order they matter; the first k unanswered are asked
QUESTIONS: list[tuple[tuple[str, ...], str]] = [
    (("revenue_target",), "这个周期的销售额目标是多少（如1200万）？"),
    (("company",), "请问公司名称是什么？"),
    (("region",), "这份方案覆盖哪个区域或市场（如江苏、华东、全国）？"),
    (("period",), "计划周期是哪段时间（如2027年全年、2027年Q2、2027年上半年）？"),
    (("team",), "现在有几名销售？计划期内是否新招人、几月到岗？"),
    (("budget_total",), "销售费用预算大约多少？"),
    (("competitors",), "主要竞争对手有哪些（最好3家以上）？"),
    (("avg_deal_size", "win_rate"), "平均客单价和历史赢单率大概是多少？"),
    (("industry", "product"), "主营什么产品或服务，属于哪个行业？"),
    (("baseline_revenue",), "去年（上期）销售额是多少？"),
    (("sales_cycle_days",), "从商机到签约，平均销售周期大约多少天？"),
    (("channels",), "主要通过哪些渠道销售（直销、经销商、线上等）？"),
]
