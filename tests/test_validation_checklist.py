"""The checklist is data: knowledge/checklist.yaml names every item, its weight, severity, check and fix hint."""

from __future__ import annotations

import re

import pytest
import yaml

from assistant.schema import SECTION_KEYS
from assistant.validation import ChecklistError, load_checklist
from assistant.validation.checklist import DEFAULT_PATH
from assistant.validation.registry import CHECKS

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_checklist_is_versioned_data_with_at_least_35_items():
    checklist = load_checklist()
    assert checklist.version
    assert len(checklist.items) >= 35
    for item in checklist.items:
        assert CJK.search(item.description) and CJK.search(item.fix_hint), item.id
        assert item.weight > 0
        assert item.check in CHECKS, f"{item.id} names an unregistered check {item.check}"


def test_every_canonical_section_has_a_presence_item():
    presence = {i.section for i in load_checklist().items if i.check == "section_present"}
    assert presence == set(SECTION_KEYS)


def test_the_checklist_covers_what_the_issue_asks_for():
    checks = {i.check for i in load_checklist().items}
    asked = {"period_defined", "currency_consistent", "revenue_target", "collection_target", "non_revenue_target",
             "baseline_growth", "quarter_breakdown", "month_breakdown", "seasonality_basis", "quotas_with_owner",
             "funnel_params", "funnel_counts", "weekly_activity", "team_capacity_plan", "coverage_stated",
             "competitors_named", "swot_quadrants", "pest_factors", "persona_needs", "action_items_complete",
             "budget_lines", "kpi_complete", "review_cadence", "early_warning", "risks_complete", "risk_classes",
             "incentive_rule", "no_placeholders", "assumptions_listed", "citations_resolvable",
             # numeric consistency rules
             "breakdown_sums", "split_sums", "quotas_cover", "funnel_math", "funnel_monotone", "rates_valid",
             "coverage_enough", "capacity_enough", "growth_consistent", "budget_sums", "action_deadlines_in_period"}
    assert asked <= checks, asked - checks


def test_a_checklist_naming_an_unknown_check_is_refused(tmp_path):
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["items"][0]["check"] = "no_such_check"
    path = tmp_path / "checklist.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ChecklistError, match="no_such_check"):
        load_checklist(path)


def test_item_ids_must_be_unique(tmp_path):
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["items"][1]["id"] = data["items"][0]["id"]
    path = tmp_path / "checklist.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ChecklistError, match="重复"):
        load_checklist(path)
