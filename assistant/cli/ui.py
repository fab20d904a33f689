"""`planassist ui` — start the chat UI. Gradio is imported only when the command runs."""

from __future__ import annotations

import os
import socket

import typer

from .console import make_console

console = make_console()
err = make_console(stderr=True)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself will
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def ui(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址；默认只允许本机访问"),
    port: int = typer.Option(7860, "--port", help="端口"),
    share: bool = typer.Option(False, "--share", help="生成公网分享链接（需要联网；任何拿到链接的人都能使用）"),
) -> None:
    """启动网页界面：对话描述需求、逐节起草、查看评分、按对话修改、导出 Word/Markdown/JSON。"""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from ..config import get_settings
    from ..ui.app import launch

    settings = get_settings()
    if not port_free(host, port):
        err.print(f"[red]端口 {port} 已被占用：可能已经有一个方案助手在运行（打开 http://127.0.0.1:{port}/ 看看），"
                  f"或者换一个端口，例如 planassist ui --port {port + 1}[/red]")
        raise typer.Exit(1)
    err.print("正在启动方案助手……")
    try:
        demo, url = launch(settings, host=host, port=port, share=share)
    except OSError as exc:
        err.print(f"[red]无法在 {host}:{port} 启动界面：{exc}\n可以用 --port 换一个端口，"
                  f"例如 planassist ui --port {port + 1}[/red]")
        raise typer.Exit(1) from None
    shown = url if host not in ("0.0.0.0", "::") else f"http://127.0.0.1:{port}/（本机）；局域网用本机 IP 访问"
    console.print(f"方案助手已启动：{shown}")
    console.print(f"当前模式：{settings.model_label()}")
    console.print(f"草稿与导出文件保存在：{settings.data_dir}")
    if host not in LOCAL_HOSTS:
        err.print("[yellow]注意：界面对其他机器开放，能访问这个地址的人都能使用和查看草稿。[/yellow]")
    console.print("按 Ctrl+C 退出。")
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        demo.close()
        err.print("已退出。")
