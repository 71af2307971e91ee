"""A lost peer in a TensorFlow job, as one line (train.common.lost_peer has the rules and the line).

TensorFlow reports a task that died or went silent as an OpError from the collective or RPC that
failed, under a page of graph traceback: UnavailableError "Collective ops is aborted by: failed to
connect to all addresses ... /job:worker/replica:0/task:1" for a killed worker, "... task:1
heartbeat timeout" for a paused one. Inside `one_line_on_lost_peer` such an error becomes a
LostPeerError that names the task and its address from TF_CONFIG, the step, and where a restart
resumes; the traceback goes to <model-dir>/debug/rank-N.log. Pure: no TensorFlow import.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from train.common.lost_peer import (
    LostPeerError,
    PeerDirectory,
    RunProgress,
    is_lost_peer,
    peer_addresses,
    peer_tasks,
    timeout_kind,
    write_debug_log,
)


def describe_lost_task(exc: BaseException, cluster: Mapping[str, Sequence[str]] | None,
                       own_task: tuple[str, int] | None, rank: int) -> str:
    """ "worker 1 (worker-1:2222)" for the first task the error names that is not this one."""
    tasks = [task for task in peer_tasks(exc) if task != own_task]
    if tasks:
        job, index = tasks[0]
        addresses = (cluster or {}).get(job) or []
        return f"{job} {index}" + (f" ({addresses[index]})" if index < len(addresses) else "")
    return PeerDirectory().describe(peer_addresses(exc), rank)


@contextlib.contextmanager
def one_line_on_lost_peer(rank: int, run: RunProgress, model_dir: Path,
                          cluster: Mapping[str, Sequence[str]] | None = None,
                          own_task: tuple[str, int] | None = None) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        if not is_lost_peer(exc):
            raise
        debug_log = write_debug_log(model_dir, rank, exc)
        _unraisable_errors_to(model_dir, rank)
        raise LostPeerError(rank, describe_lost_task(exc, cluster, own_task, rank), run, timeout_kind(exc),
                            debug_log) from None


def _unraisable_errors_to(model_dir: Path, rank: int) -> None:
    """From now on, errors that Python cannot raise (in __del__) go to the debug log, not the screen:
    TensorFlow's eager executors fail again as they are collected once their remote tasks are gone
    ("Exception ignored in: <function Executor.__del__ ...>", with a traceback)."""
    def to_debug_log(unraisable: sys.UnraisableHookArgs) -> None:
        if unraisable.exc_value is not None:
            write_debug_log(model_dir, rank, unraisable.exc_value)

    sys.unraisablehook = to_debug_log
