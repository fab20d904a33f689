"""Which stored chunks count: a file's version is in the knowledge base only when all of its chunks are.

Every chunk carries its file version (`doc_hash`), how many chunks that version has (`doc_chunks`) and when it was
prepared (`ingested_at`). A write killed half-way (SIGKILL, power loss, a dropped Chroma server) leaves a version
with fewer chunks than it declares: it is never shown, never counted as ingested, and the next ingest of the file
rewrites it. Of several complete versions of one source (killed after the new chunks were in, before the old ones
were deleted) the newest is shown and the source is flagged so the next ingest removes the rest. Chunks written
before these fields existed count as complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Unsettled:
    """A source whose store holds chunks that do not count (yet): an interrupted write or an old version's rest."""

    source: str
    kind: str
    title: str
    stray_chunks: int = 0
    reasons: list[str] = field(default_factory=list)


def _complete(metas: list[dict], members: list[int]) -> bool:
    declared = metas[members[0]].get("doc_chunks")
    return declared is None or len(members) == int(declared)


def committed(ids: list[str], docs: list[str], metas: list[dict]) -> tuple[list[str], list[str], list[dict],
                                                                           dict[str, Unsettled]]:
    """(ids, docs, metas) of the chunks that count, in store order, and the sources that need a re-ingest."""
    versions: dict[str, dict[str, list[int]]] = {}
    for i, meta in enumerate(metas):
        meta = meta or {}
        versions.setdefault(meta.get("source", ""), {}).setdefault(meta.get("doc_hash", ""), []).append(i)
    keep: set[int] = set()
    unsettled: dict[str, Unsettled] = {}
    for source, by_hash in versions.items():
        complete = [members for members in by_hash.values() if _complete(metas, members)]
        shown = max(complete, key=lambda m: float(metas[m[0]].get("ingested_at") or 0.0), default=None)
        if shown is not None:
            keep.update(shown)
        rest = [members for members in by_hash.values() if members is not shown]
        if rest:
            first = metas[rest[0][0]]
            entry = unsettled[source] = Unsettled(source=source, kind=first.get("kind", "user"),
                                                  title=first.get("title", ""))
            for members in rest:
                entry.stray_chunks += len(members)
                entry.reasons.append("上次导入中断" if not _complete(metas, members) else "旧版本残留")
    order = [i for i in range(len(ids)) if i in keep]
    return [ids[i] for i in order], [docs[i] for i in order], [metas[i] for i in order], unsettled
