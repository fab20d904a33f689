"""One browser tab on a launched UI, driven through its HTTP API (gradio_client) the way the page calls it."""

from __future__ import annotations

from pathlib import Path

from assistant.ui.app import VIEW_NAMES
from assistant.ui.session import FORM_KEYS


def reply(view: dict) -> str:
    """The last chat message of a view, as text."""
    content = view["chat"][-1]["content"]
    return "".join(part.get("text", "") for part in content) if isinstance(content, list) else content


class Page:
    """One browser tab: keeps the form boxes as the page shows them (the server keeps the rest in the session).
    Each Page is its own browser (its own owner) unless it logs in with `auth`."""

    def __init__(self, url: str, downloads: Path, auth: tuple[str, str] | None = None):
        from gradio_client import Client

        self.client = Client(url, verbose=False, download_files=str(downloads), auth=auth)
        self.form = [""] * len(FORM_KEYS)
        self.form[FORM_KEYS.index("currency_unit")] = "万元"
        self.view: dict = {}

    def call(self, api: str, *args) -> dict:
        self.view = dict(zip(VIEW_NAMES, self.client.predict(*args, api_name=api), strict=False))
        self.form = [self.view[k] for k in FORM_KEYS]
        return self.view

    def say(self, text: str) -> str:
        return reply(self.call("/chat", text, *self.form))

    def reply(self) -> str:
        return reply(self.view)

    def field(self, key: str) -> str:
        return self.form[FORM_KEYS.index(key)]

    def drafts(self, everyone: bool = False) -> list[str]:
        """Draft ids in the 历史草稿 list (`everyone`: 「也显示本机其他浏览器的草稿」)."""
        return [value for _, value in self.client.predict(everyone, api_name="/list_drafts")["choices"]]
