"""The repair loop: failing sections — and only those — are redrafted with the findings as feedback, until the
score reaches the threshold or stops improving; the best version is kept and its score history recorded."""

from __future__ import annotations

from pathlib import Path

from assistant.drafting.offline import redraft_offline
from assistant.schema import ProgressEvent, SalesPlan
from assistant.validation import repair_plan, validate_plan
from assistant.validation.reader import plan_from_json

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str) -> SalesPlan:
    return plan_from_json((GOLDEN / f"{name}.json").read_text(encoding="utf-8"), name)


def test_a_draft_with_broken_numbers_is_repaired_offline_to_a_higher_score():
    broken = golden("inconsistent_numbers")
    before = validate_plan(broken)
    events: list[ProgressEvent] = []
    repaired = repair_plan(broken, redraft_offline, rounds=2, threshold=99, progress=events.append)
    after = validate_plan(repaired)

    assert after.score > before.score
    assert repaired.metadata.score_history[0] == before.score
    assert repaired.metadata.score_history[-1] == after.score
    # the numbers engine fixed every table it owns; the template text it cannot fix is still reported ...
    assert {f.id for f in after.failed} == {"TGT-05", "ACT-02", "SUB-02"}
    # ... and nothing of the checklist's wording was pasted into the plan as an open question (issue 17)
    questions = [q for _, s in repaired.sections.items() if s for q in s.open_questions] + repaired.open_questions
    hints = [f.fix_hint for f in after.items]
    assert not any("未满足" in q or any(h[:12] in q for h in hints) for q in questions)
    fixed = set(before.failing_by_section())
    repaired_keys = {k for k, run in repaired.metadata.sections.items() if run.status == "repaired"}
    assert {"target_breakdown", "funnel_capacity", "channel_plan", "budget"} <= repaired_keys <= fixed
    assert {e.section for e in events} == repaired_keys and {e.status for e in events} == {"repaired"}
    assert broken.sections.target_breakdown.months[0].amount != repaired.sections.target_breakdown.months[0].amount


def test_missing_sections_are_regenerated_offline():
    plan = golden("missing_sections")
    assert validate_plan(plan).score >= 40  # above the threshold, but missing critical sections: still repaired
    repaired = repair_plan(plan, redraft_offline, rounds=2, threshold=40)
    assert repaired.sections.swot and repaired.sections.budget and repaired.sections.risks
    after = validate_plan(repaired)
    assert after.severity_summary["critical"] == 0 and after.completeness > 97
    assert repaired.metadata.score_history[-1] > repaired.metadata.score_history[0]


def test_only_failing_sections_are_redrafted_with_the_findings_as_feedback():
    plan = golden("inconsistent_numbers")
    expected = validate_plan(plan).failing_by_section()
    calls: list[dict[str, list[str]]] = []

    def redraft(p: SalesPlan, feedback: dict[str, list[str]]) -> SalesPlan:
        calls.append(feedback)
        return redraft_offline(p, feedback)

    repair_plan(plan, redraft, rounds=1, threshold=100)
    assert calls == [expected]
    # the sections with inconsistent numbers, and those that read as any business's text (SUB-02)
    assert set(expected) == {"sales_targets", "target_breakdown", "funnel_capacity", "channel_plan", "action_plan",
                             "budget"}
    assert any("BRK-05" in line and "12个月合计" in line and "修改建议" in line for line in expected["target_breakdown"])
    assert any("SUB-02" in line for line in expected["channel_plan"])


def test_a_redraft_that_makes_things_worse_is_discarded():
    plan = golden("missing_sections")
    score = validate_plan(plan).score

    def worse(p: SalesPlan, feedback):
        p.sections.action_plan = None
        return p

    result = repair_plan(plan, worse, rounds=3, threshold=99)
    assert result.sections.action_plan is not None
    assert result.metadata.score_history == [score]
    assert any("保留上一版" in n for n in result.metadata.notes)


def test_the_loop_stops_at_the_threshold_and_when_nothing_changes():
    calls = []

    def no_change(p: SalesPlan, feedback):
        calls.append(1)
        return p

    plan = golden("inconsistent_numbers")
    result = repair_plan(plan, no_change, rounds=5, threshold=99)
    assert len(calls) == 1 and len(result.metadata.score_history) == 1

    calls.clear()
    complete = golden("complete_plan")
    score = validate_plan(complete).score
    result = repair_plan(complete, no_change, rounds=5, threshold=score)
    assert calls == [] and result.metadata.score_history == [score]


def test_no_rounds_means_no_redraft():
    def never(p, feedback):
        raise AssertionError("redraft must not be called")

    result = repair_plan(golden("missing_sections"), never, rounds=0, threshold=100)
    assert len(result.metadata.score_history) == 1


def test_offline_repair_asks_for_missing_facts_as_plain_questions_never_the_checklists_wording():
    from assistant.config import EXAMPLE_REQUEST
    from assistant.drafting.offline import draft_offline
    from assistant.request import load_request

    plan = draft_offline(load_request(EXAMPLE_REQUEST))  # competitors named, their strengths unknown (需调研)
    before = validate_plan(plan)
    repaired = redraft_offline(plan, before.failing_by_section())
    added = [q for spec, s in repaired.sections.items() if s for q in s.open_questions
             if q not in (plan.sections.get(spec.key).open_questions if plan.sections.get(spec.key) else [])]
    checklist_questions = {f.question for f in before.items if f.question}
    assert "这几家竞争对手各自强在哪里、弱在哪里（价格、渠道、服务）？" in added
    assert all(q in checklist_questions and q.endswith("？") for q in added)
    assert not any("未满足" in q for _, s in repaired.sections.items() if s for q in s.open_questions)
