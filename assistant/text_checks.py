"""Checks on written text shared by the model chain and the validator, so the chain rejects (and re-asks) exactly
what the validator would fail: placeholders such as 某某, 待定, TODO, XX, [FILL], 请填写, （待确认）.
"""

from __future__ import annotations

import re

PLACEHOLDER_RE = re.compile(r"(?<![A-Za-z])[XxＸ×]{2,}(?![A-Za-z])|某某|待定|\[FILL\]|【FILL】|TODO|TBD|"
                            r"\?{3,}|？{2,}|\{\{|请填写|此处填写|（填写）|[（(][^（）()]{0,12}待确认[)）]", re.I)


def has_placeholder(text: str) -> bool:
    """A template placeholder left in the text (what the validator's no_placeholders check fails)."""
    return bool(PLACEHOLDER_RE.search(text))
