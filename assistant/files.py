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


class ArchiveTooLarge(ValueError):
    """A zip container (DOCX, XLSX) that would expand beyond the limits; the message is Chinese."""


def check_archive(path: str | Path, *, max_total: int, max_xml: int, max_members: int = 5000) -> None:
    """Refuse a zip container before a parser inflates it: too many members, or a declared expanded size (all
    members, or the XML parts alone) over the limits. Python's zipfile never inflates a member past its declared
    size (and fails its CRC check if the data runs longer), so the declared sizes bind every later reader.
    Raises ArchiveTooLarge; a file that is not a zip at all is left to the parser's own error."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    if len(members) > max_members:
        raise ArchiveTooLarge(f"文件内部包含 {len(members):,} 个部件（上限 {max_members:,}），不像正常的文档")
    total = sum(m.file_size for m in members)
    xml = sum(m.file_size for m in members if m.filename.lower().endswith((".xml", ".rels")))
    if xml > max_xml:
        raise ArchiveTooLarge(f"文件解压后正文 XML 有 {xml / 1048576:,.0f} MB（上限 {max_xml / 1048576:,.0f} MB），"
                              "可能是压缩炸弹或异常文件，已拒绝读取")
    if total > max_total:
        raise ArchiveTooLarge(f"文件解压后有 {total / 1048576:,.0f} MB（上限 {max_total / 1048576:,.0f} MB），"
                              "可能是压缩炸弹或异常文件，已拒绝读取")
