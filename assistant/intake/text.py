"""Cutting a message into clauses the reader can take one by one.

Each clause keeps `raw` (as typed, after width folding: what seasonality and notes quote) and `text` (typos fixed,
English keys in Chinese, 3个亿 -> 3亿: what the patterns read). Passes mask what they consume in `text`, so one
number is never read twice, and what is left unread decides whether the clause is kept as a note.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .lexicon import lexicon

MASK = "\x00"
CJK = r"\u4e00-\u9fff"
_SPLIT = re.compile(r"[。!?;\n,]+")
_NUMBERING = re.compile(r"(?:^|(?<=\s))\d{1,2}[.、)]\s*(?=[^\d\s])")
_CJK_GAP = re.compile(rf"(?<=[{CJK}%])\s+(?=[{CJK}])|(?<=\d[万亿wW])\s+(?=[{CJK}])")


@dataclass
class Clause:
    raw: str
    text: str
    keep: bool = False  # a pass read something it could not place: keep the clause as a note
    tags: set[str] = field(default_factory=set)  # what the clause was found to be about (season, wording, …)

    def mask(self, start: int, end: int) -> None:
        self.text = self.text[:start] + MASK * (end - start) + self.text[end:]

    def mask_match(self, m: re.Match, group: int | str = 0) -> None:
        self.mask(m.start(group), m.end(group))

    def mask_all(self, rx: re.Pattern) -> None:
        self.text = rx.sub(lambda m: MASK * len(m.group(0)), self.text)

    @property
    def unread(self) -> str:
        return self.text.replace(MASK, " ")


def fold(text: str) -> str:
    """Width folding (全角 -> 半角) and thousands separators; what every later step sees."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def normalise(clause: str) -> str:
    """Typos and English keys read as meant; spoken amounts made regular (3个亿 -> 3亿)."""
    lex = lexicon()
    for wrong, right in lex.typos.items():
        clause = clause.replace(wrong, right)
    for word, chinese in sorted(lex.english.items(), key=lambda kv: -len(kv[0])):
        clause = re.sub(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", chinese, clause, flags=re.I)
    return clause.replace("个亿", "亿")


def split_clauses(text: str) -> list[Clause]:
    """Clauses of a message: sentences, comma pieces, numbered list items and run-on pieces separated by spaces.
    Space-separated names right after a list key (竞品有三只松鼠 良品铺子 百草味) stay one clause."""
    text = _NUMBERING.sub("\n", fold(text))
    pieces: list[str] = []
    for part in _SPLIT.split(text):
        chunks = [c.strip() for c in _CJK_GAP.split(part) if c.strip()]
        for i, chunk in enumerate(chunks):
            if i and _continues_list(normalise(pieces[-1]), chunk):
                pieces[-1] = f"{pieces[-1]}、{chunk}"
            else:
                pieces.append(chunk)
    return [Clause(raw=p, text=normalise(p)) for p in pieces if p.strip()]


_LIST_KEY = re.compile(r"竞争对手|竞品|竞对|对手|友商|渠道")


def _continues_list(previous: str, chunk: str) -> bool:
    return bool(_LIST_KEY.search(previous)) and len(chunk) <= 8 and not re.search(r"\d|目标|预算|明年|今年|渠道|竞", chunk)
