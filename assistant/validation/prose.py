"""Facts written as sentences: amounts with their labels, months and quarters, a budget with its total, competitors
with their traits, PEST dimensions, KPIs, risks with their responses, dated actions with owners.

Pure functions over text; each returns what it found with the words it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .facts import MONEY_RE, RATE_RE

OPEN, CLOSE = "（(【[", "）)】]"


_SEP_RE: dict[str, re.Pattern[str]] = {}


def split_top(text: str, seps: str) -> list[str]:
    """Split on any of `seps` outside brackets (only the separators and brackets are visited)."""
    if seps not in _SEP_RE:
        _SEP_RE[seps] = re.compile("[" + re.escape(OPEN + CLOSE + seps) + "]")
    out, depth, start = [], 0, 0
    for m in _SEP_RE[seps].finditer(text):
        ch = m.group(0)
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(text[start:m.start()])
            start = m.end()
    out.append(text[start:])
    return [p.strip() for p in out if p.strip()]


def sentences(text: str) -> list[str]:
    return split_top(text, "。！？!?\n")


def clauses(text: str) -> list[str]:
    return split_top(text, "；;")


# ---------------------------------------------------------------- labelled amounts

LABEL_NOISE = re.compile(r"^(?:其中|包括|分别是|分别为|即|约|以及|及|和|另有|另外|还有|：|:|，|、)+")
LABEL_TAIL = re.compile(r"(?:合计|总计|共计|一共|总共|共|约|为|是|达|达到|控制在|不超过)+\s*$")
TOTAL_CUE = re.compile(r"合计|总计|共计|一共|总额|总预算|预算总额|总共|共$")


@dataclass(slots=True)
class Labelled:
    label: str
    amount: str  # the number with its unit, as written ("60万元")
    start: int
    total_word: bool = False  # the words before it say it is a total (合计、总预算…)
    note: str = ""  # brackets between the label and the number ('静安店（店长吴倩）280万元' -> 店长吴倩)


def labelled_amounts(text: str) -> list[Labelled]:
    """'展会与案例观摩会60万元、经销商返利45万元' -> [(展会与案例观摩会, 60万元), (经销商返利, 45万元)].

    The label is the text between the previous delimiter (、，；：。 or a bracket) and the number."""
    out = []
    for m in MONEY_RE.finditer(text):
        j, note = m.start(), ""
        if j > 0 and text[j - 1] in "）)" and (k := max(text.rfind("（", 0, j), text.rfind("(", 0, j))) >= 0:
            j, note = k, text[k + 1:j - 1]  # '静安店（店长吴倩）280万元': the label is before the brackets
        i = j
        while i > 0 and text[i - 1] not in "、，,；;：:。（(）)【】\n":
            i -= 1
        raw = text[i:j]
        label = LABEL_TAIL.sub("", LABEL_NOISE.sub("", raw)).strip()
        out.append(Labelled(label, m.group(0), m.start(), bool(TOTAL_CUE.search(raw)), note))
    return out


MONTH_AMOUNT = re.compile(r"(?<![\d\-—~～至到])(?:(\d{4})\s*年\s*)?(1[0-2]|0?[1-9])\s*月份?"
                          r"(?!\s*\d{1,2}\s*[日号])(?![日底末中初上下旬前内])(?!\s*[至到\-—~～])"
                          r"[^\d，,、；;。]{0,6}?(\d[\d,]*(?:\.\d+)?)\s*(亿元|千万元|百万元|万元|千元|元|亿|万)?")
QUARTER_AMOUNT = re.compile(r"(?:(\d{4})\s*年\s*)?(?:[Qq]([1-4])|第?([一二三四1-4])\s*季度)(?:目标|任务)?[^\d，,、；;。]{0,6}?"
                            r"(\d[\d,]*(?:\.\d+)?)\s*(亿元|千万元|百万元|万元|千元|元|亿|万)")


def month_amounts(text: str) -> list[tuple[int, str]]:
    """'1月190万元、2月200万元…' -> [(1, '190万元'), (2, '200万元')]; needs at least two months in the text.

    A bare number after a month counts only when the other months in the text carry a unit."""
    found = [(int(m.group(2)), m.group(3) + (m.group(4) or "")) for m in MONTH_AMOUNT.finditer(text)]
    with_unit = [f for f in found if not f[1][-1].isdigit()]
    if len(with_unit) < 2:
        return []
    unit = re.sub(r"^[\d,.]+", "", with_unit[0][1])
    return [(mon, amt if not amt[-1].isdigit() else amt + unit) for mon, amt in found]


def quarter_amounts(text: str) -> list[tuple[int, str]]:
    from_cn = {"一": 1, "二": 2, "三": 3, "四": 4}
    out = []
    for m in QUARTER_AMOUNT.finditer(text):
        q = int(m.group(2)) if m.group(2) else from_cn.get(m.group(3)) or int(m.group(3))
        out.append((q, m.group(4) + m.group(5)))
    return out if len(out) >= 2 else []


# ---------------------------------------------------------------- budget in a sentence

BUDGET_CUE = re.compile(r"预算|费用|开支|投入|花费|花在")
NOT_BUDGET_LINE = re.compile(r"占|费用率|销售额|收入|目标|回款|业绩")
LIST_START = re.compile(r"^\s*(?:[（(][^）)]*[）)]|[，,][^，,。；;：:]{0,16})?\s*(?:[：:]|[，,]?其中|[，,]?包括|[，,]?分别)")


@dataclass(slots=True)
class BudgetSentence:
    total: Labelled | None
    lines: list[Labelled]
    text: str
    other_totals: list[Labelled] = field(default_factory=list)  # a second statement of the total ('…合计216万元')


def budget_in_sentence(text: str, in_budget: bool = False) -> BudgetSentence | None:
    """'全年销售费用总预算150万元，其中展会60万元、返利45万元、招待30万元' -> total 150, three lines.

    A total is an amount labelled 合计/总预算/…, or the first amount when a list follows it (其中/：/包括)."""
    items = labelled_amounts(text)
    if len(items) < 3:
        return None
    first = items[0]
    if not (in_budget or BUDGET_CUE.search(text[:first.start]) or any(
            it.total_word and BUDGET_CUE.search(it.label) for it in items)):
        return None
    totals = [it for it in items if it.total_word or (it is first and LIST_START.match(text[it.start + len(it.amount):]))]
    lines = [it for it in items if it not in totals and it.label and not NOT_BUDGET_LINE.search(it.label)]
    if len(lines) < 2:
        return None
    return BudgetSentence(totals[0] if totals else None, lines, text, totals[1:])


# ---------------------------------------------------------------- competitors

COMP_CUE = re.compile(r"竞争对手|竞品|对手|友商|竞争品牌|同类机构|同行|竞争者")
NAME_PREFIX = re.compile(r"^(?:主要|还有|以及|另外|另有|和|及|与|本地的|本地|当地的|外资的|国内的|"
                         r"老牌的|新进入的|其次是|再次是|最后是|一是|二是|三是|"
                         r"[一二三四五六七八九十\d]+[是、.．])+")
NAME_STOP = re.compile(r"的|在|是|有|门店|本地|品牌|价格|产品|靠|以|凭|做|主打|对|将|会|更|最|比|其|也|已|和|与|在")
TRAIT_CUE = re.compile(r"优势|劣势|强|弱|高|低|贵|便宜|多|少|快|慢|好|差|广|窄|深|浅|但|可|而|不过|"
                       r"然而|只|缺|没有|长|短|稳定|不稳|全|成熟|领先|落后")
NOT_A_NAME = re.compile(r"^(?:[以在用把对为从按向由给跟与将让使]|.*(?:目标|区域|数据|数量|规模|需求|份额|行业|本节)|"
                        r"我们|我方|我司|公司|对手|竞争|竞品|主要|市场|行业|"
                        r"客户|政策|经济|社会|技术|应对|价格|产品|渠道|服务|其他|等|"
                        r"国内|外资|本地|他们|它们|这|那|三家|两家|几家|各|每|其中|目前|今年|去年|逐一|列出|分析|本节|需要|需调研)")


@dataclass(slots=True)
class Competitor:
    name: str
    traits: str  # what the plan says about it (strengths, weaknesses, our response)
    text: str


def _clean_name(segment: str) -> str:
    name = re.split(r"[（(]", segment, maxsplit=1)[0]
    name = NAME_PREFIX.sub("", name.strip(" ：:，,、"))
    name = re.sub(r"等(?:品牌|企业|公司|厂家|机构)?$", "", name).strip()
    return name


def competitors_in_line(text: str) -> list[Competitor]:
    """'主要对手有三家：美厨（价格低…）、华菱（品牌响…）、本地的永兴厨具（…）' -> three names with their traits.

    Needs a competitor word before the list; names are the text outside brackets, traits the bracketed text."""
    m = COMP_CUE.search(text)
    if not m:
        return []
    rest = text[m.end():]
    lead = re.match(r"^[^：:（(。，]{0,14}[：:]\s*", rest) or re.match(r"^\s*(?:主要)?(?:有|包括|为|是)\s*", rest)
    if not lead:
        return []  # '主要对手逐一列出优劣势' names no one
    rest = rest[lead.end():]
    rest = split_top(rest, "。；;")[0] if rest else ""
    out = []
    for part in split_top(rest, "、，,和及与"):
        name = _clean_name(part)
        traits = part[len(part.split("（")[0].split("(")[0]):].strip("（）() ")
        if 2 <= len(name) <= 10 and not NOT_A_NAME.match(name) and not re.search(r"\d|[，。：的]", name):
            out.append(Competitor(name, traits, text))
    return out


def competitor_lead(sentence: str) -> Competitor | None:
    """A sentence about one competitor, starting with its name: '小罐茶的礼品认知度最高，但价格贵…'."""
    s = NAME_PREFIX.sub("", re.sub(r"[（(][^）)]{0,30}[）)]", "", sentence.strip()))
    stop = NAME_STOP.search(s, 2)
    if stop is None or stop.start() > 8:
        return None
    name = _clean_name(s[:stop.start()])
    body = s[stop.start():]
    if not (2 <= len(name) <= 8) or NOT_A_NAME.match(name) or re.search(r"\d|[，。：、]", name):
        return None
    if not TRAIT_CUE.search(body) or len(body) < 8:
        return None
    return Competitor(name, body, sentence)


# ---------------------------------------------------------------- PEST in prose

PEST_CUES = {"政策": "政策|政治|法规|监管|合规", "经济": "经济|宏观|财政|消费力|购买力",
             "社会": "社会|人口|文化|消费习惯|消费观念|人群", "技术": "技术|科技|数字化|智能化"}
PEST_LEAD = {dim: re.compile(rf"^\s*(?:在|从)?(?:{cue})(?:上|方面|层面|环境|因素|面|维度)?\s*(?:[（(][PEST][)）])?\s*[，,：:]")
             for dim, cue in PEST_CUES.items()}


def pest_in_prose(text: str) -> dict[str, str]:
    """'政策上，…；经济上，…' -> {政策: clause, 经济: clause}: a dimension named at the head of a clause."""
    found: dict[str, str] = {}
    for sent in sentences(text):
        for clause in clauses(sent):
            for dim, lead in PEST_LEAD.items():
                if dim not in found and lead.match(clause) and len(clause) >= 10:
                    found[dim] = clause
    return found


# ---------------------------------------------------------------- KPIs in a sentence

KPI_CUE = re.compile(r"指标|考核|KPI|考评", re.I)
KPI_NAME = re.compile(r"(?:率|数|额|量|金额|收款|占比|次数|天数|达成|满意度|周期|单价|毛利|业绩|台数|场次|人次)$")
FORMULA = re.compile(r"公式|=|＝|÷|/|计算|占比|比率|之比|除以|[：:][^，,；;]{2,20}数(?:[，,；;]|$)|"
                     r"^[^，,；;]{3,24}(?:数|额|量|金额|天数|次数)(?=[，,；;]|$)")
TARGET = re.compile(r"目标|≥|≤|>=|<=|不低于|不少于|不超过|达到|\d")
FREQ = re.compile(r"每日|每天|日度|每周|周度|按周|每月|月度|按月|每季|季度|按季|每年|年度|按年|半年")
OWNER = re.compile(r"负责|负责人|由[^，,；;。]{1,12}(?:负责|牵头|汇总|跟进|执行)|牵头")


@dataclass(slots=True)
class Kpi:
    name: str
    detail: str  # what follows the name: formula, frequency, target, owner
    shared: str  # words said of every KPI in the sentence ('均由区域经理杨帆负责汇总')

    @property
    def text(self) -> str:
        return f"{self.name}：{self.detail}" + (f"；{self.shared}" if self.shared else "")


def _kpi(name: str, detail: str, shared: str) -> Kpi:
    return Kpi(name, detail, shared)


def kpis_in_text(text: str, in_kpi_section: bool = False) -> list[Kpi]:
    """KPIs listed in a sentence ('考核看三个指标：A（公式，按月，目标…）、B（…）和C（…），均由X负责') or as clauses
    ('A=公式，按月考核，目标100%，负责人X；B=…')."""
    out: list[Kpi] = []
    for sent in sentences(text):
        # form B: one KPI per clause, 'name=formula…' or 'name：formula…'
        for clause in clauses(sent):
            m = re.match(r"^\s*([^=＝：:，,（(]{2,14}?)\s*[=＝：:]\s*(.+)$", clause)
            if m and KPI_NAME.search(m.group(1)) and FORMULA.search(m.group(2).split("，")[0]):
                out.append(_kpi(m.group(1).strip(), m.group(2), ""))
        if out:
            continue
        # form A: a list after a KPI word
        cue = KPI_CUE.search(sent)
        if not (cue or in_kpi_section):
            continue
        rest = sent[cue.end():] if cue else sent
        lead = re.match(r"^[^：:（(。]{0,14}[：:]\s*", rest)
        rest = rest[lead.end():] if lead else rest
        parts = split_top(rest, "、，,和及")
        shared = " ".join(p for p in parts if OWNER.search(p) and "（" not in p and "(" not in p)
        for part in parts:
            name = re.split(r"[（(]", part, maxsplit=1)[0].strip()
            name = re.sub(r"^(?:看|是|包括|考核|主要|三个|四个|指标|的)+", "", name).strip()
            detail = part[len(part.split("（")[0].split("(")[0]):].strip("（）() ")
            if 2 <= len(name) <= 12 and KPI_NAME.search(name) and not re.search(r"\d", name):
                out.append(_kpi(name, detail, shared))
    return out


# ---------------------------------------------------------------- risks with responses

TRIGGER = re.compile(r"如果|若|一旦|当.{1,24}时|时[，,]|信号|超过|低于|推迟|延迟|连续|延长|出现|下降|上涨|不到|少于|多于|流失|离职")
RESPONSE = re.compile(r"应对|改为|启动|提前|暂停|调整|调往|调配|加开|推出|转向|接手|补足|增加|拆|上门|约谈|停止|砍掉|锁定|争取|"
                      r"用.{1,16}(?:对冲|替代|弥补)|不跟价|放弃|加强|升级|催收|共享|分担|预案|措施|对策")


@dataclass(slots=True)
class Risk:
    text: str
    trigger: bool
    response: bool
    owner: bool


def risks_in_text(text: str) -> list[Risk]:
    """Risks written one per clause: '…如果推迟，…，应对是…，由杨帆负责；…'."""
    out = []
    body = re.sub(r"^[^：:]{0,12}(?:风险|应对)[^：:]{0,8}[：:]", "", text.strip())
    for sent in sentences(body):
        for clause in clauses(sent):
            clause = re.sub(r"^\s*(?:[一二三四五六七八九十]+是|\d+[.、．])\s*", "", clause)
            if len(clause) < 10:
                continue
            out.append(Risk(clause, bool(TRIGGER.search(clause)), bool(RESPONSE.search(clause)),
                            bool(OWNER.search(clause))))
    return out


# ---------------------------------------------------------------- people

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
            "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易"
            "乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍"
            "华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和")
ROLE = r"店长|经理|主管|总监|专员|组长|负责人|主任|顾问|工程师|销售|总经理|副总|带教|班主任|老师"
NAME = rf"[{SURNAMES}][\u4e00-\u9fa5]{{1,2}}"
PERSON_NAME = re.compile(NAME)
PERSON_CONTEXTS = [
    re.compile(rf"(?:{ROLE})[是为：:]?\s*({NAME})(?=[，,、；;。）)\s和及]|$|负责|牵头|带教|代管|兼管)"),
    re.compile(rf"由({NAME})(?:负责|牵头|带教|代管|兼管|协调|汇总|配合)"),
    re.compile(rf"(?:^|[，,、；;：:（(\s])({NAME})(?:负责|牵头)"),
    re.compile(rf"负责人\s*[：:是为]?\s*({NAME})(?![\u4e00-\u9fa5])"),
    re.compile(rf"(?:^|[：:、，,；;\s])({NAME})[（(][^）)]{{1,12}}[）)]"),
    re.compile(rf"[（(]({NAME})[，,）)]"),
    re.compile(rf"(?:^|[：:，,；;\s])({NAME})(?:完成|整理|组织|负责|牵头|带教|跟进)"),
]


def people_in_text(text: str) -> set[str]:
    """Person names written where people are: '店长吴倩', '由周岚负责', '王浩（合肥）', '负责人：张涛'."""
    found = set()
    for pattern in PERSON_CONTEXTS:
        for m in pattern.finditer(text):
            name = m.group(1)
            if not re.search(r"负责|牵头|经理|主管|销售|团队|客户|区域|市场|[店区组部市省县镇院校司厂]$", name):
                found.add(name)
    return found


# ---------------------------------------------------------------- channels with their targets

CHANNEL_WORD = re.compile(r"直销|经销|代理|分销|电商|线上|门店|商超|KA|便利店|餐饮|伙伴|转介绍|设计院|总包|团购|旗舰店|茶空间|渠道")


def channels_in_text(text: str) -> list[str]:
    """Channels named in sentences with their targets: '直销1,920万元（60%），设计院推荐800万元（25%）' or
    '…5名直销人员负责，目标960万元，占80%；两家经销商…，目标240万元，占20%'."""
    out = []
    for clause in clauses(text):
        pieces = [p for p in re.split(r"[，,。]", clause)
                  if CHANNEL_WORD.search(p) and (MONEY_RE.search(p) or RATE_RE.search(p))]
        if len(pieces) >= 2:
            out += pieces
        elif CHANNEL_WORD.search(clause) and (MONEY_RE.search(clause) or RATE_RE.search(clause)):
            out.append(clause)
    return out
