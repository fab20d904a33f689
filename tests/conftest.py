"""Shared fixtures: every test gets its own data directory and no model configured unless it asks for one; the
built-in example request with its figures. Fakes and the recorded-traffic harness are in tests/support/."""

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


@pytest.fixture()
def example():
    """The built-in example request (华东工业润滑油, 江苏, 1200万) and the numbers engine's figures for it."""
    from assistant.config import EXAMPLE_REQUEST
    from assistant.planning.engine import compute_figures
    from assistant.request import load_request

    request = load_request(EXAMPLE_REQUEST)
    return request, compute_figures(request)
