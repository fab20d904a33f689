"""Starting the UI with a wrong port or host, and a model URL with credentials in it (issue 15): one Chinese line
each, the right exit code, no traceback, and the secret never printed."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from assistant.cli.main import app
from assistant.cli.ui import bind_problem


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def cli(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str):
        result = CliRunner().invoke(app, list(args))
        assert "Traceback" not in result.output and not isinstance(result.exception, (OverflowError, OSError))
        return result

    return run


@pytest.mark.parametrize(("args", "code", "says"), [
    (["--port", "99999"], 2, "端口 99999 不在 1–65535 之间"),
    (["--port", "0"], 2, "端口 0 不在 1–65535 之间"),
    (["--port", "-1"], 2, "端口 -1 不在 1–65535 之间"),
    (["--host", "10.255.255.1"], 2, "这台机器没有地址 10.255.255.1"),
    (["--host", "not-a-host.invalid"], 2, "监听地址「not-a-host.invalid」无法识别"),
    (["--host", "999.1.1.1"], 2, "监听地址「999.1.1.1」无法识别"),
    (["--host", "0.0.0.0"], 2, "监听 0.0.0.0 会让其他机器访问界面，必须先设置登录账号：PLAN_UI_USERS"),
    (["--share"], 2, "--share 会生成公网链接，必须先设置登录账号"),
])
def test_a_wrong_port_or_host_is_one_chinese_line(cli, args, code, says):
    if "--port" not in args:
        args = [*args, "--port", str(free_port())]  # the default 7860 may be taken on a shared machine
    result = cli("ui", *args)
    assert result.exit_code == code and says in result.output.replace("\n", "")


def test_a_port_in_use_is_told_as_such():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, message = bind_problem("127.0.0.1", port)
    assert code == 1 and f"端口 {port} 已被占用" in message


def test_a_login_list_with_a_short_password_stops_the_start(cli, monkeypatch):
    monkeypatch.setenv("PLAN_UI_USERS", "张三:123")
    result = cli("ui", "--host", "0.0.0.0", "--port", str(free_port()))
    assert result.exit_code == 2 and "口令太短" in result.output


@pytest.mark.slow
def test_credentials_in_the_model_url_are_never_printed(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("PLAN_LLM_BASE_URL", "http://alice:s3cretPW@127.0.0.1:9/v1")  # nothing listens on port 9
    monkeypatch.setenv("PLAN_LLM_MODEL", "qwen")
    monkeypatch.setenv("PLAN_LLM_MAX_RETRIES", "0")
    out = tmp_path / "plan.json"
    result = cli("-v", "draft", "--example", "--out", str(out), "--no-repair")
    assert result.exit_code == 0, result.output
    assert "qwen @ 127.0.0.1:9" in result.output
    assert "s3cretPW" not in result.output and "alice" not in result.output
    assert "s3cretPW" not in out.read_text(encoding="utf-8")
    calls = tmp_path / "data" / "calls.sqlite3"
    assert not calls.exists() or b"s3cretPW" not in calls.read_bytes()
