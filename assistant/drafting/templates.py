"""The offline drafter's text templates (prompts/offline.yaml): loaded once per file, filled with `$name` slots.

One template syntax for every text the assistant writes: string.Template (`$name`), as in prompts/<version>/.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any

import yaml

from ..config import get_settings
from ..planning.playbooks import join_folded

OFFLINE_FILE = "offline.yaml"


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def templates() -> dict[str, Any]:
    """The offline templates of the configured prompts folder."""
    return _load(str(get_settings().prompts_dir / OFFLINE_FILE))


def fill(value: Any, slots: dict[str, str]) -> Any:
    """Fill every string of a template tree; an unknown `$name` is a KeyError (a template bug, not user input)."""
    if isinstance(value, str):
        # folded YAML joins lines with a space; Chinese text wants none
        return join_folded(Template(value).substitute(slots))
    if isinstance(value, list):
        return [fill(v, slots) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, slots) for k, v in value.items()}
    return value


def say(path: str, **slots: object) -> str:
    """One offline sentence: `say("swot.baseline", baseline="960万元")` fills templates()["swot"]["baseline"]."""
    node: Any = templates()
    for key in path.split("."):
        node = node[key]
    return fill(node, {k: str(v) for k, v in slots.items()})
