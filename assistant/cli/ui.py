"""`planassist ui` — start the chat UI. Gradio is imported only when the command runs.

Before anything loads: the port must be 1–65535, the host must be an address of this machine that is free to bind,
and an address others can reach (or --share) needs logins (PLAN_UI_USERS). Each problem is one Chinese line.
"""

from __future__ import annotations

import errno
import os
import socket

import typer

from .console import make_console

console = make_console()
err = make_console(stderr=True)
EXIT_BAD_INPUT = 2


def bind_problem(host: str, port: int) -> tuple[int, str] | None:
    """(exit code, Chinese message) when the UI cannot listen on host:port; None when it can."""
    if not 1 <= port <= 65535:
        return EXIT_BAD_INPUT, f"端口 {port} 不在 1–65535 之间，例如 planassist ui --port 7860"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError):
        return EXIT_BAD_INPUT, (f"监听地址「{host}」无法识别（不是 IP 地址，也解析不到）："
                                "--host 应是本机的一个地址，例如 127.0.0.1（只允许本机访问）或 0.0.0.0（所有网卡）")
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself will
        try:
            s.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return 1, (f"端口 {port} 已被占用：可能已经有一个方案助手在运行（打开 http://127.0.0.1:{port}/ 看看），"
                           f"或者换一个端口，例如 planassist ui --port {port + 1 if port < 65535 else 7860}")
            if exc.errno == errno.EADDRNOTAVAIL:
                return EXIT_BAD_INPUT, (f"这台机器没有地址 {host}：--host 只能是本机网卡上的地址，"
                                        "例如 127.0.0.1（只允许本机访问）或 0.0.0.0（所有网卡）")
            if exc.errno == errno.EACCES:
                return 1, f"没有权限监听端口 {port}（1024 以下的端口需要管理员权限），请换一个端口，例如 --port 7860"
            return 1, f"无法监听 {host}:{port}：{exc.strerror or exc}"
    return None


def ui(
    host: str = typer.Option("127.0.0.1", "--host",
                             help="监听地址；默认只允许本机访问。其他地址需要先设置登录账号 PLAN_UI_USERS"),
    port: int = typer.Option(7860, "--port", help="端口（1–65535）"),
    share: bool = typer.Option(False, "--share",
                               help="生成公网分享链接（需要联网，并且必须设置登录账号 PLAN_UI_USERS）"),
) -> None:
    """启动网页界面：对话描述需求、逐节起草、查看评分、按对话修改、导出 Word/Markdown/JSON。"""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from ..config import get_settings
    from ..ui.access import AccessError, check_binding

    settings = get_settings()
    problem = bind_problem(host, port)
    if problem is not None:
        code, message = problem
        err.print(f"[red]{message}[/red]")
        raise typer.Exit(code)
    try:
        users = check_binding(settings, host, share)
    except AccessError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    err.print("正在启动方案助手……")
    from ..ui.app import launch

    try:
        demo, url = launch(settings, host=host, port=port, share=share)
    except OSError as exc:
        err.print(f"[red]无法在 {host}:{port} 启动界面：{exc.strerror or exc}\n可以用 --port 换一个端口，"
                  f"例如 planassist ui --port {port + 1 if port < 65535 else 7860}[/red]")
        raise typer.Exit(1) from None
    shown = url if host not in ("0.0.0.0", "::") else f"http://127.0.0.1:{port}/（本机）；局域网用本机 IP 访问"
    console.print(f"方案助手已启动：{shown}")
    console.print(f"当前模式：{settings.model_label()}")
    console.print(f"草稿与导出文件保存在：{settings.data_dir}")
    if users:
        err.print(f"已开启登录（{len(users)} 个账号）：每个账号只看到自己的草稿和自己上传的资料。"
                  "口令以明文经过网络，跨网络使用请放在 HTTPS 反向代理之后。")
    console.print("按 Ctrl+C 退出。")
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        demo.close()
        err.print("已退出。")
