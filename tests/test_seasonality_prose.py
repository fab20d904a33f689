"""Seasonality written in words becomes monthly weights that honour exactly what was said (>= 20 phrasings)."""

import pytest

from assistant.planning.seasonality import festival_curve, parse_seasonality, season_weights

DRINKS = [1.0, 0.7, 0.7, 0.9, 1.1, 1.3, 1.45, 1.35, 1.0, 0.8, 0.7, 0.8]  # a summer-led curve
YEAR = [(2027, m) for m in range(1, 13)]


def weights(text, slots=YEAR, curve=DRINKS, year=2027):
    said = parse_seasonality(text, year)
    fractions = [1.0] * len(slots)
    return said, dict(zip(slots, season_weights(slots, fractions, lambda y, m: festival_curve(curve, y, m), said), strict=False))


def share(w, months, year=2027):
    return sum(v for (y, m), v in w.items() if m in months and (year is None or y == year))


@pytest.mark.parametrize("text, months, expected", [
    ("6-8月约占全年40%", (6, 7, 8), 0.40),
    ("暑期旺季，7-9月约占全年35%", (7, 8, 9), 0.35),
    ("7-9月合计占全年35%，其他月份平均分", (7, 8, 9), 0.35),
    ("七到九月占全年的四成左右", (7, 8, 9), 0.40),
    ("11月、12月两个月占全年三分之一", (11, 12), 1 / 3),
    ("三季度占三成", (7, 8, 9), 0.30),
    ("年底并网抢装，12月约占全年25%", (12,), 0.25),
    ("春节前备货，1月约占全年15%", (1,), 0.15),
    ("上半年占40%，下半年占60%", tuple(range(1, 7)), 0.40),
    ("6月～8月占全年４０％", (6, 7, 8), 0.40),
    ("夏天是旺季，6-8月约占全年40%，春节前有一波备货", (6, 7, 8), 0.40),
])
def test_a_stated_share_of_the_year_is_met_within_a_tenth_of_a_point(text, months, expected):
    said, w = weights(text)
    assert said.statements, text
    assert share(w, months) == pytest.approx(expected, abs=0.001)
    assert sum(w.values()) == pytest.approx(1.0)


def test_quarters_given_one_by_one_are_all_met():
    said, w = weights("Q1 20%、Q2 25%、Q3 25%、Q4 30%")
    for q, s in zip(range(4), (0.20, 0.25, 0.25, 0.30), strict=False):
        assert share(w, (3 * q + 1, 3 * q + 2, 3 * q + 3)) == pytest.approx(s, abs=0.001)


def test_months_given_each_their_share():
    _, w = weights("1月和2月各占10%")
    assert w[(2027, 1)] == pytest.approx(0.10, abs=0.001)
    assert w[(2027, 2)] == pytest.approx(0.10, abs=0.001)


def test_the_rest_is_spread_equally_when_the_user_says_so():
    _, w = weights("7-9月合计占全年35%，其他月份平均分")
    rest = [w[(2027, m)] for m in (1, 2, 3, 4, 5, 6, 10, 11, 12)]
    assert max(rest) - min(rest) < 1e-9
    assert rest[0] == pytest.approx(0.65 / 9)


def test_the_rest_follows_the_playbook_curve_otherwise():
    _, w = weights("6-8月约占全年40%")
    # outside June-August the months keep the curve's proportions (May 1.1 vs March 0.7)
    assert w[(2027, 5)] / w[(2027, 3)] == pytest.approx(1.1 / 0.7)


def test_a_share_of_the_half_year_is_met_within_that_half():
    said, w = weights("3-5月汇算清缴最忙，约占上半年六成")
    assert share(w, (3, 4, 5)) / share(w, range(1, 7)) == pytest.approx(0.60, abs=0.001)


@pytest.mark.parametrize("text, peak", [
    ("夏天旺季", (6, 7, 8)),
    ("Q4冲刺", (10, 11, 12)),
    ("年底集中采购", (11, 12)),
    ("旺季是5到9月", (5, 6, 7, 8, 9)),
    ("金九银十", (9, 10)),
    ("618和双11是高峰", (6, 11)),
    ("四季度是石化检修和水务项目集中验收期，下半年后段订单多", (10, 11, 12)),
])
def test_peak_months_end_up_above_the_other_months(text, peak):
    said, w = weights(text, curve=[1.0] * 12)
    inside = [w[(2027, m)] for m in peak]
    outside = [v for (y, m), v in w.items() if m not in peak]
    assert sum(inside) / len(inside) >= 1.19 * sum(outside) / len(outside), text


@pytest.mark.parametrize("text, low", [
    ("春节淡季", (2,)),            # 2027: the festival (6 Feb) falls in February
    ("淡季是1、2月", (1, 2)),
    ("7、8月高温停工，订单少", (7, 8)),
])
def test_low_months_end_up_below_the_other_months(text, low):
    _, w = weights(text, curve=[1.0] * 12)
    inside = [w[(2027, m)] for m in low]
    outside = [v for (y, m), v in w.items() if m not in low]
    assert max(inside) <= 0.76 * sum(outside) / len(outside)


def test_the_heaviest_month_is_the_heaviest():
    _, w = weights("12月最重", curve=DRINKS)
    assert max(w, key=w.get) == (2027, 12)


def test_the_spring_festival_month_follows_the_calendar():
    assert weights("春节淡季", year=2027)[0].statements[0].months == (2,)   # 6 Feb 2027
    said = parse_seasonality("春节前备货多", 2028)                            # 26 Jan 2028: stocking in early January
    assert said.statements[0].months == (1,)


def test_an_early_spring_festival_moves_part_of_the_january_lift_into_december():
    curve = [1.5, 0.7] + [1.0] * 9 + [1.1]
    assert festival_curve(curve, 2027, 12) == pytest.approx(1.35)    # 2028 festival on 26 Jan
    assert festival_curve(curve, 2028, 1) == pytest.approx(1.25)
    assert festival_curve(curve, 2027, 1) == pytest.approx(1.5)      # 2027 festival on 6 Feb: no move


def test_flat_seasonality_gives_equal_months():
    _, w = weights("全年比较平稳，没有明显淡旺季")
    assert max(w.values()) - min(w.values()) < 1e-9


def test_a_share_of_a_short_plan_is_met_within_the_plan():
    h1 = [(2027, m) for m in range(1, 7)]
    _, w = weights("3-5月约占60%", slots=h1)
    assert share(w, (3, 4, 5)) == pytest.approx(0.60, abs=0.001)


def test_a_share_of_the_year_keeps_its_proportion_in_a_shorter_plan():
    h2 = [(2027, m) for m in range(7, 13)]
    _, w = weights("12月约占全年25%", slots=h2, curve=[1.0] * 12)
    # December is 25% of the year and the other H2 months 75%/11 each: December/July = 0.25 / (0.75/11)
    assert w[(2027, 12)] / w[(2027, 7)] == pytest.approx(0.25 / (0.75 / 11))


def test_what_cannot_be_read_is_kept_for_a_question():
    said = parse_seasonality("看天气", 2027)
    assert not said.understood and said.unread == ["看天气"]


def test_shares_over_100_percent_are_reported():
    said = parse_seasonality("上半年占70%，下半年占50%", 2027)
    assert said.problems and "120%" in said.problems[0]
