"""File writing that never leaves a half-written file, and export names that are safe on every OS."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def atomic_write(path: str | Path, data: str | bytes) -> Path:
    """Write to a temp file in the same folder, fsync, then rename over the target."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp creates 0600; exports are ordinary files
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def safe_filename(name: str, default: str = "方案", max_len: int = 80) -> str:
    """A file name (no folder) safe on Windows, macOS and Linux; keeps Chinese."""
    cleaned = _UNSAFE.sub("_", name or "").strip(" ._")
    cleaned = re.sub(r"_+", "_", cleaned)[:max_len].strip(" ._")
    if not cleaned or cleaned.upper().split(".")[0] in _RESERVED:
        return default
    return cleaned
