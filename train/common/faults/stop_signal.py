"""SIGTERM during training: finish the current step, write a checkpoint, exit 143.

`docker stop`, `docker compose down` and schedulers send SIGTERM and, after a grace period (compose:
stop_grace_period, 30 s in compose.yaml; `docker stop`: 10 s), SIGKILL. Dying at once on SIGTERM
loses every step since the last periodic checkpoint; finishing one step and writing one checkpoint
takes well under a second for our models, so the run stops at a step boundary with nothing lost.

Only while the training loop runs is SIGTERM deferred (StopSignal.deferred); before and after it the
previous disposition applies, so a process stuck in start-up still dies at once. A rank blocked in a
collective only sees the flag when the collective returns (Python runs signal handlers between
bytecodes): with a silent peer that is the collective timeout, and SIGKILL comes first.

Azure ML's low-priority preemption sends no signal at all; periodic checkpoints cover that case.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

# 128 + SIGTERM: what a shell and `docker wait` report for a process that SIGTERM ended.
EXIT_STOPPED = 128 + signal.SIGTERM


class StopSignal:
    def __init__(self) -> None:
        self.received: int | None = None

    @property
    def requested(self) -> bool:
        return self.received is not None

    def _handle(self, signum: int, frame: object) -> None:
        # Only set a flag: logging or raising here could interrupt a checkpoint write half-way.
        self.received = signum

    @contextmanager
    def deferred(self) -> Iterator[StopSignal]:
        """Within: SIGTERM sets `requested` instead of ending the process. Main thread only."""
        previous = signal.signal(signal.SIGTERM, self._handle)
        try:
            yield self
        finally:
            signal.signal(signal.SIGTERM, previous)


class StoppedBySignal(Exception):
    """The run stopped at a step boundary on SIGTERM after writing its checkpoint; str() is the line."""

    def __init__(self, finished_steps: int, rank: int) -> None:
        self.finished_steps = finished_steps
        super().__init__(f"rank {rank}: stopped by SIGTERM after step {finished_steps}, checkpoint written; "
                         f"a restart continues at step {finished_steps + 1}")
