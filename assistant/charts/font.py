"""The charts' font: a GBK subset of Noto Sans SC shipped in fonts/ (SIL OFL 1.1), so Chinese labels render the same
on every machine, fonts installed or not. Registered with matplotlib once, on first use."""

from __future__ import annotations

import logging
import re
import threading
from functools import cache
from pathlib import Path

FONT_FILE = Path(__file__).parent / "fonts" / "PlanAssistSansSC-Regular.ttf"
FAMILY = "PlanAssist Sans SC"
_lock = threading.Lock()
log = logging.getLogger(__name__)


@cache
def _registered() -> str:
    from matplotlib import font_manager

    with _lock:
        font_manager.fontManager.addfont(str(FONT_FILE))
    return FAMILY


@cache
def _cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(FONT_FILE), lazy=True).getBestCmap())


@cache
def _installed_cjk() -> tuple[str, ...]:
    """CJK families this machine happens to have: only consulted for a character outside GBK."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return tuple(sorted(n for n in names if re.search(r"CJK|Han Sans|Hei|WenQuanYi|Song", n) and n != FAMILY))


def rc() -> dict:
    """matplotlib settings for every chart: the shipped font first; installed CJK fonts, then DejaVu Sans (matplotlib's
    own), only for characters the shipped font lacks."""
    return {"font.family": [_registered(), *_installed_cjk(), "DejaVu Sans"], "axes.unicode_minus": False, "font.size": 9,
            "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": 10.5,
            "svg.fonttype": "none", "pdf.fonttype": 42}


def missing_glyphs(text: str) -> str:
    """The characters of `text` the shipped font cannot draw (outside GBK), in order, without repeats."""
    cmap = _cmap()
    return "".join(dict.fromkeys(c for c in text if not c.isspace() and ord(c) not in cmap))
