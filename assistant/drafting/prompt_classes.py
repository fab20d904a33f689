"""Which prompt set a model gets: an explicit PLAN_PROMPT_VERSION, else the current version of the model's class
(prompts/classes.yaml), the class set by PLAN_PROMPT_CLASS or guessed from the model name and address.

    choose_version(settings)   # "v4-small" for local-qwen@127.0.0.1, "v4-strong" for deepseek-chat@api.deepseek.com
    model_class(settings)      # ("small", "模型名含 0.5b")

Kept light (yaml and re only): the settings call it while they are being read.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import yaml

if TYPE_CHECKING:
    from ..config import Settings

CLASSES_FILE = "classes.yaml"
CLASS_LABELS = {"small": "小模型类", "strong": "强模型类"}
_BILLIONS = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[bB](?![a-zA-Z])")


@lru_cache(maxsize=4)
def _read(path: str, stamp: float) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def classes(prompts_dir: Path) -> dict[str, Any]:
    path = Path(prompts_dir) / CLASSES_FILE
    return _read(str(path), path.stat().st_mtime if path.is_file() else 0.0)


def _local(base_url: str | None) -> bool:
    host = urlparse(base_url or "").hostname or ""
    if host in ("localhost", "") or host.endswith(".local"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private


def guess_class(model: str | None, base_url: str | None, guess: dict[str, Any]) -> tuple[str, str]:
    """(class, reason in Chinese) from the model name, then the endpoint's address."""
    name = (model or "").lower()
    sizes = [float(x) for x in _BILLIONS.findall(name)]
    if sizes:
        big = max(sizes)
        limit = float(guess.get("small_max_billions", 14))
        return ("small" if big <= limit else "strong"), f"模型名含 {big:g}B 参数"
    for cls in ("strong", "small"):
        for word in guess.get(cls) or []:
            if str(word).lower() in name:
                return cls, f"模型名含「{word}」"
    if not model:
        return "small", "未配置模型，按本地小模型"
    if _local(base_url):
        return "small", "模型服务在本机或内网"
    return "strong", "托管的模型服务"


def model_class(settings: Settings) -> tuple[str, str]:
    if settings.prompt_class != "auto":
        return settings.prompt_class, "按设置指定"
    return guess_class(settings.llm_model, settings.llm_base_url, classes(settings.prompts_dir).get("guess") or {})


def choose_version(settings: Settings) -> str:
    """The class's current version (prompts/classes.yaml); v1 when the file names none."""
    cls, _ = model_class(settings)
    return str((classes(settings.prompts_dir).get("versions") or {}).get(cls) or "v1")


def describe(settings: Settings) -> str:
    """How the prompt set was chosen, for plan notes and the CLI: 「v4-small（小模型类：模型名含 0.5B 参数）」."""
    cls, reason = model_class(settings)
    version = settings.prompt_version
    if version != choose_version(settings):
        return f"{version}（按设置指定的版本）"
    return f"{version}（{CLASS_LABELS.get(cls, cls)}：{reason}）"
