"""bench/figures.py: nccl-tests' bandwidths, Horovod's ± 1.96 std, E(2), and busbw against iperf3."""

from __future__ import annotations

import pytest

from bench.figures import Spread, all_reduce_bandwidth, link_ratio, scaling_efficiency, summarize


def test_busbw_of_two_ranks_equals_algbw():
    # 2(n-1)/n = 1 for n = 2
    assert all_reduce_bandwidth(1000, 0.5, 2) == (2000.0, 2000.0)


def test_busbw_of_eight_ranks_is_seven_quarters_of_algbw():
    algbw, busbw = all_reduce_bandwidth(2**20, 1.0, 8)
    assert busbw == pytest.approx(algbw * 1.75)


def test_zero_time_is_refused():
    with pytest.raises(ValueError):
        all_reduce_bandwidth(1, 0.0, 2)


def test_summary_is_mean_and_1_96_population_std():
    spread = summarize([10.0, 20.0])
    assert spread.mean == 15.0
    assert spread.half_width == pytest.approx(1.96 * 5.0)


def test_summary_of_equal_samples_has_no_spread():
    assert summarize([3.0, 3.0, 3.0]) == Spread(3.0, 0.0)


def test_perfect_scaling_is_one():
    assert scaling_efficiency(Spread(100.0, 0.0), Spread(200.0, 0.0)) == Spread(1.0, 0.0)


def test_efficiency_spread_adds_relative_spreads_in_quadrature():
    e2 = scaling_efficiency(Spread(100.0, 3.0), Spread(150.0, 6.0))
    assert e2.mean == pytest.approx(0.75)
    assert e2.half_width == pytest.approx(0.75 * (0.03**2 + 0.04**2) ** 0.5)


def test_link_ratio_uses_only_sizes_from_64_mib():
    busbw = {2**20: 1e6, 64 * 2**20: 1e9, 256 * 2**20: 0.5e9}   # bytes/s
    assert link_ratio(busbw, iperf3_bits_per_second=12e9) == pytest.approx(0.75e9 * 8 / 12e9)


def test_link_ratio_without_big_sizes_is_none():
    assert link_ratio({4096: 1e6}, 1e9) is None
