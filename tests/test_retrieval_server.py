"""Shared mode: the knowledge base on a real Chroma server (`chroma run`) started on 127.0.0.1 for this test."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.retrieval import KnowledgeBase, StoreError

FIXTURES = Path(__file__).parent / "fixtures" / "retrieval"
CHROMA = Path(sys.executable).parent / "chroma"

pytestmark = [pytest.mark.server, pytest.mark.slow]  # `make test-fast` leaves these out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    if not CHROMA.exists():
        pytest.skip("chroma CLI not installed in this environment")
    path = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = open(path / "server.log", "wb")
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma server did not start: {(path / 'server.log').read_text(errors='replace')}")
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def server_settings(tmp_path: Path, port: int, **kw) -> Settings:
    values = dict(data_dir=tmp_path / "local", knowledge_dir=FIXTURES / "knowledge", chroma_host="127.0.0.1",
                  chroma_port=port, collection="methodology", embedding="hashing")
    values.update(kw)
    return Settings(_env_file=None, **values)


def test_two_users_share_one_knowledge_base_on_a_chroma_server(chroma_server, tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(FIXTURES / "seeds", seeds)
    alice = KnowledgeBase(server_settings(tmp_path, chroma_server))
    report = alice.ingest([seeds])
    assert [r.status for r in report.rows] == ["added"] * 5
    assert not (tmp_path / "local" / "chroma").exists()  # nothing written locally in server mode

    bob = KnowledgeBase(server_settings(tmp_path, chroma_server))  # a second user, own process state
    hits = bob.search("销售管理方案设计与执行", k=3)
    assert Path(hits[0].source).name == "001_afdd2010676452df.txt"
    assert bob.search("SWOT组合策略", k=1, section="swot")[0].source == "knowledge/swot_matrix.md"
    assert {r.status for r in bob.ingest([seeds]).rows} == {"unchanged"}

    alice.remove("004_ea3f78d47a1c2c15.txt")
    bob._checked_at = 0.0
    assert all(not h.source.endswith("004_ea3f78d47a1c2c15.txt") for h in bob.search("日跟进、周复盘、月总结", k=10))


def test_an_unreachable_server_gives_a_chinese_error(tmp_path):
    kb = KnowledgeBase(server_settings(tmp_path, free_port()))
    with pytest.raises(StoreError, match="无法连接 Chroma 服务"):
        kb.search("预算")
