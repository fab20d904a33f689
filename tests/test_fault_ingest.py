"""The knowledge store under faults (issue 15): a large ingest killed with SIGKILL half-way, a write that died between
the new chunks and the removal of the old ones, and files built to make the loaders work forever."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from docx import Document

from assistant.config import Settings
from assistant.retrieval.knowledge_base import KnowledgeBase
from assistant.retrieval.loaders import LoadError, load
from assistant.retrieval.versions import committed

WORDS = ["销售", "漏斗", "客户", "渠道", "预算", "目标", "季度", "拜访", "经销商", "回款", "赢单率", "客单价", "市场", "竞争",
         "复盘", "激励", "提成", "线索", "商机", "签约", "华东", "江苏", "产品", "服务", "团队"]


def big_markdown(path: Path, sections: int, seed: int = 7) -> Path:
    """A long methodology file: one chunk per numbered section (~420 characters each)."""
    rng = random.Random(seed)
    parts = ["# 大文档\n"]
    for i in range(sections):
        body = "".join(rng.choice(WORDS) + ("，" if rng.random() < 0.15 else "") for _ in range(160))
        parts.append(f"## 第{i}节 主题{i % 97}\n\n编号{i}：{body}。\n")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def kb_for(tmp_path: Path, knowledge: Path | None = None, **overrides) -> KnowledgeBase:
    knowledge = knowledge or tmp_path / "empty-knowledge"
    knowledge.mkdir(exist_ok=True)
    return KnowledgeBase(Settings(data_dir=tmp_path / "data", knowledge_dir=knowledge, **overrides))


# ---------------------------------------------------------------- a version counts only when all its chunks are in


def test_a_version_with_fewer_chunks_than_it_declares_is_not_shown_and_flags_its_source():
    metas = [{"source": "a.md", "doc_hash": "new", "doc_chunks": 3, "ingested_at": 2.0, "title": "A"},
             {"source": "a.md", "doc_hash": "new", "doc_chunks": 3, "ingested_at": 2.0, "title": "A"},
             {"source": "b.md", "doc_hash": "old", "doc_chunks": 1, "ingested_at": 1.0, "title": "B"},
             {"source": "b.md", "doc_hash": "newer", "doc_chunks": 1, "ingested_at": 5.0, "title": "B"},
             {"source": "legacy.md", "doc_hash": "x", "title": "L"}]  # written before versions were declared
    ids, _, kept, unsettled = committed(["a1", "a2", "b-old", "b-new", "l1"], ["t"] * 5, metas)
    assert ids == ["b-new", "l1"]
    assert [m["doc_hash"] for m in kept] == ["newer", "x"]
    assert unsettled["a.md"].reasons == ["上次导入中断"] and unsettled["a.md"].stray_chunks == 2
    assert unsettled["b.md"].reasons == ["旧版本残留"]
    assert "legacy.md" not in unsettled


@pytest.mark.slow
def test_a_replacement_that_died_half_way_keeps_serving_the_old_version_until_an_ingest_completes_it(tmp_path):
    kb = kb_for(tmp_path)
    doc = big_markdown(tmp_path / "方法.md", 30)
    other = tmp_path / "渠道.md"
    other.write_text("# 渠道政策\n\n经销商返利按回款阶梯计算，季度结算。\n", encoding="utf-8")
    assert kb.ingest([doc]).rows[0].status == "added"
    old_ids = {r.id for r in kb._prepare(doc, load(doc), *kb._source_of(doc), "v1")}
    big_markdown(doc, 30, seed=8)  # the file is edited; its new version is being written when the process dies
    new = kb._prepare(doc, load(doc), *kb._source_of(doc), "v2")
    kb.store.collection.upsert(ids=[r.id for r in new[:10]], documents=[r.document for r in new[:10]],
                               embeddings=[r.embedding for r in new[:10]], metadatas=[r.metadata for r in new[:10]])
    kb.store._bump()

    [info] = [s for s in kb.list_sources() if s.source.endswith("方法.md")]
    assert not info.complete and info.chunks == 30, "the old version, whole; none of the new one's first 10"
    hits = {h.id for h in kb.search("编号12 漏斗 回款 经销商", k=50)}
    assert hits and hits <= old_ids, "never a mix of two versions"

    report = kb.ingest([other])  # an ingest of something else completes the interrupted file too
    assert sorted((Path(r.path).name, r.status) for r in report.rows) == [("方法.md", "replaced"), ("渠道.md", "added")]
    assert all(s.complete for s in kb.list_sources())
    assert kb.ingest([doc]).rows[0].status == "unchanged"
    assert kb.store.count() == 31 and not {h.id for h in kb.search("编号12 漏斗 回款", k=50)} & old_ids


@pytest.mark.slow
@pytest.mark.server
def test_sigkill_during_a_large_ingest_then_the_next_ingest_heals_it(tmp_path):
    """A real `planassist kb ingest` of 1,000 chunks, killed with SIGKILL after 400 are written."""
    doc = big_markdown(tmp_path / "大文档.md", 1000)
    env = dict(os.environ, PLAN_DATA_DIR=str(tmp_path / "data"), PLAN_KB_WRITE_BATCH="100",
               PLAN_KNOWLEDGE_DIR=str(tmp_path / "no-knowledge"), COLUMNS="200")
    (tmp_path / "no-knowledge").mkdir()
    cli = [sys.executable, "-m", "assistant.cli.main"]
    proc = subprocess.Popen([*cli, "-v", "kb", "ingest", str(doc)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    written = 0
    for line in proc.stderr:
        m = re.search(r"chroma upsert (\d+)/1000 chunks", line)
        if m and int(m.group(1)) >= 400:
            os.kill(proc.pid, signal.SIGKILL)
            written = int(m.group(1))
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL and 400 <= written < 1000

    def cli_out(*args: str) -> str:
        done = subprocess.run([*cli, *args], env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "上次导入中断" in cli_out("kb", "list")
    assert "大文档" not in cli_out("kb", "search", "编号17 漏斗 回款", "--json"), "half a file is never served"
    healed = cli_out("kb", "ingest", str(doc))
    assert "新增 1" in healed and "写入 1000 个片段" in healed
    assert "未变 1" in cli_out("kb", "ingest", str(doc))
    listed = cli_out("kb", "list")
    assert "上次导入中断" not in listed and "1000" in listed


# ---------------------------------------------------------------- files built to make the loaders work forever


def docx_bomb(path: Path, xml_mb: int) -> Path:
    """A valid .docx whose document.xml expands to `xml_mb` MB (compresses ~1000:1)."""
    Document().save(str(path.with_suffix(".base.docx")))
    base = zipfile.ZipFile(path.with_suffix(".base.docx"))
    xml = base.read("word/document.xml").decode()
    head, tail = xml.split("<w:body>")[0] + "<w:body>", "<w:sectPr" + xml.split("<w:sectPr", 1)[1]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for item in base.infolist():
            if item.filename != "word/document.xml":
                z.writestr(item, base.read(item.filename))
        with z.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(head.encode())
            block = ("<w:p><w:r><w:t>漏斗</w:t></w:r></w:p>" * 4000).encode()
            for _ in range(xml_mb * 1048576 // len(block)):
                fh.write(block)
            fh.write(tail.encode())
    return path


def test_a_docx_that_expands_to_hundreds_of_megabytes_is_refused_before_parsing(tmp_path):
    bomb = docx_bomb(tmp_path / "bomb.docx", 200)
    assert bomb.stat().st_size < 2 * 1048576
    with pytest.raises(LoadError, match=r"解压后正文 XML 有 20\d MB（上限 32 MB），可能是压缩炸弹"):
        load(bomb, max_bytes=20 * 1048576)


def test_a_long_word_document_keeps_its_headings_and_loads_in_one_pass(tmp_path):
    document = Document()
    for i in range(500):
        document.add_heading(f"第{i}部分", level=2)
        document.add_paragraph(f"第{i}段正文：经销商返利按回款阶梯计算。")
    document.save(str(tmp_path / "long.docx"))
    text = load(tmp_path / "long.docx").text.splitlines()
    assert text[:2] == ["## 第0部分", "第0段正文：经销商返利按回款阶梯计算。"] and len(text) == 1000


def pdf_sharing_one_stream(path: Path, mb: int, pages: int) -> Path:
    ops = b"BT /F1 12 Tf 72 720 Td (sales funnel plan) Tj ET\n"
    stream = zlib.compress(ops * (mb * 1048576 // len(ops)), 9)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + " ".join(f"{5 + i} 0 R" for i in range(pages)).encode()
            + b"] /Count " + str(pages).encode() + b" >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n" + stream
            + b"\nendstream"]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
             b"/Contents 4 0 R >>"] * pages
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def test_a_small_pdf_whose_pages_all_reuse_one_huge_stream_is_refused(tmp_path):
    pdf = pdf_sharing_one_stream(tmp_path / "p.pdf", 4, 200)
    assert pdf.stat().st_size < 100_000
    with pytest.raises(LoadError, match="PDF 的页面内容解压后超过 64 MB"):
        load(pdf)


def test_an_xlsx_that_expands_to_hundreds_of_megabytes_is_refused_as_batch_input(tmp_path):
    from openpyxl import Workbook

    from assistant.batch.sheets import BatchInputError, read_sheet

    book = Workbook()
    book.active.append(["区域", "目标"])
    book.save(str(tmp_path / "base.xlsx"))
    base = zipfile.ZipFile(tmp_path / "base.xlsx")
    with zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        for item in base.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                z.writestr(item, base.read(item.filename))
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 4000
            for _ in range(100 * 1048576 // len(row)):
                fh.write(row)
            fh.write(b"</sheetData></worksheet>")
    with pytest.raises(BatchInputError, match=r"解压后正文 XML 有 10\d MB（上限 12 MB）"):
        read_sheet(tmp_path / "bomb.xlsx")


@pytest.mark.slow
def test_the_cli_reports_a_bomb_as_one_skipped_row_and_ingests_the_rest(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from assistant.cli.main import app

    docx_bomb(tmp_path / "炸弹.docx", 100)
    (tmp_path / "好文件.md").write_text("# 回款\n\n回款按月跟进，逾期 30 天升级。\n", encoding="utf-8")
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["kb", "ingest", str(tmp_path / "炸弹.docx"), str(tmp_path / "好文件.md")])
    assert result.exit_code == 0, result.output
    assert "可能是压缩炸弹或异常文件" in result.output and "新增 1" in result.output
