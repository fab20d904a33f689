"""Chat messages on a drafted plan, read the way a sales manager means them: productivity is capacity, a big move
of headcount, target or budget is asked first, and 「已更新」 is said only when something moved."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.ui import handlers as h
from assistant.ui.session import Session, form_values


@pytest.fixture
def session(tmp_path) -> Session:
    s = Session.start(Settings(data_dir=tmp_path / "data"))
    say(s, "我们是华东润滑科技有限公司，明年江苏要做到1200万，8个销售，预算150万，客单价15万")
    say(s, "生成")
    assert s.plan is not None
    return s


def say(session: Session, text: str) -> str:
    for _ in h.chat(session, text, form_values(session.fields)):
        pass
    return session.draft.chat[-1]["content"]


def test_a_big_headcount_change_is_asked_first_and_applied_on_confirmation(session):
    reply = say(session, "团队扩到40人")
    assert "要把团队从8人改成40人吗？" in reply
    assert len(session.draft.versions) == 1 and session.plan.request.headcount == 8
    reply = say(session, "确认")
    assert session.plan.request.headcount == 40 and len(session.draft.versions) == 2
    assert "销售人数：8人 → 40人" in reply


def test_declining_a_big_change_keeps_the_plan(session):
    say(session, "目标提到3000万吧")
    reply = say(session, "算了")
    assert "方案保持原样" in reply and session.plan.request.revenue_target == 1200


def test_a_new_message_instead_of_a_confirmation_is_read_as_itself(session):
    say(session, "预算砍到50万")
    reply = say(session, "目标改成1300万")
    assert session.plan.request.revenue_target == 1300 and session.plan.request.budget_total == 150
    assert "销售额目标：1,200万 → 1,300万" in reply


def test_productivity_moves_capacity_and_the_team_table_stays(session):
    before = session.plan
    reply = say(session, "我们每人每月能签4家左右")
    assert session.plan.request.headcount == 8
    assert session.plan.figures.capacity_per_rep_month == 60
    assert [r.count for r in session.plan.sections.team.roles] == [r.count for r in before.sections.team.roles]
    assert "人均月产能" in reply and "销售人数" not in reply


def test_nothing_changed_is_not_called_an_update(session):
    reply = say(session, "目标就按1200万不变")
    assert "已更新" not in reply and "方案未改动" in reply
    assert len(session.draft.versions) == 1, "no new version when nothing moved"
