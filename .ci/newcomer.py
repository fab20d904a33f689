"""The scripted newcomer run: a fresh clone, then the README's commands in the README's order, each checked for its
exit code and what it prints or writes. Run by .ci/run after `make test`; by hand: `.venv/bin/python .ci/newcomer.py`.

Every `.venv/bin/planassist …` line of the README's 命令行 block must be one of STEPS below (and the other way round),
so the README cannot show a command this run does not try. The clone gets its own .venv whose packages are the ones
`make test` just installed (a .pth file, no second download); the first-install path itself is what `make test`
exercised. The UI (`make run`) is started, asked for its page, and stopped.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLANASSIST = ".venv/bin/planassist"


@dataclass
class Step:
    command: str  # exactly as the README prints it
    rc: int = 0
    says: list[str] = field(default_factory=list)  # regexes the output must match
    check: str | None = None  # name of an extra check on what the command wrote


STEPS = [
    Step(f"{PLANASSIST} draft --example --out out/方案.docx", says=[r"已写入：out/方案\.docx"], check="docx"),
    Step(f"{PLANASSIST} draft --input examples/请求.yaml --out out/方案.md", says=[r"已写入：out/方案\.md"],
         check="markdown"),
    Step(f'{PLANASSIST} draft --text "我们是华东工业润滑油有限公司，明年江苏要做到1200万，6个销售，预算150万" '
         "--out out/一句话方案.md", says=[r"华东工业润滑油有限公司｜江苏"]),
    Step(f"{PLANASSIST} validate out/方案.md --min-score 80", says=[r"总分：\**\d+(\.\d)? / 100"]),
    Step(f"{PLANASSIST} batch examples/区域.csv --company examples/公司.yaml --out out/区域方案",
         says=[r"完成 6/6 个区域", r"汇总：out/区域方案/summary\.md、out/区域方案/summary\.csv"], check="batch"),
    Step(f"{PLANASSIST} kb ingest examples/我的资料/", says=[r"新增 3"]),
    Step(f'{PLANASSIST} kb search "怎么把年度目标拆到每个月"', says=[r"检索"]),
    Step(f"{PLANASSIST} eval run --prompts v1 --prompts v2", says=[r"v1", r"v2"]),
]
# README lines this run covers differently: the UI (started by `make run` below), the test suite and the benchmarks
# (CI runs `make test` itself; `make bench` takes minutes and only prints figures).
COVERED_ELSEWHERE = (f"{PLANASSIST} ui ", "make bench")
BAD_INPUT = [  # the README's exit-code promise: 2 for input the user must fix, with a Chinese message
    Step(f"{PLANASSIST} kb ingest 不存在的资料/", rc=2, says=[r"找不到要导入的文件或文件夹"]),
    Step(f"{PLANASSIST} draft --input 不存在.yaml --out out/x.md", rc=2, says=[r"找不到请求文件"]),
    Step(f"{PLANASSIST} draft --help", says=[r"--text"]),
]


def readme_commands(readme: str) -> list[str]:
    """The README's command lines (comments dropped) from its fenced bash blocks, in order."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", readme, flags=re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()
            if line and not line.startswith("#") and not line.startswith("export "):
                lines.append(line)
    return lines


class Run:
    def __init__(self, clone: Path, env: dict[str, str]):
        self.clone, self.env = clone, env
        self.passed: list[str] = []
        self.failed: list[str] = []

    def ok(self, what: str, good: bool, detail: str = "") -> None:
        (self.passed if good else self.failed).append(what)
        print(f"  {'✓' if good else '✗'} {what}" + (f"\n      {detail}" if detail and not good else ""), flush=True)

    def sh(self, command: str, timeout: int = 600) -> subprocess.CompletedProcess:
        return subprocess.run(command, shell=True, cwd=self.clone, env=self.env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def step(self, step: Step) -> None:
        print(f"$ {step.command}", flush=True)
        started = time.monotonic()
        done = self.sh(step.command)
        output = done.stdout + done.stderr
        took = time.monotonic() - started
        self.ok(f"退出码 {done.returncode}（应为 {step.rc}），{took:.0f} 秒", done.returncode == step.rc, output[-1500:])
        for pattern in step.says:
            self.ok(f"输出含「{pattern}」", re.search(pattern, output) is not None, output[-800:])
        if step.command.endswith("--help"):
            self.ok("帮助文字没有被「…」截断", "…" not in output, output)
        if step.check:
            getattr(self, f"check_{step.check}")()

    def check_docx(self) -> None:
        from docx import Document

        doc = Document(str(self.clone / "out/方案.docx"))
        section = doc.sections[0]
        self.ok("DOCX 为 A4 纸", (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297))
        self.ok("DOCX 嵌入了图表", len(doc.inline_shapes) >= 4, f"{len(doc.inline_shapes)} 张")

    def check_markdown(self) -> None:
        text = (self.clone / "out/方案.md").read_text(encoding="utf-8")
        images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
        self.ok("Markdown 引用了旁边的图表图片", len(images) >= 4 and all((self.clone / "out" / i).is_file()
                                                                   for i in images), str(images))

    def check_batch(self) -> None:
        out = self.clone / "out/区域方案"
        self.ok("批量汇总与区域总览图已写出", (out / "summary.md").is_file() and (out / "regions.png").is_file())

    def ui(self) -> None:
        print("$ make run   （启动界面，打开页面，然后停止）", flush=True)
        proc = subprocess.Popen(["make", "run"], cwd=self.clone, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
        reader.start()
        page = ""
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and proc.poll() is None and not page:
                try:
                    page = urllib.request.urlopen("http://127.0.0.1:7860/", timeout=5).read().decode("utf-8", "replace")
                except OSError:
                    time.sleep(2)
            until = time.monotonic() + 30  # the address is printed right after the server answers
            while time.monotonic() < until and not any("http://127.0.0.1:7860" in line for line in lines):
                time.sleep(0.5)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            reader.join(timeout=10)
        output = "".join(lines)
        self.ok("make run 打开了 http://127.0.0.1:7860/ 的页面", "方案助手" in page, output[-1500:])
        self.ok("启动时说明了地址", "http://127.0.0.1:7860" in output, output[-800:])


def fresh_clone(tmp: Path) -> Path:
    clone = tmp / "planassist"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    venv = clone / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    # the clone's own code first, then the packages `make test` installed (plain paths: no editable finder of REPO)
    (purelib / "_newcomer.pth").write_text(f"{clone}\n{sysconfig.get_paths()['purelib']}\n", encoding="utf-8")
    script = venv / "bin" / "planassist"
    script.write_text(f"#!{venv}/bin/python\nimport sys\nfrom assistant.cli.main import app\n"  # as pip writes it
                      "if __name__ == '__main__':\n    sys.exit(app())\n", encoding="utf-8")
    script.chmod(0o755)
    (venv / ".installed").touch()  # what `make install` leaves after a successful install
    return clone


def main() -> int:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = readme_commands(readme)
    print("新人流程：全新克隆，按 README 的顺序运行其中的命令", flush=True)
    planned = {s.command for s in STEPS}
    unknown = [c for c in commands if c.startswith(PLANASSIST) and c not in planned
               and not c.startswith(COVERED_ELSEWHERE)]
    absent = [s.command for s in STEPS if s.command not in commands]
    with tempfile.TemporaryDirectory(prefix="newcomer-") as tmp:
        clone = fresh_clone(Path(tmp))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PLAN_", "OPENAI_"))}
        env.update(PLAN_DATA_DIR=str(Path(tmp) / "data"), COLUMNS="80", TERM="dumb", PYTHONUNBUFFERED="1")
        run = Run(clone, env)
        run.ok("README 的每条命令都在本流程里", not unknown, f"未覆盖：{unknown}")
        run.ok("本流程的每条命令都印在 README 里", not absent, f"README 里没有：{absent}")
        order = [c for c in commands if c in planned]
        run.ok("README 里命令的顺序与本流程一致", order == [s.command for s in STEPS if s.command in order], str(order))
        run.ui()
        for step in [s for s in STEPS if s.command in commands] + BAD_INPUT:
            run.step(step)
        status = run.sh("git status --porcelain --untracked-files=all").stdout.strip()
        run.ok("生成的文件没有作为未跟踪文件留在仓库里", status == "", status)
        shutil.rmtree(clone / "out", ignore_errors=True)
    print(f"新人流程：{len(run.passed)} 项检查通过，{len(run.failed)} 项失败", flush=True)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
