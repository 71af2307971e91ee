"""bench/pinning.py: one core per node, both on core 0 when there is only one."""

from __future__ import annotations

from bench.pinning import pin_two


def test_two_cores_give_each_node_its_own():
    pinning = pin_two([0, 1])
    assert (pinning.node_0, pinning.node_1, pinning.both, pinning.shared_core) == ("0", "1", "0,1", False)


def test_the_first_two_usable_cores_are_taken():
    assert pin_two([2, 5, 7]).both == "2,5"


def test_one_core_is_shared_and_says_so():
    pinning = pin_two([3])
    assert (pinning.node_0, pinning.node_1, pinning.shared_core) == ("3", "3", True)
