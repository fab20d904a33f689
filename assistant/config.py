"""Settings from the environment and .env (prefix PLAN_), shared by every entry point.

Nothing here imports a heavy library: the CLI reads settings before it knows which command runs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_REQUEST = PROJECT_ROOT / "assistant" / "examples" / "example_request.yaml"  # the built-in example


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLAN_", env_file=".env", extra="ignore")

    # where drafts, the Chroma store, caches and uploads live
    data_dir: Path = Field(default_factory=lambda: Path.home() / ".planassist")
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    evals_dir: Path = PROJECT_ROOT / "evals"

    # chat model (any OpenAI-compatible endpoint); unset model -> offline drafter
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None
    llm_temperature: float = 0.2
    # time limits, in seconds (answers are streamed: a slow server that keeps writing is never "unavailable")
    llm_timeout: float = 600.0              # per call: a call still writing after this is ended (0 = none)
    llm_plan_timeout: float = 3600.0        # per plan: drafting + summary + repair; 0 = none
    llm_connect_timeout: float = 30.0       # no response at all (not even headers) -> the model is unavailable
    llm_first_token_timeout: float = 300.0  # headers but no first token (queue + reading the prompt) -> unavailable
    llm_stall_timeout: float = 90.0         # tokens stopped arriving for this long -> the call has stalled
    llm_stream: bool = True                 # stream answers (liveness = tokens arriving); false for odd proxies
    llm_max_retries: int = 2
    llm_concurrency: int | Literal["auto"] = "auto"  # auto: measured once per model (a single-slot server -> 1)
    llm_structured_method: Literal["auto", "json_schema", "json_object_schema", "function_calling",
                                   "json_mode"] = "auto"
    llm_reask_attempts: int = 2
    llm_max_tokens: int = 1500
    # estimated cost, per 1k tokens, in the price currency (元 by default)
    llm_price_in: float = 0.0
    llm_price_out: float = 0.0
    llm_cache: bool = True
    llm_call_log: bool = True  # every model call appended to data_dir/calls.sqlite3 (`planassist logs`)
    # prompt set: an explicit version (prompts/<version>/), else the current version of the model's class
    # (prompts/classes.yaml: small local models vs strong hosted ones; auto = guessed from the model name)
    prompt_version: str | None = None
    prompt_class: Literal["auto", "small", "strong"] = "auto"

    # retrieval
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection: str = "methodology"
    embedding: Literal["hashing", "openai", "sentence-transformers"] = "hashing"
    embedding_model: str | None = None
    embedding_base_url: str | None = None
    embedding_api_key: SecretStr | None = None
    embedding_path: Path | None = None
    retrieval_k: int = 4
    max_file_mb: float = 20.0
    kb_write_batch: int = Field(5000, ge=1, description="chunks per Chroma write call")

    # the web UI: `name:password` pairs (comma or newline separated); required to serve a non-loopback address
    ui_users: SecretStr | None = None

    # validator / repair
    repair_rounds: int = 2
    repair_threshold: float = 85.0

    @model_validator(mode="after")
    def _resolve_prompt_version(self) -> Settings:
        if not self.prompt_version:
            from .drafting.prompt_classes import choose_version

            self.prompt_version = choose_version(self)
        return self

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_model and self.llm_base_url)

    def model_label(self) -> str:
        """What the UI and CLI may show: model name and host, never the key."""
        if not self.llm_configured:
            return "离线模式（内置离线起草器，无需模型与网络）"
        return self.endpoint_label()

    def endpoint_label(self) -> str:
        """The configured model as `model @ host` (never the key, nor credentials written into the URL)."""
        return f"{self.llm_model} @ {url_host(self.llm_base_url)}"

    def ensure_dirs(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")


def url_host(url: str | None) -> str:
    """`host[:port]` of a URL without any `user:password@` part: what may be shown or used as a cache key."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return strip_url_credentials(url)
    if not host:
        return strip_url_credentials(url)
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port else host


def strip_url_credentials(text: str) -> str:
    """Every `scheme://user:password@` in a text (an error message, a log line) with the credentials removed."""
    return _USERINFO.sub(r"\1***@", text)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
