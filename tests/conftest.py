"""Shared fixtures: every test gets its own data directory and no model configured unless it asks for one."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    from assistant.config import get_settings

    monkeypatch.setenv("PLAN_DATA_DIR", str(tmp_path / "data"))
    for var in ("PLAN_LLM_BASE_URL", "PLAN_LLM_MODEL", "PLAN_LLM_API_KEY", "PLAN_CHROMA_HOST"):
        if not _keep_live(var):
            monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _keep_live(var: str) -> bool:
    import os

    return os.environ.get("PLAN_LIVE_TESTS") == "1" and var.startswith("PLAN_LLM")
