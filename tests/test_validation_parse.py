"""Reading plans people wrote: headings in their own words and styles, lists, tables, Word files — and a clear
Chinese error (not a score of 0) for anything that is not a readable plan."""

from __future__ import annotations

import io

import pytest

from assistant.validation import PlanParseError, load_checklist, load_document, validate_file, validate_text
from assistant.validation.reader import map_heading


@pytest.mark.parametrize("heading, key", [
    ("四、任务分解", "target_breakdown"), ("3.2 指标拆解", "target_breakdown"), ("目标分解", "target_breakdown"),
    ("（二）销售目标分解", "target_breakdown"), ("## 三、年度销售目标", "sales_targets"),
    ("【费用预算】", "budget"), ("第五部分 风险控制", "risks"), ("十二、过程管理", "tracking_review"),
    ("营销策略", "sales_strategy"), ("渠道建设", "channel_plan"), ("团队配置", "team"), ("工作计划", "action_plan"),
    ("绩效考核与激励", "kpi_incentives"), ("竞品分析", "market_analysis"), ("SWOT分析", "swot"),
    ("目标客户画像", "customer_persona"), ("漏斗与产能测算", "funnel_capacity"), ("前言", "executive_summary"),
    ("效果评估与持续改进", "evaluation"),
])
def test_headings_in_a_writers_own_words_map_to_canonical_sections(heading, key):
    assert map_heading(heading, load_checklist())[0] == key


def test_appendix_headings_are_recognised():
    checklist = load_checklist()
    assert map_heading("附：假设与待确认事项", checklist)[1] == "assumptions"
    assert map_heading("待确认事项", checklist)[1] == "open_questions"
    assert map_heading("参考资料", checklist)[1] == "references"


PLAN_WITH_MARKDOWN_HEADINGS = """\
# 星河科技2027年上半年销售方案

## 1. 销售目标
2027年6月30日前实现销售额600万元，回款540万元，新增客户12家。

## 2. 目标分解
### 2.1 月度目标
- 1月：80万元
- 2月：70万元
- 3月：110万元
- 4月：110万元
- 5月：110万元
- 6月：120万元

### 2.2 个人指标
| 销售 | 指标（万元） |
| --- | --- |
| 王磊 | 320 |
| 李娜 | 300 |

## 3. 客户画像
目标客户为珠三角年营收1-5亿元的电子制造企业，核心需求是缩短交期、稳定良率。

## 4. 风险与应对
- 市场风险：竞品降价10%以上时启动价值营销，负责人：王磊
- 客户风险：回款逾期超过30天时暂停发货，负责人：李娜
- 执行风险：周拜访量连续两周低于目标时一对一辅导，负责人：销售经理

待确认：主要竞争对手名单
"""


def test_a_markdown_plan_with_numbered_headings_lists_and_tables_is_read():
    doc = load_document_text(PLAN_WITH_MARKDOWN_HEADINGS)
    assert doc.title == "星河科技2027年上半年销售方案"
    assert set(doc.sections) == {"sales_targets", "target_breakdown", "customer_persona", "risks"}
    assert doc.facts.period[:2] == (__import__("datetime").date(2027, 1, 1), __import__("datetime").date(2027, 6, 30))
    assert doc.facts.target == 600
    assert doc.sections["risks"].open_questions == ["主要竞争对手名单"]  # a question is not content
    report = validate_text(PLAN_WITH_MARKDOWN_HEADINGS)
    r = {f.id: f for f in report.items}
    assert r["BRK-02"].status == "pass"  # six months listed as '1月：80万元'
    assert r["BRK-05"].status == "pass" and "6个月合计600万元" in r["BRK-05"].reason
    assert r["BRK-06"].status == "pass" and "指标合计620万元" in r["BRK-06"].reason  # 103%, within 120%
    assert r["BRK-04"].status == "pass" and "王磊" in r["BRK-04"].reason
    assert r["RSK-01"].status == "pass"
    assert r["RSK-02"].status == "fail" and "管理风险" in r["RSK-02"].reason
    assert r["MKT-01"].status == "pass" and "待确认" in r["MKT-01"].reason  # an open question is an acceptable answer
    assert r["SEC-02"].status == "fail"  # but the market section is still missing


BOLD_AND_NUMBERED_HEADINGS = """\
**2027年西南区销售工作方案**

**一、销售目标**

2027年12月31日前实现销售额500万元，回款450万元，新增客户10家。

**二、团队**

现有销售4人（王一、李二、张三、赵四），本期不新增人员。

**三、行动计划**

1. 1月15日前完成客户分级，负责人：王一，交付：客户分级表
2. 3月31日前完成首轮拜访，负责人：李二，交付：拜访记录
3. 6月30日前半年复盘，负责人：张三，交付：复盘报告

1. 预算

- 推广：20万元
- 差旅：15万元
- 招待：10万元
- 合计：45万元
"""


def test_bold_lines_and_numbered_list_items_can_be_section_headings():
    doc = load_document_text(BOLD_AND_NUMBERED_HEADINGS)
    assert doc.title == "2027年西南区销售工作方案"
    assert list(doc.sections) == ["sales_targets", "team", "action_plan", "budget"]
    assert len(doc.sections["action_plan"].lines) == 3  # '1. 1月15日前…' stays an action item
    report = validate_text(BOLD_AND_NUMBERED_HEADINGS)
    for item_id in ("TEAM-01", "ACT-01", "ACT-02", "BUD-01", "BUD-02"):
        assert report.item(item_id).status == "pass", report.item(item_id).reason
    assert "本期不新增人员" in report.item("TEAM-01").reason


def load_document_text(text: str):
    from assistant.validation.reader import parse_text

    return parse_text(text, "手写方案.md")


def _docx_plan() -> bytes:
    from docx import Document

    d = Document()
    d.add_heading("华北区2027年第二季度销售方案", level=0)
    d.add_paragraph("计划周期：2027年4月1日至2027年6月30日")
    d.add_heading("一、销售目标", level=1)
    d.add_paragraph("2027年6月30日前完成销售额300万元，回款270万元，新增客户8家。")
    d.add_heading("二、目标分解", level=1)
    p = d.add_paragraph()
    p.add_run("月度分解").bold = True
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "月份", "目标（万元）"
    for month, amount in (("4月", "90"), ("5月", "100"), ("6月", "110")):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = month, amount
    d.add_heading("三、行动计划", level=1)
    for text in ("4月10日前完成重点客户拜访清单，负责人：张强，交付：客户清单",
                 "5月20日前举办产品推介会，负责人：刘芳，交付：线索名单",
                 "6月25日前完成季度复盘，负责人：张强，交付：复盘报告"):
        d.add_paragraph(text, style="List Bullet")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_a_word_plan_is_read_by_heading_styles_lists_and_tables(tmp_path):
    path = tmp_path / "华北区方案.docx"
    path.write_bytes(_docx_plan())
    report = validate_file(path)
    assert report.title == "华北区2027年第二季度销售方案"
    r = {f.id: f for f in report.items}
    assert r["GEN-01"].status == "pass" and "2027-04-01 至 2027-06-30" in r["GEN-01"].reason
    assert r["TGT-01"].status == "pass"
    assert r["BRK-01"].status == "na"  # a one-quarter plan needs no quarterly breakdown
    assert r["BRK-02"].status == "pass" and r["BRK-05"].status == "pass"
    assert r["ACT-01"].status == "pass" and r["ACT-02"].status == "pass"
    assert r["SEC-12"].status == "fail"  # no budget section


@pytest.mark.parametrize("name, data, message", [
    ("plan.md", b"", "是空的"),
    ("plan.md", b"   \n\n  ", "是空的"),
    ("plan.md", b"\x00\x01\x02PK\x00binary", "二进制"),
    ("plan.md", "今天开会讨论了很多事情。\n明天继续。".encode(), "没有识别出销售方案的章节"),
    ("plan.md", "# 会议纪要\n## 参会人员\n张三\n".encode(), "会议纪要"),
    ("plan.json", b"{not json", "不是合法的 JSON"),
    ("plan.json", b'{"title": "x"}', "不是本工具导出的方案 JSON"),
    ("plan.docx", b"PK\x03\x04 this is not really a zip", "无法打开 Word 文件"),
    ("plan.doc", b"\xd0\xcf\x11\xe0 old word", "另存为 .docx"),
    ("plan.pdf", b"%PDF-1.7", "不支持的文件类型"),
])
def test_unreadable_input_gets_a_clear_chinese_error_not_a_score(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(PlanParseError, match=message):
        validate_file(path)


def test_a_missing_file_is_named():
    with pytest.raises(PlanParseError, match="找不到文件"):
        load_document("/no/such/plan.md")


def test_gbk_encoded_markdown_is_read(tmp_path):
    path = tmp_path / "gbk.md"
    path.write_bytes(PLAN_WITH_MARKDOWN_HEADINGS.encode("gb18030"))
    assert validate_file(path).title == "星河科技2027年上半年销售方案"


# ---------------------------------------------------------------- whatever people write, the validator answers

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

HEADINGS = ["一、销售目标", "## 任务分解", "（一）月度目标", "**费用预算**", "# 风险控制", "【工作计划】", "三、市场分析",
            "### 竞争对手", "附：假设与待确认事项", "参考资料", "## 会议纪要", "第二部分 团队建设", "KPI"]
CELLS = ["1月", "Q2", "第三季度", "张三", "待定", "XX", "1,200万元", "35%", "135%", "0", "-5%", "2027-13-45", "3月底",
         "2028年2月", "负责人：李四", "—", "", "1.2亿", "一千二百万", "每周", "合计", "[1]"]


@st.composite
def markdown_plans(draw) -> str:
    blocks = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        kind = draw(st.sampled_from(["h", "p", "li", "table"]))
        if kind == "h":
            blocks.append(draw(st.sampled_from(HEADINGS)))
        elif kind == "table":
            cols = draw(st.integers(min_value=1, max_value=4))
            rows = draw(st.lists(st.lists(st.sampled_from(CELLS), min_size=cols, max_size=cols), max_size=5))
            header = draw(st.lists(st.sampled_from(["月份", "目标（万元）", "负责人", "占比", "阶段", "数量", "科目"]),
                                   min_size=cols, max_size=cols))
            blocks.append("\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * cols]
                                    + ["| " + " | ".join(r) + " |" for r in rows]))
        else:
            words = draw(st.lists(st.sampled_from(CELLS + ["销售额", "回款", "赢单率", "增长", "去年", "：", "，"]),
                                  max_size=8))
            blocks.append(("- " if kind == "li" else "") + "".join(words))
    return "\n\n".join(blocks)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_plans())
@pytest.mark.slow
def test_any_markdown_gets_a_report_or_a_clear_error_never_a_crash(text):
    try:
        report = validate_text(text)
    except PlanParseError as exc:
        assert str(exc)
        return
    assert 0 <= report.score <= 100
    assert not [f.id for f in report.items if f.reason.startswith("检查出错")]
