"""A lost peer in a TensorFlow job, as one line (train.common.faults.lost_peer has the rules and the line).

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
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from train.common.faults.lost_peer import (
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
    before = sys.unraisablehook
    # Within: a peer's error raised in a __del__ goes to the debug log. The parameter-server
    # coordinator's threads can collect an executor of a lost task before the error reaches here.
    sys.unraisablehook = _unraisable_errors_to(model_dir, rank, otherwise=before)
    try:
        yield
    except Exception as exc:
        if not is_lost_peer(exc):
            sys.unraisablehook = before
            raise
        debug_log = write_debug_log(model_dir, rank, exc)
        # From now on, every such error: the process is about to end, and they all follow from this one.
        sys.unraisablehook = _unraisable_errors_to(model_dir, rank, otherwise=None)
        raise LostPeerError(rank, describe_lost_task(exc, cluster, own_task, rank), run, timeout_kind(exc),
                            debug_log) from None
    sys.unraisablehook = before


_EXECUTOR_MODULE = "tensorflow.python.eager.executor"   # where Executor.__del__ is defined (TF 2.18)


def _unraisable_errors_to(model_dir: Path, rank: int, otherwise: Callable[[sys.UnraisableHookArgs], object] | None
                          ) -> Callable[[sys.UnraisableHookArgs], None]:
    """A sys.unraisablehook for errors that Python cannot raise (in __del__): TensorFlow's eager
    executors fail again as they are collected once their remote tasks are gone ("Exception ignored
    in: <function Executor.__del__ ...>", with a traceback). A peer's error, or any error of an
    executor's __del__ (it re-raises what its remote work failed with), goes to the debug log, not the
    screen; any other goes to `otherwise` (the hook before), or also to the debug log if None."""
    def to_debug_log(unraisable: sys.UnraisableHookArgs) -> None:
        error = unraisable.exc_value
        from_executor = getattr(unraisable.object, "__module__", "") == _EXECUTOR_MODULE
        if otherwise is not None and (error is None or not (from_executor or is_lost_peer(error))):
            otherwise(unraisable)
        elif error is not None:
            write_debug_log(model_dir, rank, error)

    return to_debug_log
