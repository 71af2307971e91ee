"""The roll call before the process group: ranks as threads on an in-memory store (the images run it
on torch's TCPStore: tests/image/test_pytorch_inputs.py)."""

from __future__ import annotations

import itertools
import logging
import threading

import pytest

from train.common.faults.roll_call import roll_call
from train.launch_env import LaunchEnvError


class MemoryStore:
    """torch's Store semantics for add/set/get/check, shared between threads."""

    def __init__(self) -> None:
        self._values: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def add(self, key: str, amount: int) -> int:
        with self._lock:
            value = int(self._values.get(key, b"0")) + amount
            self._values[key] = str(value).encode()
            return value

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._values[key] = value.encode()

    def get(self, key: str) -> bytes:
        with self._lock:
            return self._values[key]

    def check(self, keys: list[str]) -> bool:
        with self._lock:
            return all(key in self._values for key in keys)


def run_ranks(store: MemoryStore, ranks: list[tuple[int, int, str]], timeout: float = 10) -> dict[str, BaseException | None]:
    """Run roll_call for each (rank, world_size, host) in its own thread; each host's outcome."""
    outcomes: dict[str, BaseException | None] = {}

    def answer(rank: int, world_size: int, host: str) -> None:
        try:
            roll_call(store, rank, world_size, host, timeout=timeout, sleep=lambda _: threading.Event().wait(0.01))
            outcomes[host] = None
        except LaunchEnvError as exc:
            outcomes[host] = exc

    threads = [threading.Thread(target=answer, args=args) for args in ranks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a rank still waits"
    return outcomes


def test_a_whole_world_passes():
    outcomes = run_ranks(MemoryStore(), [(0, 3, "node-0"), (1, 3, "node-1"), (2, 3, "node-2")])
    assert outcomes == {"node-0": None, "node-1": None, "node-2": None}


def test_the_second_claimant_of_a_rank_fails_naming_it_and_both_hosts():
    store = MemoryStore()
    store.add("trainyard/roll-call/claims/1", 1)        # node-1 answered for rank 1 first
    store.set("trainyard/roll-call/host/1", "node-1")
    with pytest.raises(LaunchEnvError) as raised:
        roll_call(store, 1, 2, "node-2", timeout=10)
    assert str(raised.value).startswith("rank 1 is claimed by two processes (on node-1 and on node-2)")


def test_ranks_still_waiting_fail_with_the_duplicates_line_not_a_timeout():
    store = MemoryStore()
    # A world of 3 where two nodes claim rank 1 and nobody claims rank 2.
    outcomes = run_ranks(store, [(0, 3, "node-0"), (1, 3, "node-1"), (1, 3, "node-2")])
    assert all(isinstance(exc, LaunchEnvError) for exc in outcomes.values()), outcomes
    assert {str(exc) for exc in outcomes.values()} == {str(outcomes["node-0"])}
    assert "rank 1 is claimed by two processes" in str(outcomes["node-0"])


def test_a_world_size_that_differs_fails_every_waiting_rank_with_one_line():
    outcomes = run_ranks(MemoryStore(), [(0, 2, "node-0"), (1, 3, "node-1")])
    lines = {str(exc) for exc in outcomes.values() if exc is not None}
    assert lines == {"WORLD_SIZE differs between nodes: 3 for rank 1 (on node-1), 2 for rank 0 (on node-0); "
                     "give every node the same WORLD_SIZE"}, outcomes
    assert outcomes["node-1"] is not None and outcomes["node-0"] is not None


def test_missing_ranks_are_named_while_waiting_and_when_the_timeout_ends_it(caplog):
    clock = itertools.count(0, 25).__next__         # each look at the clock is 25 s later
    caplog.set_level(logging.WARNING)
    with pytest.raises(LaunchEnvError) as raised:
        roll_call(MemoryStore(), 0, 3, "node-0", timeout=120, report_every=60, clock=clock, sleep=lambda _: None)
    assert str(raised.value).startswith("rank 0: ranks 1, 2 did not join within 120 s")
    assert "rank 0: waiting for ranks 1, 2 to join" in caplog.text


class GoneStore(MemoryStore):
    """A store whose host (rank 0) exits after the claim: every later call fails as TCPStore's do."""

    def check(self, keys: list[str]) -> bool:
        raise RuntimeError("Connection reset by peer")


def test_a_store_that_goes_away_mid_roll_call_is_one_line_not_a_lost_peer():
    with pytest.raises(LaunchEnvError) as raised:
        roll_call(GoneStore(), 1, 2, "node-1", timeout=10, sleep=lambda _: None)
    assert str(raised.value).startswith("rank 1: the job's store (hosted by rank 0) stopped answering during the roll call")
