"""A first-time user in a real browser: describe the plan, answer the follow-up, draft, read the score, revise one
section, download the Word file, reload the page and find the draft again. Headless Debian Chromium driven by
Playwright (no browser download).

Leaves test-artifacts/ui_plan.png (the drafted plan) and ui_revised.png for a human to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docx import Document

from assistant.config import PROJECT_ROOT, Settings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.server,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="需要 Debian 的 chromium 包（/usr/bin/chromium）：apt-get install -y chromium"),
]


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    from assistant.ui.app import launch

    demo, local_url = launch(Settings(data_dir=tmp_path_factory.mktemp("browser-data")), port=None)  # first free port
    yield local_url
    demo.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def wait_for_chat(page, text: str, timeout: float = 30_000) -> None:
    page.wait_for_function("t => (document.querySelector('#chat')?.innerText || '').includes(t)",
                           arg=text, timeout=timeout)


def wait_for_field(page, field: str, value: str, timeout: float = 30_000) -> None:
    """The chat answer and the form are two Gradio outputs: wait until the form shows the value too."""
    page.wait_for_function(
        "([f, v]) => [...document.querySelectorAll(`#f-${f} input, #f-${f} textarea`)].some(e => e.value === v)",
        arg=[field, value], timeout=timeout)


def show_heading(page, preview, name: str) -> None:
    """Scroll the plan preview's own scroll box to a heading, keeping the page header in view (for screenshots)."""
    preview.get_by_role("heading", name=name).evaluate("h => h.scrollIntoView({block: 'start'})")
    page.evaluate("window.scrollTo(0, 0)")


# what a user must never see: server paths, the knowledge folder's file names, field names, environment variables
INTERNAL = re.compile(r"knowledge/|/tmp/|/root/|\.planassist|uploads/|PLAN_[A-Z_]+|方法论默认值|相关度 \d|"
                      r"\b(revenue_target|budget_split|win_rate|avg_deal_size|seasonality|data_dir)\b|[a-z_]+\.md\b")


def internal_text(text: str) -> list[str]:
    return sorted({m.group(0) for m in INTERNAL.finditer(text)})


def selected_tab(page) -> str:
    return page.locator("[role=tab][aria-selected=true]").first.inner_text().strip()


def send(page, text: str) -> None:
    box = page.locator("#message textarea")
    box.fill(text)
    box.press("Enter")


def test_first_time_user_drafts_revises_and_downloads_word(url, browser, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(locale="zh-CN", viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    page.goto(url)
    page.wait_for_selector("#message textarea")
    assert "离线模式" in page.locator("#header").inner_text()

    send(page, "明年江苏要做到1200万，6个销售")
    wait_for_chat(page, "请问公司名称是什么？")
    wait_for_field(page, "revenue_target", "1200")

    send(page, "公司叫华东工业润滑油有限公司，预算150万")
    wait_for_chat(page, "必填信息已齐全")
    page.click("#draft-button")
    wait_for_chat(page, "方案已生成（第 1 版）")

    page.wait_for_function("() => document.querySelector('[role=tab][aria-selected=true]')?.innerText.includes('方案预览')")
    assert selected_tab(page) == "方案预览", "after 生成方案 the plan is in front, not the form"
    preview = page.locator("#plan-preview")
    preview.get_by_text("华东工业润滑油有限公司江苏2027年全年销售工作方案").first.wait_for()
    charts = preview.locator("img[alt^='图']")
    charts.first.wait_for()
    sizes = charts.evaluate_all("imgs => imgs.map(i => [i.alt, i.naturalWidth])")
    assert len(sizes) >= 4 and all(width > 600 for _, width in sizes), sizes
    assert any("月度与季度目标" in alt for alt, _ in sizes) and any("销售漏斗" in alt for alt, _ in sizes)
    assert internal_text(page.locator("body").inner_text()) == []
    assert preview.locator("table").count() > 10
    assert "参考资料" in preview.inner_text()
    assert "起草进度：16/16" in page.locator("#progress").inner_text()
    show_heading(page, preview, "五、目标分解")
    page.screenshot(path=str(ARTIFACTS / "ui_plan.png"))

    page.get_by_role("tab", name="评分").click()
    score = page.locator("#score")
    score.get_by_text("完整性评分").wait_for()
    assert "/100" in score.inner_text() and "执行摘要" in score.inner_text()

    send(page, "把预算里线上投放提高到50%")
    wait_for_chat(page, "已更新的章节：预算与资源")
    page.get_by_role("tab", name="方案预览").click()
    preview.get_by_text("线上投放").first.wait_for()
    assert "本次修改：已改写 1 节" in page.locator("#progress").inner_text()
    show_heading(page, preview, "十二、预算与资源")
    page.screenshot(path=str(ARTIFACTS / "ui_revised.png"))

    page.get_by_role("tab", name="导出").click()
    button = page.locator("#download-docx")
    button.wait_for()
    with page.expect_download() as info:
        button.click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.suffix == ".docx" and "_v2" in saved.name
    doc = Document(str(saved))
    assert doc.paragraphs[0].text == "华东工业润滑油有限公司江苏2027年全年销售工作方案"
    cells = {cell.text for table in doc.tables for row in table.rows for cell in row.cells}
    assert "线上投放" in cells, "the downloaded file is the revised version"
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297), "A4"
    assert len(doc.inline_shapes) >= 4, "the charts are embedded"
    words = "\n".join([p.text for p in doc.paragraphs] + sorted(cells))
    assert internal_text(words) == []

    page.reload()  # a reload reopens the same draft: conversation, form and plan
    wait_for_chat(page, "已打开草稿")
    assert "把预算里线上投放提高到50%" in page.locator("#chat").inner_text()
    wait_for_field(page, "company", "华东工业润滑油有限公司")
    page.close()
