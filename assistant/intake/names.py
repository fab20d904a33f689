"""Reading names out of a clause: the company (我们是星河科技, 公司是X, 星河医疗明年…), competitors (also written
together without separators: 立邦多乐士和三棵树 — split by the brand lexicon, jieba for the unknown, a question
when unsure), channels and lead sources (直销为主，也有几家代理商; 线索主要来自抖音和展会), the region, the product
and the industry (from the user's words, or inferred from product words).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import patterns as pat
from .lexicon import lexicon
from .text import MASK, Clause

if TYPE_CHECKING:
    from .rule_reader import Reader

_BOUNDARY = r"(?=$|[\s,，:：的]|明年|今年|后年|\d|主要|做|卖|是|在|专|" + "|".join(pat.PLACES[:60]) + ")"


def _company_name_re() -> re.Pattern:
    suffixes = "|".join(re.escape(s) for s in lexicon().company_suffixes)
    return re.compile(rf"(?P<name>(?P<brand>[\u4e00-\u9fa5]{{2,4}}?)(?:{suffixes}){{1,3}}){_BOUNDARY}")


_NAME_RE = _company_name_re()
# a legal name (…有限公司, …集团) is a name whatever words it contains (华东润滑油有限公司)
_LEGAL_NAME_RE = re.compile(r"(?P<name>(?P<brand>[\u4e00-\u9fa5A-Za-z0-9()]{2,20}?)"
                            r"(?:股份有限公司|有限责任公司|有限公司|集团公司|集团|公司))(?=$|[\s,，:：]|明年|今年|的|主要|做|在)")
SHARE_RE = re.compile(r"(?<![\d.])\d++(?:\.\d+)?%|[一二三四五六七八九]成|一半")
_INTRO_RE = re.compile(r"^(?:我们是|我们|我司是|我司|这是|本公司是|我是|名叫|名字叫|叫做|叫)")


def _plausible_name(name: str, brand: str) -> bool:
    lex = lexicon()
    head = name[:2]
    if name in lex.industry_of_word or lex.industry_re.search(brand):
        return False  # 防水材料, 工业涂料: a product, not a name
    return not (any(w in brand for w in ("做", "卖", "主要", "的", "是", "在", "有", "属于")) or
                any(head.startswith(w) for w in lex.company_not_names) or pat.COMPANY_STOP.match(name))


def read_company(r: Reader, c: Clause) -> None:
    m = pat.COMPANY_KEY_RE.search(c.text)
    if m and not pat.COMPANY_STOP.match(m.group(1)) and m.group(1) not in ("公司", "集团") \
            and not m.group(1).endswith(("分公司", "子公司")):
        r.put("company", m.group(1).strip("()"))
        c.mask_match(m)
        return
    intro = _INTRO_RE.match(c.text)
    rest = c.text[intro.end():] if intro else c.text
    if intro or not r.values.get("company"):
        legal = _LEGAL_NAME_RE.match(rest)
        if legal and (pat.COMPANY_STOP.match(legal.group("name"))
                      or re.search(r"是|做|卖|的|主要|在|竞争|对手|渠道|还有|一些|客户", legal.group("brand"))):
            legal = None
        n = legal or _NAME_RE.match(rest)
        placed = intro or r.clause_index <= 1 or n is not None and n.end() == len(rest)
        if n and placed and (n is legal or _plausible_name(n.group("name"), n.group("brand"))) \
                and not n.group("name").endswith(("分公司", "子公司", "办事处")):
            name = n.group("name")
            r.put("company", name)
            r.company_words = name
            offset = intro.end() if intro else 0
            c.mask(0, offset + n.end())


# ---------------------------------------------------------------- competitors


def _segment(part: str, r: Reader) -> list[str]:
    """One piece of a list, split into brands: known brands by the lexicon (longest first), what is left between
    them as its own name; a long unknown run is cut by jieba only where it ends in a company word, else kept and asked."""
    lex = lexicon()
    for noise in lex.brand_noise:
        part = part.replace(noise, " ")
    part = part.strip(" :").lstrip("的")
    if not part:
        return []
    out: list[str] = []
    pos = 0
    for m in lex.brand_re.finditer(part):
        gap = part[pos:m.start()].strip()
        if len(gap) >= 2:
            out.append(gap)
        out.append(m.group(0))
        pos = m.end()
    tail = part[pos:].strip()
    if len(tail) >= 2 or (tail and not out):
        out.append(tail)
    for i, name in enumerate(out):
        if len(name) > 5 and not lex.brand_re.fullmatch(name) and re.search(r"[\u4e00-\u9fa5]", name):
            pieces = _jieba_split(name)
            if len(pieces) > 1:
                out[i:i + 1] = pieces
            else:
                r.uncertain.add("competitors")
                r.notes.append(f"「{name}」是一家还是几家？如果是几家，请用顿号分开再说一次")
    return [o.strip() for o in out if o.strip()]


def _jieba_split(name: str) -> list[str]:
    """Cut a run of several company names after each company word (科技, 软件 …) jieba finds in it."""
    import jieba

    jieba.setLogLevel(60)
    suffixes = set(lexicon().company_suffixes)
    pieces, current = [], ""
    for word in jieba.lcut(name, HMM=True):
        current += word
        if word in suffixes and len(current) >= 3:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces if all(len(p) >= 2 for p in pieces) else [name]


def list_items(text: str, r: Reader, brands: bool) -> list[str]:
    lex = lexicon()
    items: list[str] = []
    for raw in pat.LIST_SPLIT.split(text.replace(MASK, " ")):
        part = pat.LIST_NOISE_RE.sub("", raw).strip(" :")
        if part and brands:
            described = re.search(r"(?:还有|以及)?(?:一些|一批|其他|其它|几家)\S*$", part)
            if described and described.start() > 0:  # "金蝶还有一些本地小公司": the names before the description
                r.described = True
                part = part[:described.start()]
        if not part or pat.NOT_A_NAME.search(part) or len(part) > 20:
            r.described = r.described or bool(part)
            continue
        found = _segment(part, r) if brands else [part]
        items += [i for i in found if not re.search(r"\d", i) or lex.brand_re.fullmatch(i)
                  or re.fullmatch(r"[A-Za-z0-9.\-]*[A-Za-z][A-Za-z0-9.\-]*", i)]
    return list(dict.fromkeys(i for i in items if 1 <= len(i) <= 20))


def read_competitors(r: Reader, c: Clause) -> bool:
    s = c.text
    remove = pat.LIST_REMOVE.search(s)
    for i, rx in enumerate(pat.COMPETITOR_RES):
        m = rx.search(s)
        if not m:
            continue
        text = m.group(1)
        if remove:
            text = text.replace(remove.group(0), " ")
        items = list_items(text, r, brands=True)
        if not items:
            continue
        r.last_list = "competitors"
        c.keep = c.keep or r.described  # "一些本地小公司" is not a name but is worth keeping
        r.described = False
        if remove:
            r.remove_items("competitors", items)
        else:
            additive = i == 1 or bool(pat.LIST_ADDS.search(s[:m.start(1) + 2]))
            r.put("competitors", items, additive=additive)
        c.mask(0, len(c.text))
        return True
    return False


# ---------------------------------------------------------------- channels


def read_channels(r: Reader, c: Clause) -> bool:
    lex = lexicon()
    s = c.text
    explicit = re.search(r"渠道(?:里|中)?(?:主要)?(?:再)?(?:加上|增加|新增|添加|补充|有|是|包括|:|以)\s*(.{1,200})", s)
    found = [m.group(0) for m in lex.channel_re.finditer(s)]
    share = SHARE_RE.search(s) \
        if not re.search(r"投放|预算|费用|经费", s) else None
    remove = pat.LIST_REMOVE.search(s)
    context = any(w in s for w in lex.channel_context)
    if pat.BREAKDOWN.search(s) and r.last_key_field == "budget_total":
        return False  # "预算100万，其中线上投放占六成": a budget line, not a channel
    if explicit:
        items = []
        for part in list_items(explicit.group(1), r, brands=False):
            inside = [m.group(0) for m in lex.channel_re.finditer(part)]
            items += inside or [part]
    elif found and (context or share or remove):
        items = found
    else:
        return False
    items = [re.sub(r"渠道$", "", i) for i in dict.fromkeys(items) if re.sub(r"渠道$", "", i)]
    if not items:
        return False
    if share and found:
        c.keep = True
    only = re.search(r"只做|只走|只保留", s)
    if remove and not only:
        gone = [i for i in items if i in s[:remove.start()] or i in s[remove.end():remove.end() + 8]]
        r.remove_items("channels", gone or items)
    else:
        if remove and only:
            items = [i for i in items if i not in s[:remove.start() + len(remove.group(0))] or s.find(i) > only.start()]
        additive = bool(pat.LIST_ADDS.search(s)) or "channels" in r.values and not only
        r.put("channels", items, additive=additive and not only)
    r.last_list = "channels"
    for m in list(lex.channel_re.finditer(c.text)):
        c.mask_match(m)
    for m in list(re.finditer(r"为主|为辅|辅以|渠道|模式|三条线|两条线|获客方式|获客", c.text)):
        c.mask_match(m)
    return True


# ---------------------------------------------------------------- region, product, industry


def read_region(r: Reader, c: Clause) -> None:
    s = c.text
    names: list[str] = []
    for m in pat.REGION_GROUP_RE.finditer(s):
        names += pat.REGION_GROUPS[m.group(0)]
    s = pat.REGION_GROUP_RE.sub(lambda m: MASK * len(m.group(0)), s)
    names += [re.sub(r"(?:省|市|地区)$", "", m.group(0)) for m in pat.PLACE_RE.finditer(s)]
    key = pat.REGION_KEY_RE.search(s) if not names else None
    if key:  # "区域改成西部大区": the name after the key, not a known place
        names = [re.sub(r"(?:大区|片区|区域)$", "", key.group(1)) or key.group(1)]
    if not names:
        m = pat.NAMED_AREA_RE.search(s)
        if m and m.group(1) not in pat.AREA_STOP and not any(w in m.group(1) for w in pat.AREA_STOP):
            names = [m.group(1)]
    if not names:
        return
    c.tags.add("place")
    said = str(r.values.get("region") or "").split("、")
    if all(n in said for n in names):
        names = said  # "区域是江苏和安徽，安徽是新开的": the second clause says more about a place already named
    additive = bool(re.search(r"再加上|加上|再加|还有|增加", c.text)) and r.current("region")
    r.put("region", "、".join(dict.fromkeys(names)), additive=bool(additive))
    c.text = pat.PLACE_RE.sub(lambda m: MASK * len(m.group(0)), pat.REGION_GROUP_RE.sub(
        lambda m: MASK * len(m.group(0)), c.text))
    c.mask_all(pat.REGION_COUNT_RE)
    for m in list(re.finditer(r"六省一市|(?<=[\x00])(?:区域|市场|大区|区|片区)", c.text)):
        c.mask_match(m)


def _clean_product(text: str) -> str:
    text = re.sub(r"^(?:的|是|主要是|主要)|(?:的|生意|业务|为主|产品|的项目)$", "", text.strip(" :"))
    items = [p.strip() for p in re.split(r"[、和与及/]", text) if p.strip()]
    return "、".join(dict.fromkeys(items))


def read_product(r: Reader, c: Clause) -> None:
    lex = lexicon()
    s = c.text
    for rx in pat.INDUSTRY_RES:
        m = rx.search(s)
        if m and not re.search(r"重点|客户|目标", s[:m.start()]):
            r.put("industry", m.group(1).strip(":"))
            r.industry_said = True
            c.mask_match(m)
            return
    for rx in pat.PRODUCT_RES:
        m = rx.search(s)
        if m and not re.search(r"计划|方案|目标|销售额|市场|多少|\d", m.group(1)):
            product = _clean_product(m.group(1))
            if product and all(p in lex.customer_words for p in product.split("、")):
                c.keep = True  # "做政府和国企的项目": who buys, kept as a note
                c.mask_match(m)
                return
            if product and product not in lex.industry_only and not lex.channel_re.fullmatch(product):
                r.put("product", product)
                c.mask_match(m)
                return
    m = re.fullmatch(r"\s*(?P<who>我们|我司|公司)?(?:是|主要|专门)?(?:做|卖|生产|代理|经营)(?![了得过到好完\d])"
                     r"([\u4e00-\u9fa5A-Za-z0-9]{2,20})", s)
    if m and (m.group("who") or lex.industry(m.group(2))) and not lex.channel_re.fullmatch(m.group(2)):
        r.put("product", _clean_product(m.group(2)))
        c.mask_match(m)
        return
    m = re.search(rf"([^\s{MASK}，]{{2,12}}?)(?:为主|产品(?=走|卖|以)|业务(?=\x00|明年|今年|目标))", s)
    if m and lex.industry(m.group(1)) and not lex.channel_re.fullmatch(m.group(1)):
        r.put("product", _clean_product(m.group(1)))
        c.mask_match(m)
        return
    whole = re.sub(r"^(?:我们是|我们|是)(?:一家|一个|个)?", "", c.text.strip())
    if MASK in c.text or any(w in c.raw for w in lex.note_triggers) or re.search(r"是|有|在|要", whole):
        return
    for brand in lex.brand_re.findall(whole):
        whole = whole.replace(brand, "")
    whole = whole.strip("的 ")
    if whole and len(whole) <= 12 and not re.search(r"\s|\d(?!S)", whole) and lex.industry(whole):
        if whole in lex.industry_only or re.fullmatch(r"4S店?", whole):
            r.industry_words.append(whole)
        else:
            r.put("product", _clean_product(whole))
        c.mask(0, len(c.text))


def infer_industry(r: Reader) -> None:
    """Industry from the product, the company's name or an industry word, unless the user named it."""
    if r.industry_said or r.current("industry"):
        return
    lex = lexicon()
    word = lex.industry_word(*(w for w in (r.values.get("product"), *r.industry_words) if w)) or \
        lex.industry_word(r.values.get("company") or "")
    if word:
        r.put("industry", lex.industry_of_word[word])
        if word != lex.industry_of_word[word]:
            r.notes.append(f"行业按「{word}」推断为{lex.industry_of_word[word]}，如不对请告诉我或在表单里改")
