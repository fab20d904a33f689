"""Retrieval: the methodology knowledge base (Chroma + in-memory BM25, Chinese-aware, fully offline).

Public API: Chunk, IngestReport, KnowledgeBase, get_knowledge_base. See knowledge_base.py for the pipeline.
Names are resolved lazily (PEP 562): importing a light submodule such as `splitter` does not load chromadb (~2 s).
"""

from importlib import import_module

_EXPORTS = {
    "EmbeddingError": "embeddings", "KnowledgeBase": "knowledge_base", "get_knowledge_base": "knowledge_base",
    "LoadError": "loaders", "Chunk": "models", "IngestReport": "models", "IngestRow": "models",
    "SourceInfo": "models", "EmbeddingMismatchError": "store", "StoreError": "store",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
