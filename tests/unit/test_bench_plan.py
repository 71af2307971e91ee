"""bench/plan.py: the all-reduce sweep, iterations per size, and the run matrix the estimate counts."""

from __future__ import annotations

from bench.plan import ALL_REDUCE_SIZES, MAX_ITERATIONS, MIN_ITERATIONS, Plan, all_reduce_iterations


def test_sizes_run_from_4_kib_to_256_mib_in_powers_of_4():
    assert ALL_REDUCE_SIZES[0] == 4 * 2**10
    assert ALL_REDUCE_SIZES[-1] == 256 * 2**20
    assert all(b == 4 * a for a, b in zip(ALL_REDUCE_SIZES, ALL_REDUCE_SIZES[1:], strict=False))


def test_big_sizes_get_few_iterations_and_small_ones_many():
    assert all_reduce_iterations(256 * 2**20)[1] < all_reduce_iterations(2**20)[1] == MAX_ITERATIONS


def test_every_size_gets_at_least_the_minimum_of_iterations():
    assert all_reduce_iterations(2**40)[1] == MIN_ITERATIONS


def test_every_model_and_way_runs_with_one_and_two_ranks():
    plan = Plan(models=("trainyard",), ways=("ddp", "zero3"))
    assert [(r.way, r.ranks) for r in plan.scaling_runs()] == [("ddp", 1), ("ddp", 2), ("zero3", 1), ("zero3", 2)]


def test_the_default_plan_is_estimated_under_30_minutes():
    assert sum(Plan().estimate_seconds().values()) < 30 * 60


def test_estimate_counts_only_the_chosen_sections():
    assert set(Plan(sections=("link",)).estimate_seconds()) == {"link", "plots"}
