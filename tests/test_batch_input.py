"""A sales director's regions sheet -> allocated targets and one request per region (no drafting here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.batch.allocation import BatchInputError, parse_weights, prepare

FIXTURES = Path(__file__).parent / "fixtures" / "batch"
COMPANY = FIXTURES / "company.yaml"


def cents(values) -> int:
    return sum(round(v * 100) for v in values)


def write_csv(tmp_path: Path, text: str, name: str = "regions.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.slow
def test_an_excel_gbk_export_without_targets_shares_out_the_company_total_exactly():
    p = prepare(FIXTURES / "regions_12_gbk.csv", COMPANY)
    assert "GB18030" in p.source_note and p.warnings == []
    assert [r.region for r in p.regions][:3] == ["苏南", "苏北", "苏中"] and len(p.regions) == 12
    assert all(r.request is not None and not r.explicit for r in p.regions)
    assert cents(r.target for r in p.regions) == 10000 * 100
    su_nan = p.regions[0]
    assert su_nan.request.revenue_target == su_nan.target
    assert su_nan.request.baseline_revenue == 1450 and su_nan.request.headcount == 9
    assert su_nan.growth == round(su_nan.target / 1450 - 1, 4)
    assert su_nan.request.channels == ["直销", "经销商"] and su_nan.request.competitors == ["壳牌", "美孚"]
    assert "区域负责人：王磊" in su_nan.request.notes and "制造业园区密集" in su_nan.request.notes
    assert su_nan.request.budget_total == round(su_nan.target * 0.08, 2)  # budget_ratio: 8%
    assert su_nan.request.win_rate == 0.3  # shared from the company file
    fujian = next(r for r in p.regions if r.region == "福建")
    assert fujian.flags == ["人均目标高于中位数40%"]  # 2 reps carry a 3-rep share


@pytest.mark.slow
def test_the_blend_is_potential_last_year_and_headcount(tmp_path):
    path = write_csv(tmp_path, "区域,市场潜力,去年销售额,人数\n甲,3000,1000,5\n乙,1000,1000,5\n")
    p = prepare(path, COMPANY, total=1000)
    # 甲: 0.4×3/4 + 0.4×1/2 + 0.2×1/2 = 0.6
    assert [r.target for r in p.regions] == [600, 400]
    only_potential = prepare(path, COMPANY, total=1000, weights="potential=1")
    assert [r.target for r in only_potential.regions] == [750, 250]


def test_stated_targets_are_kept_and_only_the_rest_is_shared(tmp_path):
    path = write_csv(tmp_path, "region,target,potential\nA,300,\nB,,1\nC,,3\n")
    p = prepare(path, COMPANY, total=1000)
    assert [(r.target, r.explicit) for r in p.regions] == [(300, True), (175, False), (525, False)]


def test_thirds_that_do_not_divide_still_sum_to_the_total(tmp_path):
    path = write_csv(tmp_path, "区域\n甲\n乙\n丙\n")
    p = prepare(path, COMPANY, total=100)
    assert [r.target for r in p.regions] == [33.34, 33.33, 33.33]
    assert p.regions[0].share + p.regions[1].share + p.regions[2].share == pytest.approx(1, abs=1e-3)


def test_a_region_missing_a_component_gets_the_average_and_a_flag(tmp_path):
    path = write_csv(tmp_path, "区域,去年销售额\n甲,100\n乙,\n丙,200\n")
    p = prepare(path, COMPANY, total=450)
    assert [r.target for r in p.regions] == [100, 150, 200]
    assert p.regions[1].flags == ["缺少去年销售额，分配时按平均值计"]


def test_stated_targets_above_the_company_total_stop_the_batch(tmp_path):
    path = write_csv(tmp_path, "区域,目标\n甲,800\n乙,300\n丙,\n")
    with pytest.raises(BatchInputError, match="超过公司总目标"):
        prepare(path, COMPANY, total=1000)


def test_all_targets_stated_but_not_adding_up_is_a_warning(tmp_path):
    path = write_csv(tmp_path, "区域,目标\n甲,600\n乙,300\n")
    p = prepare(path, COMPANY, total=1000)
    assert [r.target for r in p.regions] == [600, 300]
    assert any("与公司总目标 1,000万元 不一致" in w for w in p.warnings)


def test_a_messy_sheet_reports_each_bad_row_and_plans_the_rest():
    p = prepare(FIXTURES / "regions_messy_utf8.csv", COMPANY, total="1.5亿")
    by_line = {r.line: r for r in p.regions}
    assert by_line[2].target == 1200 and by_line[3].target == 12000  # "1,200万" and "1.2亿"
    assert by_line[4].error == "缺少区域名称"
    assert by_line[5].error == "人数不能为负数（-3）"
    assert "「八百左右」不是可识别的金额" in by_line[6].error
    assert by_line[7].error == by_line[8].error == "区域名称「上海」重复（第7、8行），请合并或改名"
    # the five bad rows keep their shares (row 4 its stated 500): only 浙南's own share is drafted
    assert by_line[9].request is not None and by_line[9].target == 166.71
    assert all(by_line[line].request is None and by_line[line].target > 0 for line in (4, 5, 6, 7, 8))
    assert round(sum(r.target for r in p.regions), 2) == 15000 and p.reallocated == []
    assert "合计" not in [r.region for r in p.regions]
    assert p.warnings == ["表中「合计」行的去年销售额 13,810万元 与各区域之和 13,610万元 不一致，已按各区域明细计算"]

    spread = prepare(FIXTURES / "regions_messy_utf8.csv", COMPANY, total="1.5亿", reallocate_failed=True)
    assert {r.line: r.target for r in spread.regions if r.request is not None} == {2: 1200, 3: 12000, 9: 1800}
    assert spread.reallocated == [4, 5, 6, 7, 8]


def test_header_units_convert_bare_numbers(tmp_path):
    path = write_csv(tmp_path, "区域,目标(元),去年销售额(万元)\n甲,12000000,900\n")
    r = prepare(path, COMPANY).regions[0]
    assert (r.target, r.last_year) == (1200, 900)


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_delimiters_are_recognised(tmp_path, sep):
    path = write_csv(tmp_path, f"区域{sep}去年销售额{sep}人数\n甲{sep}100{sep}2\n乙{sep}300{sep}2\n")
    # no potential column: last_year 0.4 and headcount 0.2, renormalised -> 甲 (0.4×1/4 + 0.2×1/2) / 0.6 = 1/3
    assert [r.target for r in prepare(path, COMPANY, total=400).regions] == [133.33, 266.67]


def test_row_columns_override_the_company_defaults(tmp_path):
    path = write_csv(tmp_path, "区域,客单价,赢单率,产品\n甲,30万,40%,液压油\n乙,,,\n")
    a, b = (r.request for r in prepare(path, COMPANY, total=1000).regions)
    assert (a.avg_deal_size, a.win_rate, a.product) == (30, 0.4, "液压油")
    assert (b.avg_deal_size, b.win_rate, b.product) == (15, 0.3, "工业齿轮油与液压油")


def test_a_company_budget_and_new_customer_goal_are_shared_out_exactly(tmp_path):
    company = tmp_path / "company.yaml"
    company.write_text("company: 甲公司\nperiod: 2027年\nrevenue_target: 1000\nbudget_total: 100\n"
                       "new_customers: 10\n", encoding="utf-8")
    path = write_csv(tmp_path, "区域,权重\n甲,1\n乙,1\n丙,1\n")
    reqs = [r.request for r in prepare(path, company).regions]
    assert cents(r.budget_total for r in reqs) == 100 * 100
    assert sum(r.new_customers for r in reqs) == 10


def test_a_request_problem_is_reported_on_its_row(tmp_path):
    path = write_csv(tmp_path, "区域,客单价\n甲,5000万\n乙,\n")
    a, b = prepare(path, COMPANY, total=1000).regions
    assert "平均客单价大于销售额目标" in a.error and a.request is None
    assert b.request is not None


def test_merged_two_row_headers_in_xlsx(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["2027年区域目标表"])
    sheet.append(["区域", "销售额（元）", None, "人数"])
    sheet.append([None, "去年", "目标", None])
    sheet.append(["苏南", 14_500_000, None, 9])
    sheet.append(["苏北", 5_200_000, 8_000_000, 4])
    sheet.append(["苏中", 4_300_000, None, 3])
    for rng in ("A1:D1", "A2:A3", "B2:C2", "D2:D3"):
        sheet.merge_cells(rng)
    path = tmp_path / "regions.xlsx"
    book.save(path)
    p = prepare(path, COMPANY, total=3000)
    assert "合并单元格" in p.source_note
    assert [(r.region, r.last_year, r.headcount, r.explicit) for r in p.regions] == [
        ("苏南", 1450, 9, False), ("苏北", 520, 4, True), ("苏中", 430, 3, False)]
    assert p.regions[1].target == 800 and cents(r.target for r in p.regions) == 3000 * 100


@pytest.mark.parametrize("content, message", [
    (b"", "是空的"),
    (b"\xef\xbb\xbf\r\n", "是空的"),
    ("区域,目标\n".encode(), "没有数据行"),
    ("名称,金额\n甲,100\n".encode(), "找不到「区域」列"),
])
def test_unusable_sheets_stop_with_a_clear_message(tmp_path, content, message):
    path = tmp_path / "regions.csv"
    path.write_bytes(content)
    with pytest.raises(BatchInputError, match=message):
        prepare(path, COMPANY, total=100)


def test_unsupported_files_are_named(tmp_path):
    with pytest.raises(BatchInputError, match="找不到区域文件"):
        prepare(tmp_path / "nope.csv", COMPANY)
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(BatchInputError, match="另存为 .xlsx"):
        prepare(tmp_path / "old.xls", COMPANY)
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(BatchInputError, match="无法打开 Excel 文件"):
        prepare(tmp_path / "broken.xlsx", COMPANY)


def test_company_file_problems_name_the_field(tmp_path):
    company = tmp_path / "company.yaml"
    company.write_text("company: 甲公司\nrevenue_target: 1000\nwin_rate: 150%\n", encoding="utf-8")
    path = write_csv(tmp_path, "区域\n甲\n")
    with pytest.raises(BatchInputError) as exc:
        prepare(path, company)
    assert exc.value.problems[0] == "公司配置文件有问题：" and "赢单率" in exc.value.problems[1]


def test_no_total_anywhere_and_rows_without_targets(tmp_path):
    company = tmp_path / "company.yaml"
    company.write_text("company: 甲公司\nperiod: 2027年\n", encoding="utf-8")
    with pytest.raises(BatchInputError, match="--total"):
        prepare(write_csv(tmp_path, "区域\n甲\n"), company)


def test_weights_accept_chinese_names_and_reject_unknown_ones():
    assert parse_weights("市场潜力=0.5,去年销售额=0.5") == {"potential": 0.5, "last_year": 0.5, "headcount": 0.0}
    with pytest.raises(BatchInputError, match="不认识"):
        parse_weights("profit=1")


def test_a_totals_row_that_does_not_add_up_is_reported_not_planned(tmp_path):
    company = tmp_path / "company.yaml"
    company.write_text("company: 甲公司\nperiod: 2027年\n", encoding="utf-8")
    path = write_csv(tmp_path, "区域,目标\n甲,600\n乙,300\n合计,1000\n")
    p = prepare(path, company)
    assert [r.region for r in p.regions] == ["甲", "乙"] and p.total == 900
    assert p.warnings == ["表中「合计」行的目标 1,000万元 与各区域之和 900万元 不一致，已按各区域明细计算"]
