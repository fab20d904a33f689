"""The statistics behind the A/B verdict: a deterministic paired bootstrap, honest wins/ties/losses, and repeat
stability (spread, pass^N, flip rate)."""

from __future__ import annotations

import numpy as np

from assistant.evals.stats import delta_stats, paired_bootstrap, repeat_stats


def test_the_bootstrap_is_deterministic_and_brackets_the_mean():
    deltas = [-3.0, -1.0, 0.0, 2.0, -4.0, -2.5, 1.0, -0.5, -3.5, -2.0, 0.5, -1.5]
    first, second = paired_bootstrap(deltas), paired_bootstrap(deltas)
    assert first == second
    mean, low, high = first
    assert low < mean < high
    assert abs(mean - np.mean(deltas)) < 1e-12


def test_a_consistent_drop_has_an_interval_entirely_below_zero_and_noise_straddles_zero():
    drop = delta_stats([-6, -4, -5, -7, -3, -5, -6, -4, -5, -6, -4, -5])
    assert drop.ci_high < 0 and drop.losses == 12 and drop.wins == 0
    noise = delta_stats([-3, 3, -2, 2, -1, 1, 0, 0.2, -0.3, 2.5, -2.5, 0.1])
    assert noise.ci_low < 0 < noise.ci_high
    assert noise.ties == 4  # |delta| under half a point is a tie


def test_a_single_case_gives_a_degenerate_interval_rather_than_a_made_up_one():
    assert paired_bootstrap([2.0]) == (2.0, 2.0, 2.0)
    assert paired_bootstrap([]) == (0.0, 0.0, 0.0)


def test_repeat_statistics_count_spread_pass_all_and_flips():
    stats = repeat_stats({"a": [80, 90], "b": [70, 70], "c": [50, 95]},
                         {"a": [True, True], "b": [False, False], "c": [False, True]})
    assert stats.repeats == 2 and stats.cases == 3
    assert stats.max_spread == 45 and round(stats.mean_spread, 3) == round((10 + 0 + 45) / 3, 3)
    assert stats.pass_all == round(1 / 3, 4)
    assert stats.flip_rate == round(1 / 3, 4)
    assert stats.pass_rate == 0.5
