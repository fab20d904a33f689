"""Chinese text normalisation and tokenisation, shared by BM25, the hashing embedding and the cleaners.

Indexing always sees the normalised form (NFKC, Traditional -> Simplified via OpenCC, lower case); display text
keeps the original. jieba and OpenCC are initialised once per process, lazily, behind a lock.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from functools import lru_cache

_lock = threading.Lock()
_converter = None
_jieba = None

# Sales-planning vocabulary jieba's general dictionary splits badly ("赢单率" -> 赢/单率). Domain terms, not labels.
DOMAIN_WORDS = [
    "销售漏斗", "漏斗模型", "赢单率", "转化率", "客单价", "回款率", "回款", "复购率", "续约率", "流失率",
    "商机", "线索", "有效线索", "合格线索", "成交周期", "销售周期", "人均产能", "产能测算", "目标分解",
    "季节系数", "季节性", "SMART原则", "SWOT分析", "PEST分析", "五力模型", "客户画像", "决策链",
    "关键决策人", "渠道规划", "渠道冲突", "经销商", "代理商", "分销商", "直销", "大客户", "KA客户",
    "提成", "阶梯提成", "奖金池", "考核激励", "复盘", "周会", "晨会", "月度复盘", "预警阈值",
    "应急预案", "费用率", "投入产出比", "获客成本", "客户生命周期", "市场份额", "市场占有率",
    "竞品", "竞争对手", "差异化", "定价策略", "促销策略", "地推", "转介绍", "老带新", "CRM系统",
    "执行摘要", "行动计划", "甘特图", "里程碑", "关键节点", "责任人", "交付成果",
]

STOPWORDS = frozenset(
    """
    的 了 和 与 及 以及 或 或者 等 等等 是 在 对 为 为了 将 把 被 也 都 而 并 并且 且 从 向 于 之 其 这 那 这个 那个
    这些 那些 一个 一些 个 们 我 我们 你 你们 他 他们 她 它 它们 您 自己 有 没有 就 还 又 再 很 更 最 要 会 能 可以
    可 应 应该 需要 进行 通过 如何 什么 怎么 怎样 哪些 为什么 吗 呢 吧 啊 中 上 下 里 内 外 时 后 前 如 如果 则 即
    因此 所以 但 但是 而且 不 让 给 使 以 用 由 着 过 到 去 来 说 做 该 此 各 每 所 已 已经 还是 就是 这样 那样
    a an the of to in on for and or is are be by with as at from that this it
    """.split()
)

# Markdown structure every stage recognises (loaders, cleaning, splitter)
TABLE_ROW = re.compile(r"^\|.*\|$")

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_HAS_WORD_CHAR = re.compile(rf"[{_CJK}A-Za-z0-9]")
_SPACE = re.compile(r"\s+")


def _get_converter():
    global _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                import opencc

                _converter = opencc.OpenCC("t2s")
    return _converter


def get_jieba():
    """The jieba module, initialised once with the domain words and without its chatty log."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                for word in DOMAIN_WORDS:
                    jieba.add_word(word, freq=2000)
                _jieba = jieba
    return _jieba


def to_simplified(text: str) -> str:
    """Traditional -> Simplified Chinese (OpenCC t2s); Simplified text passes through unchanged."""
    return _get_converter().convert(text) if text else text


def normalize(text: str) -> str:
    """The form every index sees: NFKC (full-width -> half-width), Simplified, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    return text.lower()


def _keep(token: str) -> bool:
    return bool(token.strip()) and token not in STOPWORDS and bool(_HAS_WORD_CHAR.search(token))


def words(normalized: str) -> list[str]:
    """jieba words (precise mode) of already-normalised text, minus stopwords and punctuation."""
    jieba = get_jieba()
    return [t.strip() for t in jieba.lcut(normalized) if _keep(t)]


def expand_for_search(precise: list[str]) -> list[str]:
    """jieba's search mode from precise-mode words: each long word also yields its dictionary sub-words
    (so "转化率" matches "转化"), without segmenting the text twice."""
    freq = get_jieba().dt.FREQ
    out: list[str] = []
    for w in precise:
        n = len(w)
        if n > 2:
            out.extend(g for i in range(n - 1) if freq.get(g := w[i:i + 2]) and g not in STOPWORDS)
        if n > 3:
            out.extend(g for i in range(n - 2) if freq.get(g := w[i:i + 3]))
        out.append(w)
    return out


def search_tokens(normalized: str) -> list[str]:
    """Tokens for BM25: jieba search mode (long words plus their sub-words), minus stopwords and punctuation."""
    return expand_for_search(words(normalized))


def tokenize(text: str) -> list[str]:
    """BM25 tokens of raw text (normalises first). Queries and documents go through the same path."""
    return search_tokens(normalize(text))


def cjk_bigrams(normalized: str) -> list[str]:
    """Overlapping character bigrams inside each run of Chinese characters (single characters stay unigrams)."""
    grams: list[str] = []
    for run in _CJK_RUN.findall(normalized):
        if len(run) == 1:
            if run not in STOPWORDS:
                grams.append(run)
            continue
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams


@lru_cache(maxsize=200_000)
def idf(word: str) -> float:
    """A static IDF from jieba's dictionary frequencies: corpus-independent, so stored vectors never go stale."""
    jieba = get_jieba()
    dt = jieba.dt
    freq = dt.FREQ.get(word) or 0
    total = dt.total
    if freq <= 0:
        # unknown to the dictionary: rarer than most words, but do not let typos dominate
        return math.log(total / 5.0)
    return math.log(total / (freq + 1.0))


def squash_spaces(text: str) -> str:
    return _SPACE.sub(" ", text).strip()
