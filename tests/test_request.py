"""A sales manager writes a request file; what people actually write is accepted, mistakes are named in Chinese."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from typer.testing import CliRunner

from assistant.cli.main import app
from assistant.request import RequestError, build_request, load_request

MINIMAL = {"company": "华东润滑油", "region": "江苏", "period": "2027年", "revenue_target": "1200万"}


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2027年", date(2027, 1, 1), date(2027, 12, 31)),
        ("2027年全年", date(2027, 1, 1), date(2027, 12, 31)),
        ("2027年Q2", date(2027, 4, 1), date(2027, 6, 30)),
        ("2027年第三季度", date(2027, 7, 1), date(2027, 9, 30)),
        ("2027年上半年", date(2027, 1, 1), date(2027, 6, 30)),
        ("2027年下半年", date(2027, 7, 1), date(2027, 12, 31)),
        ("2027年3月-2027年8月", date(2027, 3, 1), date(2027, 8, 31)),
        ("2027年3月至8月", date(2027, 3, 1), date(2027, 8, 31)),
        ("2027年1月1日至2027年12月31日", date(2027, 1, 1), date(2027, 12, 31)),
        ("2027-02-15至2027-05-31", date(2027, 2, 15), date(2027, 5, 31)),
        ({"start": "2027-04-01", "end": "2027-09-30"}, date(2027, 4, 1), date(2027, 9, 30)),
    ],
)
def test_period_accepts_what_people_write(text, start, end):
    req = build_request({**MINIMAL, "period": text})
    assert (req.period.start, req.period.end) == (start, end)
    assert req.period.label


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [("1200万", "万元", 1200), ("1.2亿", "万元", 12000), ("1,200万元", "万元", 1200), (1200, "万元", 1200),
     ("一千二百万", "万元", 1200), ("12000000元", "万元", 1200), ("1200万", "元", 12_000_000), ("0.12亿", "亿元", 0.12)],
)
def test_amounts_in_any_common_notation_land_in_the_request_unit(value, unit, expected):
    req = build_request({**MINIMAL, "revenue_target": value, "currency_unit": unit})
    assert req.revenue_target == pytest.approx(expected)


@pytest.mark.parametrize(("value", "expected"), [("65%", 0.65), ("0.65", 0.65), (0.65, 0.65), (65, 0.65), ("３０％", 0.30), ("三成", 0.30)])
def test_rates_accept_percent_and_fraction(value, expected):
    assert build_request({**MINIMAL, "win_rate": value}).win_rate == pytest.approx(expected)


MALFORMED = [
    ({"revenue_target": "-100万"}, "revenue_target"),
    ({"revenue_target": 0}, "revenue_target"),
    ({"win_rate": "150%"}, "win_rate"),
    ({"win_rate": 0}, "win_rate"),
    ({"repurchase_rate": "-5%"}, "repurchase_rate"),
    ({"period": "2027年8月-2027年3月"}, "period"),
    ({"period": {"start": "2027-12-31", "end": "2027-01-01"}}, "period"),
    ({"period": "下个财年"}, "period"),
    ({"currency_unit": "美刀"}, "currency_unit"),
    ({"revenue_target": "很多钱"}, "revenue_target"),
    ({"revenue_target": ".inf"}, "revenue_target"),
    ({"budget_total": float("nan")}, "budget_total"),
    ({"budget_total": "-10万"}, "budget_total"),
    ({"stage_conversion": [{"name": "线索→商机", "rate": "120%"}]}, "stage_conversion"),
    ({"team": [{"role": "销售", "count": -2}]}, "team"),
    ({"team": [{"role": "销售", "count": 2, "new_hires": 5}]}, "team"),
    ({"seasonality": [1, 2, 3]}, "seasonality"),
    ({"budget_split": {"获客": "50%", "激励": "30%"}}, "budget_split"),
    ({"sales_cycle_days": "两个月"}, "sales_cycle_days"),
    ({"revenue_targt": "1200万"}, "revenue_targt"),
    ({"avg_deal_size": "5000万"}, "avg_deal_size"),
    ({"new_customers": 2.5}, "new_customers"),
    ({"win_rate": "Infinity"}, "win_rate"),
    ({"sales_cycle_days": float("inf")}, "sales_cycle_days"),
    ({"revenue_target": 1e15}, "revenue_target"),
    ({"revenue_target": 0.0001}, "revenue_target"),
    ({"win_rate": "0.0001%"}, "win_rate"),
    ({"team": [{"role": "销售", "count": float("nan")}]}, "team"),
    ({"productivity": {"value": float("inf"), "unit": "家", "per": "月"}}, "productivity"),
]


@pytest.mark.parametrize(("patch", "field"), MALFORMED, ids=[m[1] + str(i) for i, m in enumerate(MALFORMED)])
def test_malformed_request_names_the_field_in_chinese(patch, field):
    with pytest.raises(RequestError) as exc:
        build_request({**MINIMAL, **patch})
    message = str(exc.value)
    assert field in message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message.split(field, 1)[1]), message


def test_only_the_revenue_target_is_indispensable():
    with pytest.raises(RequestError) as exc:
        build_request({"company": "某公司"})
    text = str(exc.value)
    assert "revenue_target" in text and "缺少必填字段" in text
    assert "region" not in text and "period" not in text


def test_a_missing_company_region_or_period_gets_a_neutral_stand_in_that_is_remembered():
    request = build_request({"revenue_target": "1200万"})
    assert (request.company, request.region) == ("本公司", "目标区域")
    assert request.period.label.endswith("年全年") and request.stand_ins == ["company", "region", "period"]
    given = build_request({"company": "星河科技", "region": "江苏", "period": "2027年", "revenue_target": 1200})
    assert given.stand_ins == []


@pytest.mark.parametrize(("patch", "field"), MALFORMED[:20], ids=[m[1] for m in MALFORMED[:20]])
def test_cli_rejects_malformed_request_with_exit_code_and_writes_nothing(tmp_path, patch, field):
    req = tmp_path / "bad.yaml"
    req.write_text(yaml.safe_dump({**MINIMAL, **patch}, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "plan.md"
    result = CliRunner().invoke(app, ["draft", "--input", str(req), "--out", str(out)])
    assert result.exit_code == 2
    assert field in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [req]


def test_request_file_in_gbk_and_json_are_read(tmp_path):
    gbk = tmp_path / "req.yaml"
    gbk.write_bytes(yaml.safe_dump(MINIMAL, allow_unicode=True).encode("gb18030"))
    assert load_request(gbk).region == "江苏"
    js = tmp_path / "req.json"
    js.write_text('{"company": "甲", "region": "浙江", "period": "2027年Q1", "revenue_target": 300}', encoding="utf-8")
    assert load_request(js).period.end == date(2027, 3, 31)


def test_broken_yaml_is_a_clear_error(tmp_path):
    bad = tmp_path / "req.yaml"
    bad.write_text("company: [未闭合\nregion: 江苏", encoding="utf-8")
    with pytest.raises(RequestError, match="不是合法的 YAML"):
        load_request(bad)
