"""The intake reader's vocabulary, loaded once from lexicon.yaml: industries by product word, company-name suffixes,
competitor brands, channels, team roles and the words that make a clause worth keeping as a note."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

LEXICON_FILE = Path(__file__).with_name("lexicon.yaml")


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@dataclass(frozen=True)
class Lexicon:
    industry_of_word: dict[str, str]
    industry_only: frozenset[str]
    company_suffixes: tuple[str, ...]
    company_not_names: tuple[str, ...]
    brands: frozenset[str]
    brand_noise: tuple[str, ...]
    channels: frozenset[str]
    channel_context: tuple[str, ...]
    role_of_word: dict[str, str]
    not_quota_bearing: frozenset[str]
    note_triggers: tuple[str, ...]
    filler: tuple[str, ...]
    typos: dict[str, str]
    english: dict[str, str]
    customer_words: frozenset[str]

    # compiled alternations (longest first)
    @property
    def industry_re(self) -> re.Pattern:
        return _compiled("industry", _alternation(list(self.industry_of_word)))

    @property
    def brand_re(self) -> re.Pattern:
        return _compiled("brand", _alternation(list(self.brands)))

    @property
    def channel_re(self) -> re.Pattern:
        return _compiled("channel", rf"(?:线上|线下)?(?:{_alternation(list(self.channels))})")

    @property
    def role_alternation(self) -> str:
        return _alternation([w for w in self.role_of_word if w not in ("人", "个人")])

    def industry(self, *texts: str) -> str | None:
        """The industry label of the longest industry word found in the texts (None when there is none)."""
        word = self.industry_word(*texts)
        return self.industry_of_word[word] if word else None

    def industry_word(self, *texts: str) -> str | None:
        found = [m.group(0) for t in texts if t for m in self.industry_re.finditer(t)]
        return max(found, key=len) if found else None

    def role(self, word: str) -> str:
        return self.role_of_word.get(word, self.role_of_word.get(word.lower(), word))


_PATTERNS: dict[str, re.Pattern] = {}


def _compiled(name: str, pattern: str) -> re.Pattern:
    if name not in _PATTERNS:
        _PATTERNS[name] = re.compile(pattern, re.I if name == "brand" else 0)
    return _PATTERNS[name]


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    data = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    industry_of_word = {w: label for label, words in data["industries"].items() for w in words}
    role_of_word = {w: role for role, words in data["roles"].items() for w in words}
    return Lexicon(
        industry_of_word=industry_of_word, industry_only=frozenset(data["industry_only"]),
        company_suffixes=tuple(sorted(data["company_suffixes"], key=len, reverse=True)),
        company_not_names=tuple(data["company_not_names"]),
        brands=frozenset(b for words in data["brands"].values() for b in words),
        brand_noise=tuple(sorted(data["brand_noise"], key=len, reverse=True)),
        channels=frozenset(data["channels"]), channel_context=tuple(data["channel_context"]),
        role_of_word=role_of_word, not_quota_bearing=frozenset(data["not_quota_bearing"]),
        note_triggers=tuple(data["note_triggers"]), filler=tuple(data["filler"]),
        typos=dict(data["typos"]), english={k.lower(): v for k, v in data["english"].items()},
        customer_words=frozenset(data["customer_words"]))
