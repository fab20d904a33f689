"""Vocabulary and pattern tables of the free-text intake reader (assistant.intake.rule_reader). Data, not logic.

Every pattern here must stay linear on long runs of one character (possessive quantifiers, bounded repeats):
tests/test_intake.py feeds 20,000-character runs through the reader.
"""

from __future__ import annotations

import re

from ..quantities import CN_NUMBER_CHARS

MASK = "\x00"  # what a pass writes over the text it consumed

PLACES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 "
    "云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 "
    "华东 华南 华北 华中 华西 西南 西北 东北 全国 长三角 珠三角 京津冀 大湾区 粤港澳 川渝 成渝 苏南 苏北 苏中 浙南 浙北 "
    "闽南 胶东 海外 东南亚 "
    "深圳 广州 杭州 南京 苏州 无锡 常州 南通 宁波 温州 成都 武汉 西安 郑州 长沙 青岛 济南 烟台 厦门 福州 合肥 沈阳 大连 "
    "哈尔滨 长春 石家庄 太原 南昌 昆明 贵阳 南宁 东莞 佛山 珠海 惠州 兰州 乌鲁木齐 呼和浩特 银川 西宁 拉萨 海口 徐州 "
    "嘉兴 绍兴 金华 台州 泉州 洛阳 唐山 保定"
).split()
PLACE_RE = re.compile("|".join(sorted(PLACES, key=len, reverse=True)))
NAMED_AREA_RE = re.compile(r"([\u4e00-\u9fa5]{2,4}?)(?:大区|片区|区域)")
AREA_STOP = {"这个", "各个", "我们", "整个", "所有", "哪个", "重点", "目标", "销售", "负责", "其他", "每个", "新"}

# "把…改为/改成…": the words that introduce a corrected value of a named field
CHANGE_VERB = r"(?:改名为|改名叫|更名为|改为|改成|改叫|换成|更改为|变更为|修改为|更正为|调整为|应该是|应为|就叫)"
# a region named after its key when it is not a known place ("区域改成西部大区")
REGION_KEY_RE = re.compile(rf"(?:销售区域|负责区域|区域|地区)(?:{CHANGE_VERB}|是|为|:)\s*([\u4e00-\u9fa5A-Za-z]{{2,12}})")

# amount keys, most specific first; the nearest key before an amount (else after it) names the field
AMOUNT_KEYS: list[tuple[str, str]] = [
    ("collection_target", "回款目标|收款目标|回款额|回款|收款"),
    ("avg_deal_size", "平均客单价|客单价|平均单价|单笔金额|平均合同额|合同均价|平均订单金额|平均每单|每单|单均"),
    ("budget_total", "费用预算|销售费用|市场费用|营销费用|预算总额|预算|费用"),
    ("baseline_revenue", "去年同期|去年全年|去年|上年度|上一年|上年|前年|往年|基数"),
    ("revenue_target", "销售额目标|销售目标|业绩目标|营收目标|收入目标|目标|销售额|销售任务|任务|指标|营收|业绩|做到|达到|"
                       "冲到|完成|实现|冲刺"),
]
AMOUNT_KEY_RE = re.compile("|".join(f"(?P<{f}>{k})" for f, k in AMOUNT_KEYS))
# rate keys; a name starting with "_" is not a request field but an input to a derived one (see _Reader.derive).
# "提高20%" is growth, "提高到95%" is a level: only the former counts as growth.
RATE_KEYS: list[tuple[str, str]] = [
    ("win_rate", "赢单率|成交率|胜率|签单率|成单率|商机转化率|成交转化率"),
    ("repurchase_rate", "复购率|续约率|续费率|回头率|老客户复购"),
    ("_collection_rate", "回款率"),
    ("_expense_ratio", "费用率|费用占比|预算|费用"),
    ("_growth", "增长率|(?:增长|增速|增幅|提升|提高|同比)(?![到至为成])"),
]
RATE_KEY_RE = re.compile("|".join(f"(?P<{f}>{k})" for f, k in RATE_KEYS))
PAST = re.compile(r"去年|上年|上一年|前年|往年|历史|做了|完成了|实现了|卖了|达成了|累计")
CORRECTION = re.compile(r"不对|改为|改成|调整为|调整到|调到|更正|应该是|而是|修改为|改到|其实是")
BREAKDOWN = re.compile(r"其中")

# a clause about how the plan is written, not about facts ("竞争对手部分写详细些"): no names, lists or text are
# read from it (numbers still are: "目标部分改成1500万" changes the target)
INSTRUCTION_RE = re.compile(r"具体|详细|详尽|细化|展开|丰富|充实|简洁|精简|简短|改写|重写|润色|专业|说服力|举例|例子|多写|少写|"
                            r"写得|写成|突出|强调|语气|通俗|口语|书面|(?:部分|章节|这一?节|这段)(?:再|要|请|写|改|多|少|更)")

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
INT = r"(?<![\d一二两三四五六七八九十百])(\d++|[一二两三四五六七八九十百]++)"  # possessive: linear on long runs
AMOUNT_RE = re.compile(
    r"[¥￥]?(?<![\d.])(?:(?P<lo>\d+(?:\.\d+)?)\s*(?:-|~|到|至)\s*)?(?P<num>\d+(?:\.\d+)?)(?P<more>多)?\s*"
    r"(?P<unit>亿元|亿|千万元|千万|百万元|百万|万元|万|千元|元|块|[wWkK](?![a-zA-Z]))?"
    rf"|(?<![{CN_NUM}])(?P<cn>[{CN_NUM}]++(?<=[万亿])元?|[{CN_NUM}]++元)"
)
RATE_RE = re.compile(r"(?<![\d.])(\d++(?:\.\d+)?)\s*%|百分之([\d.零一二两三四五六七八九十点]+)"
                     r"|([一二两三四五六七八九\d](?:\.\d)?)成(半)?(?![交本功为])")
STAGE_RE = re.compile(r"([\u4e00-\u9fa5]{2,6}?)(?:到|→|->|转)([\u4e00-\u9fa5]{2,6}?)的?转化率")
CYCLE_RE = re.compile(rf"(?:销售|成交|签约|签单)?周期[^\d{CN_NUM}{MASK}]{{0,4}}{INT}\s*(天|日|个月|月|周|星期)"
                      rf"|{INT}\s*(天|日|个月|周)(?:左右)?的?(?:销售|成交|签约)周期")
ROLES = "销售代表|销售人员|大客户经理|客户经理|渠道经理|销售经理|业务员|销售|BD|bd|地推"
# "增加到8人" / "扩到8个人" state the new size of the team (not new hires: "新招2人" are)
TEAM_SIZE_VERB = r"(?:增加到|增加至|增至|扩到|扩大到|扩充到|扩编到|扩至|减少到|减到|缩减到|降到|调整到|调整为|调到|变成|改为|改成)"
TEAM_RES = [
    re.compile(rf"{INT}\s*(?:个|名|位)?\s*({ROLES})(?![额量费目收周渠政策任])"),
    re.compile(rf"(?:销售团队|销售人员|团队|销售|业务员)(?:共|有|是|一共|现有|目前|总共|要|{TEAM_SIZE_VERB})*\s*{INT}\s*"
               r"(?:个人|人|名|位)"),
    re.compile(rf"{INT}\s*(?:个人|人)的?(?:销售)?团队"),
]
HIRE_RES = [re.compile(rf"(?:新招|招聘|计划招|还要招|再招|扩招|招)\s*{INT}\s*(?:个|名|位)?(?:人|新人|销售|业务员)?(?![家户])"),
            re.compile(rf"新增\s*{INT}\s*(?:个|名|位)?(?:人|新人|销售|业务员)"),
            re.compile(rf"{INT}\s*(?:个|名|位)新人"), re.compile(rf"新人\s*{INT}\s*(?:个|名|位|人)")]
NEW_CUSTOMER_RES = [re.compile(rf"(?:新客户|新客|新开发|新增客户|开发新客户|拓展新客户)[^\d{MASK}]{{0,4}}{INT}\s*(?:家|个|位|户)"),
                    re.compile(rf"(?:新开发|新增|开发|拓展)\s*{INT}\s*(?:家|个|户)(?:新)?客户")]

LIST_SPLIT = re.compile(r"以及|[、,/+和与及跟]|加上")
LIST_ADD_VERB = r"(?:再)?(?:加上|增加|新增|添加|补充|加一个|加一家)"
# words before a list that add to what was said ("竞争对手加上嘉实多", "再加一个竞争对手") instead of replacing it
LIST_ADDS = re.compile(r"还有|另外|也有|加上|再加|加一|增加|新增|添加|补充|以及")
LIST_NOISE = re.compile(r"这几家|这几个|这些|那几家|那些|几家|等等|等|之类|为主|为辅|渠道|模式|品牌|^还有|^也有|^主要是|^是|^有|"
                        r"^加上|^再加|^一个|^一家|也$|都$|同样$")
NOT_A_NAME = re.compile(r"^的|对比|分析|价格|情况|优劣|策略|数据|信息")  # "加上竞品的价格对比" names no competitor
COMPETITOR_RES = [re.compile(rf"(?:竞争对手|竞品|对手|竞争品牌|友商)(?:主要)?{LIST_ADD_VERB}?(?:一个|一家)?(?:有|是|包括|为|:)?\s*(.+)"),
                  re.compile(r"^(.{1,60}?)(?:是|为)(?:我们)?(?:的)?(?:最大的|主要的?)?(?:竞争对手|对手|竞品)")]
CHANNEL_RES = [re.compile(rf"渠道(?:主要)?(?:{LIST_ADD_VERB}|有|是|包括|为|:|以)\s*(.{{1,200}})"),
               re.compile(r"(?:主要)?(?:通过|走|靠)(.{1,60}?)(?:渠道|模式)?(?:销售|卖)?$")]
COMPANY_RES = [
    re.compile(rf"(?:公司(?:名称|名字|全称|名)|公司(?=叫|:|改叫|改名|更名)|我们叫|我司叫|我司名称)"
               rf"(?:{CHANGE_VERB}|是|为|叫|:)?\s*([^\s,;:。{MASK}]{{2,40}})"),
    re.compile(r"^(?:我们是|我们|我司是|我司|这是|本公司是)?([\u4e00-\u9fa5A-Za-z0-9()]{2,30}?(?:有限责任公司|股份有限公司|有限公司|集团|公司))"),
]
COMPANY_STOP = re.compile(r"(做|卖|一家|从事|主营|生产|我们|在|这|那|该|本|贵|对方|客户)")
PRODUCT_RES = [
    re.compile(rf"(?:做|卖|生产|代理|经营)的(?:是|主要是)([^\s{MASK}]{{2,20}})"),
    re.compile(rf"(?:是|主要|专门)?(?:做|卖|生产|代理)(?![到了好出成过的])([^\s{MASK}]{{2,20}}?)(?:的|生意|业务)"),
    re.compile(rf"(?:主营|主营产品是|主推|产品是|产品为|产品:|经营)([^\s{MASK}]{{2,20}})"),
]
INDUSTRY_RES = [re.compile(rf"(?:所属行业|所在行业|行业)(?:是|为|:)\s*([^\s{MASK}]{{2,20}})"),
                re.compile(r"(?:属于|在|从事|做)([\u4e00-\u9fa5]{2,10}?)行业")]
SEASON_RE = re.compile(r"旺季|淡季|季节性")
Q = r"(?:[Qq]([1-4])|第?([一二三四])季度)"
QUARTERS = r"(?:[Qq][1-4]|第?[一二三四]季度)\s*(?:-|~|至|到)\s*(?:[Qq][1-4]|第?[一二三四]季度)"
_YEAR = r"(?:今年|明年|后年|来年|本年|下一年|下年|\d{4}\s*年|\d{4}(?=[Qq]))"
_SUB = (rf"(?:{QUARTERS}|全年|年度|整年|上半年|下半年|[Qq][1-4]|第?[一二三四1-4]季度|\d{{1,2}}月份?\s*(?:-|~|至|到)\s*"
        r"(?:\d{4}年)?\d{1,2}月|\d{1,2}月份?)")
_BARE = rf"(?:{QUARTERS}|上半年|下半年|[Qq][1-4]|第[一二三四1-4]季度|[一二三四]季度|\d{{1,2}}月\s*(?:-|~|至|到)\s*\d{{1,2}}月)"
PERIOD_RE = re.compile(rf"(?P<y>{_YEAR})\s*(?P<sub>{_SUB})?|(?P<bare>{_BARE})")  # a year with its part, or a part alone


def quarter_months(text: str) -> str:
    """'Q1到Q2' -> '1月至6月' (parse_period reads month ranges); anything else unchanged."""
    qs = [int(a) if a else "一二三四".index(b) + 1 for a, b in re.findall(Q, text)]
    if len(qs) == 2 and re.fullmatch(QUARTERS, text):
        return f"{3 * qs[0] - 2}月至{3 * qs[1]}月"
    return text


CONTINUE_RE = re.compile(r"^(?:其次是|其次|还有|以及|另外还有|另外|再就是)(.+)")

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
