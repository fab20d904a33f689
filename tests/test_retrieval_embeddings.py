"""Embedding functions: the offline default, an OpenAI-compatible endpoint, a local sentence-transformers model."""

from __future__ import annotations

import json
import sys

import httpx
import numpy as np
import pytest
from chromadb.api.types import EmbeddingFunction
from chromadb.utils.embedding_functions import known_embedding_functions

from assistant.config import Settings
from assistant.retrieval.embeddings import (
    EmbeddingError,
    HashingEmbeddingFunction,
    OpenAICompatibleEmbeddingFunction,
    SentenceTransformerEmbeddingFunction,
    embedding_kind,
    make_embedding_function,
)


def cos(a, b) -> float:
    return float(np.dot(a, b))


@pytest.mark.slow
def test_the_offline_embedding_is_a_registered_chroma_embedding_function_that_survives_a_round_trip():
    ef = HashingEmbeddingFunction()
    assert isinstance(ef, EmbeddingFunction) and not ef.is_legacy()
    assert known_embedding_functions["planassist-hashing"] is HashingEmbeddingFunction
    rebuilt = HashingEmbeddingFunction.build_from_config(ef.get_config())
    text = "按季度拆解销售目标"
    assert np.allclose(ef([text])[0], rebuilt([text])[0])


def test_offline_embeddings_are_unit_length_deterministic_and_closer_for_related_chinese_text():
    ef = HashingEmbeddingFunction()
    target, related, other = ef(["如何把年度销售目标分解到季度和个人", "目标分解：公司目标到团队再到个人的分解方法",
                                 "展会结束后两周内完成线索跟进"])
    for v in (target, related, other):
        assert abs(np.linalg.norm(v) - 1.0) < 1e-5
    assert cos(target, related) > cos(target, other) + 0.1
    assert np.array_equal(ef(["同一段文字"])[0], ef(["同一段文字"])[0])


def test_traditional_and_simplified_spellings_embed_identically():
    ef = HashingEmbeddingFunction()
    simplified, traditional = ef(["销售团队的绩效考核", "銷售團隊的績效考核"])
    assert cos(simplified, traditional) > 0.999


def test_an_empty_text_still_gets_a_valid_vector():
    vec = HashingEmbeddingFunction()([""])[0]
    assert abs(np.linalg.norm(vec) - 1.0) < 1e-6


def test_an_openai_compatible_endpoint_is_called_in_batches_and_its_vectors_returned_in_order():
    seen: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert request.url.path.endswith("/embeddings") and body["model"] == "bge-m3"
        assert request.headers["authorization"] == "Bearer sk-test"
        seen.append(body["input"])
        data = [{"object": "embedding", "index": i, "embedding": [float(len(t)), 1.0, 0.0]}
                for i, t in enumerate(body["input"])]
        data.reverse()  # servers may answer out of order; index decides
        return httpx.Response(200, json={"object": "list", "data": data, "model": "bge-m3",
                                         "usage": {"prompt_tokens": 1, "total_tokens": 1}})

    ef = OpenAICompatibleEmbeddingFunction(model="bge-m3", base_url="http://embed.test/v1", api_key="sk-test",
                                           batch_size=2, http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    vectors = ef(["一", "二二", "三三三"])
    assert seen == [["一", "二二"], ["三三三"]]
    assert [v[0] for v in vectors] == [1.0, 2.0, 3.0]
    assert "sk-test" not in json.dumps(ef.get_config())


def test_an_unreachable_embedding_endpoint_gives_a_chinese_error():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": {"message": "model not found"}})

    ef = OpenAICompatibleEmbeddingFunction(model="nope", base_url="http://embed.test/v1",
                                           http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(EmbeddingError, match="嵌入服务调用失败"):
        ef(["销售"])


def test_sentence_transformers_missing_gives_a_chinese_install_hint(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails as if not installed
    ef = SentenceTransformerEmbeddingFunction(tmp_path)
    with pytest.raises(EmbeddingError, match="pip install sentence-transformers"):
        ef(["销售"])


def test_a_local_sentence_transformers_model_directory_is_loaded_lazily(monkeypatch, tmp_path):
    loaded: list[str] = []

    class FakeModel:
        def __init__(self, path, device=None):
            loaded.append(path)

        def encode(self, texts, **kw):
            return np.ones((len(texts), 4)) / 2.0

    fake = type(sys)("sentence_transformers")
    fake.SentenceTransformer = FakeModel
    monkeypatch.setitem(sys.modules, "sentence_transformers", fake)
    ef = SentenceTransformerEmbeddingFunction(tmp_path)
    assert loaded == []
    assert len(ef(["a", "b"])) == 2 and loaded == [str(tmp_path)]
    assert embedding_kind(ef) == f"sentence-transformers:{tmp_path.name}"


def test_settings_choose_the_embedding_and_incomplete_settings_are_explained(tmp_path):
    base = dict(_env_file=None, data_dir=tmp_path)
    assert embedding_kind(make_embedding_function(Settings(**base))) == "hashing:v1:1024"
    openai = make_embedding_function(Settings(**base, embedding="openai", embedding_model="text-embedding-3-small",
                                              embedding_base_url="http://x/v1"))
    assert embedding_kind(openai) == "openai:text-embedding-3-small"
    with pytest.raises(EmbeddingError, match="PLAN_EMBEDDING_MODEL"):
        make_embedding_function(Settings(**base, embedding="openai"))
    with pytest.raises(EmbeddingError, match="PLAN_EMBEDDING_PATH"):
        make_embedding_function(Settings(**base, embedding="sentence-transformers"))
