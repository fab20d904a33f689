"""A plan's pictures: drawn from the numbers engine's figures, in the shipped Chinese font, embedded in the Word file,
written beside the Markdown file and shown in the preview."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from PIL import Image

from assistant.charts import plan_charts, regions_chart
from assistant.charts.font import FONT_FILE, missing_glyphs
from assistant.config import EXAMPLE_REQUEST, PROJECT_ROOT
from assistant.drafting.offline import draft_offline
from assistant.render import export, to_markdown
from assistant.request import load_request


@pytest.fixture(scope="module")
def plan():
    return draft_offline(load_request(EXAMPLE_REQUEST))


def test_every_plan_gets_four_charts_in_the_sections_they_illustrate(plan):
    charts = plan_charts(plan.figures)
    assert [(c.key, c.section) for c in charts] == [("targets", "target_breakdown"), ("funnel", "funnel_capacity"),
                                                    ("quotas", "target_breakdown"), ("budget", "budget")]
    for chart in charts:
        image = Image.open(io.BytesIO(chart.png))
        assert image.format == "PNG" and image.width == 1260 and image.height > 300
    titles = " ".join(c.title for c in charts)
    assert "合计 1,200 万元" in titles and "成交 80 单" in titles and "合计 150 万元" in titles


def test_the_same_figures_give_the_same_pictures_byte_for_byte(plan):
    from assistant.charts.draw import _plan_charts

    first = [c.png for c in plan_charts(plan.figures)]
    _plan_charts.cache_clear()
    assert [c.png for c in plan_charts(plan.figures)] == first, "no timestamps, no randomness"


def bar_heights(png: bytes) -> list[int]:
    """Heights in pixels of the coloured bars of a column chart, left to right (text is too short to count)."""
    import numpy as np

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    coloured = (rgb.max(axis=2) - rgb.min(axis=2)) > 60
    runs = []
    for column in coloured.T:
        best = run = 0
        for on in column:
            run = run + 1 if on else 0
            best = max(best, run)
        runs.append(best)
    bars, current = [], []
    for height in runs + [0]:
        if height > 40:
            current.append(height)
        elif current:
            bars.append(sorted(current)[len(current) // 2])
            current = []
    return bars


def test_the_monthly_bars_are_as_tall_as_the_engine_says_so_the_seasonality_shows(plan):
    from assistant.charts.draw import targets_chart

    months = [m.amount for m in plan.figures.months]
    heights = bar_heights(targets_chart(plan.figures).png)
    assert len(heights) == 12
    assert max(months) / min(months) > 2, "the example's 11-12月 are more than twice 2月"
    for amount, height in zip(months, heights, strict=True):
        assert abs(height / max(heights) - amount / max(months)) < 0.03


def test_the_shipped_font_draws_every_character_the_product_writes():
    text = "".join(p.read_text(encoding="utf-8") for folder in ("knowledge", "prompts", "examples", "evals/cases")
                   for p in sorted((PROJECT_ROOT / folder).rglob("*")) if p.suffix in (".md", ".yaml", ".csv", ".txt"))
    chinese = "".join(c for c in text if "\u4e00" <= c <= "\u9fff" or c in "，。：；（）、《》“”％")
    assert len(set(chinese)) > 1000
    assert missing_glyphs(chinese) == ""
    assert missing_glyphs("王磊李娜张伟刘洋堃喆淼犇") == "", "names outside GB2312 but inside GBK"
    assert (FONT_FILE.parent / "OFL.txt").is_file(), "the font ships with its licence"


def test_the_regions_overview_names_every_region():
    chart = regions_chart([("苏南", 1200.0), ("苏北", 800.0), ("上海", 2000.0)], "万元")
    assert chart.key == "regions" and "3 个区域" in chart.title and "4,000 万元" in chart.title


def test_word_has_the_charts_on_a4_and_markdown_has_them_beside_it(plan, tmp_path):
    docx = export(plan, tmp_path / "方案.docx", "docx")
    doc = Document(str(docx))
    assert (round(doc.sections[0].page_width.mm), round(doc.sections[0].page_height.mm)) == (210, 297)
    assert len(doc.inline_shapes) == 4
    captions = [p.text for p in doc.paragraphs if re.match(r"图\d ", p.text)]
    assert captions[0].startswith("图1 月度与季度目标") and len(captions) == 4

    md = export(plan, tmp_path / "方案.md", "md")
    links = re.findall(r"!\[(图\d[^\]]*)\]\(([^)]+)\)", md.read_text(encoding="utf-8"))
    assert [src for _, src in links] == ["方案_图表/targets.png", "方案_图表/quotas.png", "方案_图表/funnel.png",
                                         "方案_图表/budget.png"]
    assert all((tmp_path / src).is_file() for _, src in links)


def test_the_terminal_markdown_has_no_images_and_the_preview_has_them_inline(plan):
    assert "![" not in to_markdown(plan)
    from assistant.render import data_uri

    inline = to_markdown(plan, image_src=data_uri)
    assert inline.count("](data:image/png;base64,") == 4
