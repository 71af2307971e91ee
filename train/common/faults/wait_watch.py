"""While a rank waits for its peers (a collective that does not return), it says so once a minute:
"rank 0: waiting for rank 1 (node-1) since 12:00:03 UTC, in step 43; ...".

A thread per rank watches how long the run has stayed in one phase (RunProgress.phase, "step 43").
After half an interval it posts that phase to a board shared by the job's ranks (the rendezvous
store, see train.pytorch.store_board); after a whole interval, and once per interval from then on, it
reads the others' posts and logs the line. A rank that posted another phase, or none, is one this
rank waits for: a healthy rank blocked in the same collective has posted the same phase by then,
while a silent one (paused, cut off by the network) cannot post. Without a board (Horovod has no
store), or when the board does not answer, the line says so instead of naming ranks.

Where the collectives have no timeout of their own (Horovod), the watch also ends the wait: once the
run has stayed in one phase for the collective timeout, it calls `on_timeout`, which ends the process.

Pure Python: the board is passed in, so this runs and is tested without a framework.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from train.common.errors import UsageError
from train.common.faults.lost_peer import RunProgress

log = logging.getLogger(__name__)

WAIT_REPORT_EVERY = 60.0       # seconds between two lines (TRAINYARD_WAIT_REPORT_EVERY)
REPORT_EVERY_VARIABLE = "TRAINYARD_WAIT_REPORT_EVERY"
NAMED_RANKS_AT_MOST = 64       # beyond, reading every rank's post once a minute loads rank 0's store
CHECK_EVERY_AT_MOST = 5.0      # seconds between two checks: on_timeout comes at most this late


class Board(Protocol):
    def post(self, rank: int, text: str) -> None: ...

    def read(self, ranks: Sequence[int]) -> dict[int, str | None]: ...


def report_interval(env: Mapping[str, str]) -> float:
    """Seconds between two waiting lines: $TRAINYARD_WAIT_REPORT_EVERY, else 60."""
    text = env.get(REPORT_EVERY_VARIABLE, "").strip()
    if not text:
        return WAIT_REPORT_EVERY
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise UsageError(f"{REPORT_EVERY_VARIABLE}={text!r}: expected a number of seconds > 0")
    return seconds


def _clock_text(seconds: float) -> str:
    return time.strftime("%H:%M:%S UTC", time.gmtime(seconds))


class WaitWatch:
    """Use as a context manager around the part of a run where peers may be waited for."""

    def __init__(self, rank: int, world_size: int, progress: RunProgress, *,
                 open_board: Callable[[], Board] | None, collective_timeout: float | None,
                 every: float = WAIT_REPORT_EVERY, say: Callable[[str], None] | None = None,
                 on_timeout: Callable[[], None] | None = None, clock: Callable[[], float] = time.time) -> None:
        """`on_timeout`: called once the run has stayed in one phase for `collective_timeout` seconds,
        for collectives that never fail by themselves; it is expected to end the process."""
        self.rank, self.world_size, self.progress = rank, world_size, progress
        self.every, self.collective_timeout = every, collective_timeout
        self._on_timeout = on_timeout
        self._open_board, self._board, self._board_error = open_board, None, None
        self._say = say or log.warning
        self._clock = clock
        self._posted: tuple[str, float] | None = None
        self._said_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wait-watch", daemon=True)

    def __enter__(self) -> WaitWatch:
        if self.world_size > 1:
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(min(self.every / 2, CHECK_EVERY_AT_MOST)):
            try:
                self.check()
            except Exception as exc:  # noqa: BLE001 - a diagnostic must never end the run
                log.debug("wait watch: %s", exc)

    def check(self) -> str | None:
        """Post and say what is due now; returns the line said, if any."""
        if self.progress.working_alone:
            return None
        phase, since = self.progress.phase, self.progress.phase_started
        now = self._clock()
        waited = now - since
        if self._on_timeout is not None and self.collective_timeout and waited >= self.collective_timeout:
            on_timeout, self._on_timeout = self._on_timeout, None
            on_timeout()
            return None
        if waited < self.every / 2:
            return None
        board = self._board_or_none()
        if board is not None and self._posted != (phase, since):
            self._posted = (phase, since)
            self._guarded(lambda: board.post(self.rank, phase))
            board = self._board     # None if the post failed
        if waited < self.every or (self._said_at is not None and now - self._said_at < self.every * 0.9):
            return None
        self._said_at = now
        line = f"rank {self.rank}: waiting for {self._whom(board, phase)} since {_clock_text(since)}, in {phase}"
        if self.collective_timeout:
            line += f"; the collective timeout ({self.collective_timeout:.0f} s) ends the wait at " \
                    f"{_clock_text(since + self.collective_timeout)}"
        self._say(line)
        return line

    def _whom(self, board: Board | None, phase: str) -> str:
        if board is None:
            reason = self._board_error or "this launcher has no store to report to"
            return f"its peers (which ones cannot be told: {reason})"
        if self.world_size > NAMED_RANKS_AT_MOST:
            return f"its peers (not named beyond {NAMED_RANKS_AT_MOST} ranks)"
        others = [r for r in range(self.world_size) if r != self.rank]
        posts = self._guarded(lambda: board.read(others))
        if posts is None:
            return f"its peers (which ones cannot be told: {self._board_error})"
        behind = [r for r in others if posts.get(r) != phase]
        if not behind:
            return "its peers (every rank reports the same phase)"
        named = ", ".join(f"{r} ({self.progress.peers.host_of(r) or '?'}; its last report: "
                          f"{posts.get(r) or 'none'})" for r in behind)
        return f"rank{'s' if len(behind) > 1 else ''} {named}"

    def _board_or_none(self) -> Board | None:
        if self._board is None and self._open_board is not None and self._board_error is None:
            self._board = self._guarded(self._open_board)
        return self._board

    def _guarded(self, call: Callable[[], object]):
        """The call's result, or None after noting why the board failed (a silent store host)."""
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - a store that does not answer is itself a finding
            self._board_error = f"the job's store does not answer ({type(exc).__name__})"
            self._board = None
            return None
