"""Who may use the UI and who owns what in it.

- Login: `PLAN_UI_USERS="张三:口令1,lisi:口令2"` turns on Gradio's login page (and HTTP API login). Serving any
  address other than loopback, or a `--share` link, is refused without it (`check_binding`).
- Owner: what drafts and uploaded knowledge belong to. A logged-in user owns by name (`user:<name>`, taken from the
  server's session, never from the client); without login each browser gets a random token kept in its local
  storage, encrypted with a secret that stays in the data directory, so it survives server restarts.
  An HTTP client without a page is its own owner for its session.

No Gradio import here: the CLI checks the binding before Gradio loads.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import socket
from pathlib import Path

from ..config import Settings

LOCAL_OWNER = "local"  # the programmatic caller (tests, scripts driving the handlers directly)
MIN_PASSWORD = 8
USERS_VAR = "PLAN_UI_USERS"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


class AccessError(ValueError):
    """A UI access setting that cannot be used; the message is Chinese and names what to change."""


def parse_users(settings: Settings) -> list[tuple[str, str]]:
    """The (name, password) pairs of PLAN_UI_USERS; empty when unset. Raises AccessError for a bad entry."""
    raw = settings.ui_users.get_secret_value() if settings.ui_users else ""
    users: list[tuple[str, str]] = []
    for n, entry in enumerate((e.strip() for e in re.split(r"[,\n;]", raw)), start=1):
        if not entry:
            continue
        name, sep, password = entry.partition(":")
        name = name.strip()
        if not sep or not name:
            raise AccessError(f"{USERS_VAR} 第 {n} 项应写成「用户名:口令」")
        if len(password) < MIN_PASSWORD:
            raise AccessError(f"{USERS_VAR} 中用户「{name}」的口令太短（至少 {MIN_PASSWORD} 个字符）")
        if any(name == known for known, _ in users):
            raise AccessError(f"{USERS_VAR} 中用户「{name}」出现了两次")
        users.append((name, password))
    return users


def is_loopback(host: str) -> bool:
    """True when every address `host` resolves to is a loopback address. Raises AccessError if it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise AccessError(f"监听地址「{host}」无法解析。"
                          "请用本机地址，例如 127.0.0.1，或 0.0.0.0 表示所有网卡") from None
    addresses = {info[4][0].split("%", 1)[0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def check_binding(settings: Settings, host: str, share: bool = False) -> list[tuple[str, str]] | None:
    """The login list to serve with (None: no login). Raises AccessError when the UI would be open to others
    without a login."""
    users = parse_users(settings)
    if users:
        return users
    if share:
        raise AccessError(f"--share 会生成公网链接，必须先设置登录账号：{USERS_VAR}=\"用户名:口令\"（口令至少 "
                          f"{MIN_PASSWORD} 个字符，多个账号用逗号分隔）")
    if not is_loopback(host):
        raise AccessError(f"监听 {host} 会让其他机器访问界面，必须先设置登录账号：{USERS_VAR}=\"用户名:口令\""
                          f"（口令至少 {MIN_PASSWORD} 个字符，多个账号用逗号分隔）；只在本机使用请去掉 --host")
    return None


def ui_secret(settings: Settings) -> str:
    """The key that encrypts what the UI keeps in browsers' local storage: made once, kept in the data directory
    (readable by its owner only), so a browser's drafts stay its own across restarts."""
    path = Path(settings.data_dir) / "ui_secret"
    try:
        value = path.read_text(encoding="utf-8").strip()
        if len(value) >= 32:
            return value
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value)
    return value


def new_browser_token() -> str:
    return secrets.token_urlsafe(24)


def owner_of(username: str | None, browser_token: str | None = None) -> tuple[str, str | None]:
    """(owner, the browser token to keep): the logged-in user if any, else the browser's token (a new one when it
    has none or an invalid one)."""
    if username:
        return f"user:{username}", browser_token
    token = browser_token if isinstance(browser_token, str) and _TOKEN.match(browser_token) else new_browser_token()
    return f"browser:{token}", token
