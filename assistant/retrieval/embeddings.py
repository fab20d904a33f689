"""Embedding functions, all proper chromadb EmbeddingFunctions so Chroma never falls back to its ONNX default.

- "hashing" (default, offline, no download): jieba words + character bigrams of the normalised text, hashed
  into a fixed number of signed buckets, weighted by sublinear TF x a static IDF (jieba's dictionary
  frequencies, so the weights never depend on the corpus), L2-normalised.
- "openai": any OpenAI-compatible /embeddings endpoint (bge-m3 on vLLM/Ollama, text-embedding-3-small, ...).
- "sentence-transformers": a local model directory; the library is imported only when used.

`embedding_kind()` is the fingerprint stored in the collection metadata: a store built with one kind refuses
to be searched with another.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from .text import cjk_bigrams, idf, normalize, words


class EmbeddingError(RuntimeError):
    """A configuration or runtime problem with the embedding model; the message is for the user (Chinese)."""


@register_embedding_function
class HashingEmbeddingFunction(EmbeddingFunction[Documents]):
    """Offline TF-IDF-weighted feature hashing over Chinese words and character bigrams."""

    VERSION = 1

    def __init__(self, dim: int = 1024, bigram_weight: float = 0.5) -> None:
        self.dim = int(dim)
        self.bigram_weight = float(bigram_weight)
        self._buckets: dict[str, tuple[int, float]] = {}

    # -- chromadb protocol
    def __call__(self, input: Documents) -> Embeddings:
        return [self.embed_one(text) for text in input]

    @staticmethod
    def name() -> str:
        return "planassist-hashing"

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim, "bigram_weight": self.bigram_weight, "version": self.VERSION}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbeddingFunction:
        return HashingEmbeddingFunction(dim=config.get("dim", 1024), bigram_weight=config.get("bigram_weight", 0.5))

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine", "ip", "l2"]

    # -- the embedding itself
    def _bucket(self, feature: str) -> tuple[int, float]:
        hit = self._buckets.get(feature)
        if hit is None:
            h = zlib.crc32(feature.encode("utf-8"))
            hit = (h % self.dim, 1.0 if (h >> 31) & 1 else -1.0)
            if len(self._buckets) < 500_000:
                self._buckets[feature] = hit
        return hit

    def features(self, norm: str, precise: list[str]) -> dict[str, float]:
        weights: dict[str, float] = {}
        for word, tf in Counter(precise).items():
            weights["w:" + word] = (1.0 + math.log(tf)) * idf(word)
        for gram, tf in Counter(cjk_bigrams(norm)).items():
            weights["b:" + gram] = (1.0 + math.log(tf)) * idf(gram) * self.bigram_weight
        return weights

    def embed_one(self, text: str) -> np.ndarray:
        norm = normalize(text)
        return self.embed_words(norm, words(norm))

    def embed_words(self, norm: str, precise: list[str]) -> np.ndarray:
        """Embed already-normalised text whose jieba words the caller has (saves segmenting twice)."""
        vec = np.zeros(self.dim, dtype=np.float32)
        for feature, weight in self.features(norm, precise).items():
            index, sign = self._bucket(feature)
            vec[index] += sign * weight
        norm = float(np.linalg.norm(vec))
        if norm > 0:
            vec /= norm
        else:
            vec[0] = 1.0  # an empty text still needs a valid unit vector
        return vec


@register_embedding_function
class OpenAICompatibleEmbeddingFunction(EmbeddingFunction[Documents]):
    """Embeddings from an OpenAI-compatible endpoint, in batches; errors become Chinese messages."""

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None,
                 batch_size: int = 64, timeout: float = 60.0, http_client: Any = None) -> None:
        if not model:
            raise EmbeddingError("使用 openai 嵌入时必须设置 PLAN_EMBEDDING_MODEL（如 bge-m3、text-embedding-3-small）")
        self.model = model
        self.base_url = base_url
        self.batch_size = batch_size
        self.timeout = timeout
        self._api_key = api_key
        self._http_client = http_client
        self._client = None

    def _get_client(self):
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(base_url=self.base_url, api_key=self._api_key or "not-needed",
                                  timeout=self.timeout, max_retries=2, http_client=self._http_client)
        return self._client

    def __call__(self, input: Documents) -> Embeddings:
        out: list[np.ndarray] = []
        texts = [t if t.strip() else " " for t in input]
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start:start + self.batch_size]
            try:
                resp = self._get_client().embeddings.create(model=self.model, input=batch)
            except Exception as exc:  # noqa: BLE001 - network, auth, model-not-found ...
                raise EmbeddingError(f"嵌入服务调用失败（{self.base_url or 'OpenAI'}，模型 {self.model}）：{exc}") from exc
            rows = sorted(resp.data, key=lambda d: d.index)
            out.extend(np.asarray(r.embedding, dtype=np.float32) for r in rows)
        return out

    @staticmethod
    def name() -> str:
        return "planassist-openai"

    def get_config(self) -> dict[str, Any]:
        # never the key: it is read from the settings again when the function is rebuilt
        return {"model": self.model, "base_url": self.base_url}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAICompatibleEmbeddingFunction:
        return OpenAICompatibleEmbeddingFunction(model=config.get("model") or "", base_url=config.get("base_url"))

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine", "ip", "l2"]


@register_embedding_function
class SentenceTransformerEmbeddingFunction(EmbeddingFunction[Documents]):
    """A local sentence-transformers model directory (e.g. a downloaded bge-small-zh); loaded on first use."""

    def __init__(self, path: str | Path, batch_size: int = 32) -> None:
        self.path = str(path)
        self.batch_size = batch_size
        self._model = None

    def _get_model(self):
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise EmbeddingError(
                    "未安装 sentence-transformers：请先运行 pip install sentence-transformers，"
                    "或改用 PLAN_EMBEDDING=hashing（离线默认）"
                ) from exc
            if not Path(self.path).exists():
                raise EmbeddingError(f"找不到本地嵌入模型目录：{self.path}（请设置 PLAN_EMBEDDING_PATH）")
            self._model = SentenceTransformer(self.path, device="cpu")
        return self._model

    def __call__(self, input: Documents) -> Embeddings:
        vectors = self._get_model().encode(list(input), batch_size=self.batch_size, normalize_embeddings=True,
                                           show_progress_bar=False)
        return [np.asarray(v, dtype=np.float32) for v in vectors]

    @staticmethod
    def name() -> str:
        return "planassist-sentence-transformers"

    def get_config(self) -> dict[str, Any]:
        return {"path": self.path}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> SentenceTransformerEmbeddingFunction:
        return SentenceTransformerEmbeddingFunction(path=config.get("path") or "")

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine", "ip", "l2"]


def make_embedding_function(settings) -> EmbeddingFunction:
    """The embedding function the settings ask for (PLAN_EMBEDDING and friends)."""
    kind = settings.embedding
    if kind == "hashing":
        return HashingEmbeddingFunction()
    if kind == "openai":
        key = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else None
        return OpenAICompatibleEmbeddingFunction(model=settings.embedding_model or "",
                                                 base_url=settings.embedding_base_url, api_key=key)
    if kind == "sentence-transformers":
        if not settings.embedding_path:
            raise EmbeddingError("使用 sentence-transformers 嵌入时必须设置 PLAN_EMBEDDING_PATH（本地模型目录）")
        return SentenceTransformerEmbeddingFunction(settings.embedding_path)
    raise EmbeddingError(f"未知的嵌入类型：{kind}（可选 hashing、openai、sentence-transformers）")


def embedding_kind(ef: EmbeddingFunction) -> str:
    """A short fingerprint of the embedding space, e.g. 'hashing:v1:1024' or 'openai:bge-m3'."""
    if isinstance(ef, HashingEmbeddingFunction):
        return f"hashing:v{ef.VERSION}:{ef.dim}"
    if isinstance(ef, OpenAICompatibleEmbeddingFunction):
        return f"openai:{ef.model}"
    if isinstance(ef, SentenceTransformerEmbeddingFunction):
        return f"sentence-transformers:{Path(ef.path).name}"
    return f"custom:{ef.name()}"
