"""A roll call on the job's store before the process group starts: two processes that claim one rank,
or nodes given different WORLD_SIZEs, fail at once with one line naming the rank, instead of hanging
in the rendezvous until the collective timeout (gloo and NCCL cannot tell: a second claimant of a rank
overwrites the first one's address, and a world-size mismatch just waits for ranks that never come).

Every rank adds 1 to its rank's claim counter (the second claimant of a rank reads 2) and writes its
host. Rank 0 writes its WORLD_SIZE; every other rank compares its own. A rank that passed both checks
says so; all wait until every rank of the world has. A rank that finds a problem writes it to the
store before it fails, so the ranks still waiting fail with the same line, not a timeout. Ranks that
are missing are named every `report_every` seconds while the others wait.

A duplicate that arrives after the rest of the world has passed the roll call fails alone; the world
it tried to join is whole and trains.

Pure Python: the store is passed in (torch's TCPStore in the images, a dict in the unit tests).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from train.launch_env import LaunchEnvError

log = logging.getLogger(__name__)

_PREFIX = "trainyard/roll-call/"
PROBLEM = _PREFIX + "problem"
WORLD_SIZE = _PREFIX + "world-size"
POLL_SECONDS = 0.2
# Rank 0 hosts the store: on a problem it stays this long before it exits, so that the ranks polling
# read the problem's line rather than lose the store mid-call.
HOST_LINGER_SECONDS = 2.0


class RollCallStore(Protocol):
    """The part of torch.distributed's Store that the roll call uses."""

    def add(self, key: str, amount: int) -> int: ...

    def set(self, key: str, value: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def check(self, keys: list[str]) -> bool: ...


def _claims(rank: int) -> str:
    return f"{_PREFIX}claims/{rank}"


def _host(rank: int) -> str:
    return f"{_PREFIX}host/{rank}"


def _passed(rank: int) -> str:
    return f"{_PREFIX}passed/{rank}"


def roll_call(store: RollCallStore, rank: int, world_size: int, host: str, *, timeout: float,
              report_every: float = 60.0, clock: Callable[[], float] = time.monotonic,
              sleep: Callable[[float], None] = time.sleep) -> None:
    """Return once every rank of the world has answered once with the same WORLD_SIZE; raise a
    LaunchEnvError naming the rank on a duplicate, a mismatch, or ranks missing after `timeout`."""
    try:
        _answer(store, rank, world_size, host, timeout, report_every, clock, sleep)
    except LaunchEnvError:
        raise
    except Exception as exc:  # noqa: BLE001 - the store's errors are the framework's own types
        raise LaunchEnvError(f"rank {rank}: the job's store (hosted by rank 0) stopped answering during the roll "
                             f"call, before every rank joined ({type(exc).__name__}): rank 0's output says why") from None


def _answer(store: RollCallStore, rank: int, world_size: int, host: str, timeout: float, report_every: float,
            clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
    def fail(line: str, *, post: bool) -> None:
        if post:
            store.set(PROBLEM, line)
        if rank == 0:
            sleep(HOST_LINGER_SECONDS)
        raise LaunchEnvError(line)

    if store.add(_claims(rank), 1) > 1:
        first = _text(store, _host(rank)) or "another host"
        fail(f"rank {rank} is claimed by two processes (on {first} and on {host}): every process of a job needs a "
             "RANK of its own; check NODE_RANK, and the number of processes per node, on each node", post=True)
    store.set(_host(rank), host)
    if rank == 0:
        store.set(WORLD_SIZE, str(world_size))
    started = clock()
    compared = rank == 0
    next_report = started + report_every
    while True:
        problem = _text(store, PROBLEM)
        if problem:
            fail(problem, post=False)
        if not compared and store.check([WORLD_SIZE]):
            theirs = _text(store, WORLD_SIZE)
            if theirs != str(world_size):
                fail(f"WORLD_SIZE differs between nodes: {world_size} for rank {rank} (on {host}), {theirs} for "
                     f"rank 0 (on {_text(store, _host(0)) or '?'}); give every node the same WORLD_SIZE", post=True)
            compared = True
        if compared and not store.check([_passed(rank)]):
            store.set(_passed(rank), host)
        if compared and store.check([_passed(r) for r in range(world_size)]):
            return
        now = clock()
        if now - started > timeout:
            raise LaunchEnvError(f"rank {rank}: {_missing(store, world_size)} did not join within {timeout:.0f} s "
                                 "(the collective timeout, --collective-timeout): is every node started, with the "
                                 "same MASTER_ADDR and MASTER_PORT?")
        if now >= next_report:
            log.warning("rank %d: waiting for %s to join, since %.0f s", rank, _missing(store, world_size), now - started)
            next_report = now + report_every
        sleep(POLL_SECONDS)


def _missing(store: RollCallStore, world_size: int) -> str:
    missing = [r for r in range(world_size) if not store.check([_passed(r)])]
    return f"rank{'s' if len(missing) != 1 else ''} {', '.join(map(str, missing))}"


def _text(store: RollCallStore, key: str) -> str:
    return store.get(key).decode() if store.check([key]) else ""
