"""Industry playbooks: every file is valid data, the right one is chosen from what the user says (or the one the user
names), and a plan drafted with it speaks that industry's language."""

from __future__ import annotations

import shutil

import pytest

from assistant.drafting.offline import draft_offline
from assistant.evals.checks import plan_text
from assistant.planning.choice import choose_playbook
from assistant.planning.playbooks import PlaybookError, _load_folder, load_playbooks
from assistant.request import RequestError, build_request

BASE = {"company": "某公司", "region": "江苏", "period": "2027年", "revenue_target": "1200万"}
INDUSTRIES = {"industrial_b2b", "saas", "fmcg", "medical_tender", "pharma_consumables", "online_education",
              "auto_retail", "new_energy_project", "building_materials", "professional_services", "generic"}


def test_the_ten_industries_and_the_generic_fallback_are_all_valid_playbooks():
    books = load_playbooks()
    assert INDUSTRIES <= set(books)
    for pb in books.values():
        assert pb.win_rate.low <= pb.win_rate.high and pb.cycle_days.low <= pb.cycle_days.high
        assert len(pb.seasonality.default.weights) == 12 and pb.seasonality.default.reasons
        assert abs(sum(b.share for b in pb.budget.lines) - 1) < 1e-9
        assert any(ch.role != "lead_source" for ch in pb.channels)


def test_a_broken_playbook_is_a_chinese_error_naming_the_file(tmp_path):
    folder = tmp_path / "playbooks"
    shutil.copytree(load_playbooks.__globals__["get_settings"]().knowledge_dir / "playbooks", folder)
    text = (folder / "fmcg.yaml").read_text(encoding="utf-8").replace("win_rate: {low: 0.25, high: 0.45}",
                                                                     "win_rate: {low: 0.45, high: 0.25}")
    (folder / "fmcg.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PlaybookError, match="fmcg.yaml"):
        _load_folder(str(folder))


@pytest.mark.parametrize("fields, expected", [
    ({"industry": "饮料", "product": "无糖茶饮料", "channels": "经销商、商超KA"}, "fmcg"),
    ({"industry": "医疗器械", "product": "彩色超声诊断系统", "channels": "公立医院"}, "medical_tender"),
    ({"industry": "医用耗材", "product": "一次性输注耗材", "notes": "省级集采中标"}, "pharma_consumables"),
    ({"industry": "人力资源SaaS", "product": "招聘系统"}, "saas"),
    ({"industry": "工业阀门", "product": "调节阀、蝶阀"}, "industrial_b2b"),
    ({"industry": "在线教育", "product": "少儿编程直播课", "channels": "抖音、视频号"}, "online_education"),
    ({"industry": "汽车4S店", "product": "新能源SUV整车"}, "auto_retail"),
    ({"industry": "工商业储能", "product": "储能一体柜", "channels": "EPC合作"}, "new_energy_project"),
    ({"industry": "建材", "product": "防水卷材、防水涂料", "channels": "地产集采"}, "building_materials"),
    ({"industry": "财税服务", "product": "企业税务顾问"}, "professional_services"),
])
def test_the_playbook_is_chosen_from_industry_product_and_channel_words(fields, expected):
    choice = choose_playbook(build_request({**BASE, **fields}))
    assert choice.playbook.id == expected and choice.confident
    assert "判断为" in choice.reason


def test_a_playbook_named_in_the_request_wins_and_the_plan_says_so():
    req = build_request({**BASE, "industry": "企业服务", "product": "门店收银小程序（按年订阅）", "playbook": "saas"})
    plan = draft_offline(req)
    assert plan.figures.playbook_id == "saas" and "指定" in plan.figures.playbook_reason
    assert any(a.field == "行业手册" and "指定" in a.source for a in plan.assumptions)


def test_an_unknown_playbook_name_is_refused_with_the_ones_that_exist():
    with pytest.raises(RequestError, match="不认识的行业手册.*fmcg"):
        build_request({**BASE, "playbook": "茶叶"})


def test_when_nothing_says_what_business_it_is_the_plan_uses_the_generic_playbook_and_asks():
    plan = draft_offline(build_request(BASE))
    assert plan.figures.playbook_id == "generic" and not plan.figures.playbook_confident
    assert "哪个行业" in plan.open_questions[0] or "行业" in plan.all_open_questions()[0]


def test_a_close_call_between_two_playbooks_is_said_and_asked():
    choice = choose_playbook(build_request({**BASE, "industry": "医疗", "product": "检验试剂与分析仪"}))
    assert not choice.confident and choice.question and "还是" in choice.question


# ---------------------------------------------------------------- the plan speaks the industry's language


def _plan(**fields):
    return draft_offline(build_request({**BASE, **fields}))


def test_an_fmcg_plan_talks_about_pushing_into_outlets_and_sell_out_and_has_a_spring_festival_effect():
    plan = _plan(industry="饮料", product="茶饮料", channels="县级经销商、商超KA、糖酒会")
    text = plan_text(plan)
    assert "铺市" in text and "动销" in text
    assert "春节" in plan.sections.target_breakdown.model_dump_json()
    jan, feb = plan.figures.months[0].amount, plan.figures.months[1].amount
    assert jan > feb  # 2027's festival (6 Feb): stocking up in January, destocking in February
    assert "赢单率" not in " ".join(plan.sections.executive_summary.key_points)


def test_a_tender_plan_has_tender_timing_and_registration_and_compliance_risks():
    plan = _plan(industry="医疗器械", product="彩色超声诊断系统", channels="直销（公立医院）")
    risks = plan.sections.risks.model_dump_json()
    assert "注册证" in risks and ("反商业贿赂" in risks or "合规" in risks)
    stages = [s.name for s in plan.figures.funnel]
    assert any("挂网" in s for s in stages) and any("立项" in s for s in stages)
    q = {r.label: r.amount for r in plan.figures.quarters}
    assert q["2027年Q4"] == max(q.values())  # year-end budget execution
    assert "招标" in plan.sections.target_breakdown.model_dump_json()


def test_a_saas_plan_has_renewals_and_arr():
    plan = _plan(industry="SaaS", product="CRM订阅服务", baseline_revenue="1000万", repurchase_rate="85%")
    text = plan_text(plan)
    assert "续费" in text and "ARR" in text
    assert any("存量续费" in t.name for t in plan.sections.sales_targets.targets)
