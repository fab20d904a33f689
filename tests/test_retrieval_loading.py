"""Loading and cleaning a user's documents: formats, encodings, web boilerplate, splitting."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from assistant.retrieval.cleaning import clean_text
from assistant.retrieval.loaders import LoadError, decode_bytes, load
from assistant.retrieval.splitter import SplitConfig, assign_ids, split_document
from assistant.retrieval.text import normalize, tokenize

FIXTURES = Path(__file__).parent / "fixtures" / "retrieval"
SEEDS = FIXTURES / "seeds"

PLAIN = "销售目标要分解到季度和月度。每个销售人员的指标之和不低于团队目标！新人按爬坡期折算产能；老员工按全年计算。"


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF with a Helvetica text line, with a correct xref table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_a_simplified_text_file_in_any_common_encoding_reads_back_identically(tmp_path, encoding):
    path = tmp_path / f"plan-{encoding}.txt"
    path.write_bytes(PLAIN.encode(encoding))
    assert load(path).text.strip() == PLAIN


def test_a_big5_file_is_not_mistaken_for_gbk_and_normalises_to_simplified(tmp_path):
    traditional = "銷售目標要分解到季度和月度。每個銷售人員的指標之和不低於團隊目標！新人按爬坡期折算產能。"
    path = tmp_path / "big5.txt"
    path.write_bytes(traditional.encode("big5"))
    text = load(path).text
    assert text.strip() == traditional
    assert "销售目标" in normalize(text) and "团队目标" in normalize(text)


def test_bytes_that_are_no_known_chinese_encoding_are_refused_with_a_reason():
    garbage = bytes(range(0x80, 0x100)) * 8
    with pytest.raises(LoadError, match="编码"):
        decode_bytes(garbage)


# ---------------------------------------------------------------- bad input, one reason each


def test_each_kind_of_bad_file_is_refused_with_its_own_chinese_reason(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("   \n\n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    (tmp_path / "notes.xyz").write_text("内容", encoding="utf-8")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04" + bytes(300))
    truncated_pdf = tmp_path / "truncated.pdf"
    truncated_pdf.write_bytes(tiny_pdf("Sales plan")[:120])
    big = tmp_path / "big.txt"
    big.write_text(PLAIN * 400, encoding="utf-8")

    def reason(name: str, **kw) -> str:
        with pytest.raises(LoadError) as info:
            load(tmp_path / name, **kw)
        return str(info.value)

    assert reason("empty.txt") == "文件为空"
    assert reason("blank.md") == "文件为空"
    assert "二进制" in reason("binary.txt")
    assert "不支持的文件类型 .xyz" in reason("notes.xyz")
    assert "Word 文件已损坏" in reason("broken.docx")
    assert "PDF" in reason("truncated.pdf")
    assert "文件过大" in reason("big.txt", max_bytes=1000)
    assert reason("missing.md") == "路径不存在"


# ---------------------------------------------------------------- formats


def test_a_word_document_keeps_its_headings_and_tables(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("华东区年度销售方案", level=1)
    document.add_heading("一、目标分解", level=2)
    document.add_paragraph("全年目标1200万元，按季度分解为240、300、300、360万元。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "季度", "目标"
    table.cell(1, 0).text, table.cell(1, 1).text = "Q1", "240万元"
    path = tmp_path / "plan.docx"
    document.save(path)

    doc = load(path)
    assert "# 华东区年度销售方案" in doc.text and "## 一、目标分解" in doc.text
    assert "Q1 | 240万元" in doc.text
    chunks = split_document(doc.text, "华东区年度销售方案", outline=True)
    assert chunks[0].headings == ["一、目标分解"]
    assert chunks[0].text.startswith("华东区年度销售方案 › 一、目标分解\n")


def test_a_docx_whose_zip_is_cut_short_is_reported_corrupt(tmp_path):
    import docx

    path = tmp_path / "cut.docx"
    document = docx.Document()
    document.add_paragraph("内容" * 200)
    document.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert not zipfile.is_zipfile(path)
    with pytest.raises(LoadError, match="Word 文件已损坏"):
        load(path)


def test_a_pdf_with_text_is_extracted(tmp_path):
    path = tmp_path / "plan.pdf"
    path.write_bytes(tiny_pdf("Sales plan: SWOT analysis and funnel capacity"))
    assert "SWOT analysis" in load(path).text


def test_an_html_page_loses_navigation_footer_and_related_links_but_keeps_the_article(tmp_path):
    page = """<html><head><meta charset="gbk"><title>渠道规划怎么写 - 某某文库</title></head><body>
    <div class="nav">首页 | 范文 | 工作计划</div>
    <div class="breadcrumb">当前位置：首页 > 工作计划</div>
    <article><h1>渠道规划怎么写</h1>
    <p class="meta">发布时间：2024-03-01 作者：李老师</p>
    <p>328人看过</p>
    <h2>一、渠道定位</h2><p>直销团队负责大客户，经销商覆盖地级市中小客户，线上渠道负责获取线索。</p>
    <h2>二、渠道目标</h2><p>各渠道目标合计必须等于总目标，并写明关键动作和考核方式。</p>
    </article>
    <div class="related-articles"><h3>相关文章</h3><ul><li>离婚协议怎么写</li></ul></div>
    <div id="footer">版权所有 © 某某文库 本站内容由网友上传，如有侵权请联系删除</div>
    <script>var x = 1;</script></body></html>"""
    path = tmp_path / "page.html"
    path.write_bytes(page.encode("gb18030"))
    doc = load(path)
    cleaned = clean_text(doc.text).text
    assert "直销团队负责大客户" in cleaned and "各渠道目标合计" in cleaned
    for junk in ("首页", "当前位置", "328人看过", "发布时间", "离婚协议", "版权所有", "var x"):
        assert junk not in cleaned, junk
    chunks = split_document(cleaned, doc.title, outline=True)
    assert ["一、渠道定位"] in [c.headings for c in chunks]


# ---------------------------------------------------------------- cleaning the scraped seed articles


def test_given_the_scraped_seed_pages_cleaning_removes_site_boilerplate_but_keeps_the_article():
    junk = ["人看过", "作者:寻法网", "推荐文章", "离婚", ".webp", "下載本文檔", "版權說明", "溫馨提示", "當前位置",
            "当前位置", "字数:", "原创力文档", "侵权必究", "文档评论", "该用户很懒", "相关文档", "VIP文档", "评论"]
    for path in sorted(SEEDS.glob("*.txt")):
        cleaned = clean_text(load(path).text).text
        assert len(cleaned) > 1500, path.name
        for word in junk:
            assert word not in cleaned, (path.name, word)
    body = clean_text(load(SEEDS / "000_d85e1a248510cb42.txt").text).text
    assert "一、销售工作方案的制定原则" in body and "八、总结" in body
    # the page's summary excerpt repeated the first paragraph; only the paragraph itself remains
    assert body.count("销售工作方案是企业实现销售目标的重要工具") == 1


def test_pinyin_readings_pasted_after_traditional_characters_are_removed():
    cleaned = clean_text(load(SEEDS / "001_afdd2010676452df.txt").text)
    assert "設(shè)" not in cleaned.text and "設計與執行" in cleaned.text
    assert cleaned.title_hint == "2024銷售管理方案設計與執行指導"


def test_repeated_headings_in_a_page_are_kept_once():
    cleaned = clean_text(load(SEEDS / "002_d41fe73edb011cba.txt").text).text
    assert cleaned.splitlines().count("5. 定期跟进和调整计划") == 1


# ---------------------------------------------------------------- splitting


def test_long_paragraphs_split_at_chinese_sentence_ends_and_keep_their_punctuation():
    paragraph = "".join(f"第{i}条：销售人员每周复盘商机推进情况，并更新预测。" for i in range(60))
    chunks = split_document(paragraph, "复盘制度", config=SplitConfig(target_chars=200, max_chars=300, min_chars=60))
    assert len(chunks) > 3
    for c in chunks:
        assert len(c.body) <= 300
        assert c.body.endswith("。")
        assert c.text.startswith("复盘制度\n")
    assert "".join(c.body for c in chunks) == paragraph


def test_plain_text_outline_headings_become_the_heading_path():
    text = "一、市场分析\n（一）市场规模\n华东区同类产品年采购规模约1.5亿元，年增速8%。\n（二）竞争格局\n前三名合计份额45%。"
    chunks = split_document(text, "年度方案", config=SplitConfig(min_chars=10))
    assert [c.headings for c in chunks] == [["一、市场分析", "（一）市场规模"], ["一、市场分析", "（二）竞争格局"]]


def test_a_long_markdown_table_cut_in_two_repeats_its_header_row():
    rows = "\n".join(f"| {i} | 任务{i} | 负责人{i} | 3月{i}日前 |" for i in range(40))
    text = f"## 行动计划\n| 序号 | 任务 | 负责人 | 时间 |\n|---|---|---|---|\n{rows}"
    chunks = split_document(text, "方案", outline=False)
    assert len(chunks) > 1
    assert all("| 序号 | 任务 | 负责人 | 时间 |" in c.body for c in chunks)


def test_chunk_ids_are_stable_and_depend_on_source_and_content():
    a = assign_ids("a.md", split_document(PLAIN, "标题"))
    b = assign_ids("a.md", split_document(PLAIN, "标题"))
    c = assign_ids("b.md", split_document(PLAIN, "标题"))
    d = assign_ids("a.md", split_document(PLAIN + "新增一句。", "标题"))
    assert [x.id for x in a] == [x.id for x in b]
    assert a[0].id != c[0].id and a[0].id != d[0].id


def test_tokens_are_the_same_for_traditional_and_simplified_and_full_width_text():
    assert tokenize("銷售漏斗轉化率") == tokenize("销售漏斗转化率")
    assert tokenize("ＳＷＯＴ分析") == tokenize("SWOT分析")
    assert "赢单率" in tokenize("赢单率按25%估算")


def test_content_that_merely_resembles_page_furniture_is_kept():
    note = ("# 周会制度\n时间：每周五下午四点\n分享成功案例是团队学习的关键。\n| 会议 | 频率 |\n|---|---|\n| 周会 | 每周 |\n"
            "| 月会 | 每月 |\n|---|---|\n下载CRM报表后按区域汇总。")
    cleaned = clean_text(note).text
    assert cleaned.splitlines() == note.splitlines()
