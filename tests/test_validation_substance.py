"""Substance, not only presence: a plan is judged by how much of it belongs to this business.

The offline drafts of 2026-11-25 (the calibration set's t01–t09) for unrelated businesses are one template with names
swapped in: every section is there and every sum is right, and they still score far below 85 — about half their text
says nothing of the business (no figure, no word of its own). Today's drafter writes far more of each business.
A hand-written plan full of its own facts scores high even
under headings no checklist knows; a plan of slogans under the tool's own headings scores low; text that belongs to
the tool or to someone's computer (paths, field names, env-var names, checklist instructions) is named as leakage.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.validation import validate_file

PLANS = Path(__file__).parents[1] / "evals" / "calibration" / "plans"


@pytest.mark.parametrize("name", ["t01_offline_medical-tender-hubei-year.md", "t02_offline_fmcg-beverage-henan-dealers-year.md",
                                  "t03_offline_saas-crm-east-quarter.md", "t04_offline_auto-retail-4s-shenzhen-half.md",
                                  "t05_offline_edu-online-vocational-year.md"])
def test_template_drafts_for_unrelated_businesses_are_complete_yet_score_well_under_85(name):
    report = validate_file(PLANS / name)
    assert report.completeness >= 85
    assert report.score < 60
    sub = report.item("SUB-01")
    assert sub.status == "fail" and "空泛句占" in sub.reason
    assert int(sub.reason.split("具体内容占")[1].split("%")[0]) <= 55


def test_a_hand_written_plan_of_its_own_facts_scores_high():
    report = validate_file(PLANS / "h12_good_valves_sichuan_h2.md")
    assert report.item("SUB-01").status == "pass" and report.substance > 0.85
    assert report.score >= 90


def test_a_plan_of_slogans_under_the_tools_headings_scores_low():
    report = validate_file(PLANS / "h08_bad_complete_slogans_fertilizer.md")
    assert report.completeness > 60  # every heading, filled tables
    assert "空泛句占" in report.item("SUB-01").reason and report.substance < 0.4
    assert report.score < 35
    assert "竞争对手A" not in report.item("MKT-01").reason  # 'A/B/C' are not named competitors


def test_leakage_is_named_by_kind():
    reason = validate_file(PLANS / "h13_leakage_fresh_wuhan.md").item("GEN-07").reason
    for kind, example in [("文件路径", "/home/zhangwei"), ("字段名", "revenue_target"), ("环境变量名", "OPENAI_API_KEY"),
                          ("检查清单原文", "未满足")]:
        assert kind in reason and example in reason


def test_a_json_plan_is_held_to_the_facts_its_request_gave():
    report = validate_file(PLANS / "p03_planted_json_target_lubricant.json")
    sub3 = report.item("SUB-03")
    assert sub3.status == "pass" and sub3.value is not None and sub3.value < 1
    assert "备注「重点开发苏南制造业园区" in sub3.reason  # the user's note is dropped by today's drafter


def test_wording_shared_by_plans_for_three_industries_is_boilerplate_and_a_plans_own_sentence_is_not():
    from assistant.validation.reference import boilerplate_share, common_grams

    common = common_grams()
    assert common  # the reference set is committed (knowledge/reference_plans/)
    assert boilerplate_share("上期实现960万元，已有可以深耕的客户和渠道基础", common) >= 0.6
    own = "教育部门对中小学食堂明厨亮灶和燃气安全的检查越来越严，老旧燃气灶具必须更换"
    assert boilerplate_share(own, common) < 0.2
