"""The once-a-minute line of a rank that waits for its peers (train.common.faults.wait_watch), on a fake clock
and an in-memory board standing in for the job's store (the real store is used in make faults)."""

from __future__ import annotations

import pytest

from train.common.errors import UsageError
from train.common.faults.lost_peer import PeerDirectory, PeerIdentity, RunProgress
from train.common.faults.wait_watch import WaitWatch, report_interval

START = 1_800_000_000.0     # 2027-01-15 08:00:00 UTC


class Board:
    def __init__(self, fail: bool = False) -> None:
        self.posts: dict[int, str] = {}
        self.fail = fail

    def post(self, rank: int, text: str) -> None:
        if self.fail:
            raise TimeoutError("no answer")
        self.posts[rank] = text

    def read(self, ranks):
        return {rank: self.posts.get(rank) for rank in ranks}


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def watch_for(rank: int, board: Board | None, clock: Clock, world_size: int = 3, timeout: float | None = 600):
    progress = RunProgress(phase="step 43")
    progress.phase_started = START
    progress.peers = PeerDirectory.of(PeerIdentity(r, f"node-{r}", ()) for r in range(world_size))
    said: list[str] = []
    watch = WaitWatch(rank, world_size, progress, open_board=(lambda: board) if board else None,
                      collective_timeout=timeout, every=60, say=said.append, clock=clock)
    return watch, said


def test_nothing_is_said_or_posted_in_the_first_minute_of_a_step():
    board, clock = Board(), Clock()
    watch, said = watch_for(0, board, clock)
    clock.now = START + 29
    assert watch.check() is None and board.posts == {}
    clock.now = START + 31
    assert watch.check() is None and board.posts == {0: "step 43"}
    assert said == []


def test_the_silent_rank_is_named_once_a_minute():
    board, clock = Board(), Clock()
    rank0, said0 = watch_for(0, board, clock)
    rank1, _ = watch_for(1, board, clock)
    board.posts[2] = "step 41"     # rank 2 went silent two steps ago (its watch posted then)
    clock.now = START + 30
    rank0.check()
    rank1.check()
    clock.now = START + 60
    line = rank0.check()
    assert line == ("rank 0: waiting for rank 2 (node-2; its last report: step 41) since 08:00:00 UTC, in step 43; "
                    "the collective timeout (600 s) ends the wait at 08:10:00 UTC")
    clock.now = START + 90
    assert rank0.check() is None            # not twice a minute
    clock.now = START + 120
    assert rank0.check() == line            # the same wait, a minute later
    assert said0 == [line, line]


def test_a_rank_that_never_posted_is_named_too():
    board, clock = Board(), Clock()
    watch, _ = watch_for(1, board, clock, world_size=2, timeout=None)
    clock.now = START + 60
    assert watch.check() == "rank 1: waiting for rank 0 (node-0; its last report: none) since 08:00:00 UTC, in step 43"


def test_a_store_that_does_not_answer_is_said():
    clock = Clock()
    watch, _ = watch_for(1, Board(fail=True), clock)
    clock.now = START + 60
    assert "waiting for its peers (which ones cannot be told: the job's store does not answer (TimeoutError))" in watch.check()


def test_without_a_board_the_line_names_no_rank():
    clock = Clock()
    watch, _ = watch_for(0, None, clock)
    clock.now = START + 61
    assert "waiting for its peers (which ones cannot be told: this launcher has no store to report to)" in watch.check()


@pytest.mark.parametrize("text, expected", [("", 60.0), ("5", 5.0), ("0.5", 0.5)])
def test_report_interval(text, expected):
    assert report_interval({"TRAINYARD_WAIT_REPORT_EVERY": text}) == expected


@pytest.mark.parametrize("text", ["0", "-1", "soon"])
def test_bad_report_interval_names_the_variable(text):
    with pytest.raises(UsageError, match="TRAINYARD_WAIT_REPORT_EVERY"):
        report_interval({"TRAINYARD_WAIT_REPORT_EVERY": text})


def test_where_collectives_never_time_out_the_watch_ends_the_wait_at_the_timeout():
    # Horovod's collectives wait for a silent peer forever: the watch calls on_timeout, once.
    clock, ended = Clock(), []
    progress = RunProgress(phase="step 43")
    progress.phase_started = START
    watch = WaitWatch(0, 2, progress, open_board=None, collective_timeout=120, every=60, say=[].append,
                      on_timeout=lambda: ended.append(clock.now - START), clock=clock)
    clock.now = START + 119
    watch.check()
    assert ended == []
    clock.now = START + 121
    watch.check()
    clock.now = START + 200
    watch.check()
    assert ended == [121]


def test_a_new_phase_starts_the_timeout_again():
    clock, ended = Clock(), []
    progress = RunProgress(phase="step 43")
    progress.phase_started = START
    watch = WaitWatch(0, 2, progress, open_board=None, collective_timeout=120, every=60, say=[].append,
                      on_timeout=lambda: ended.append(True), clock=clock)
    clock.now = START + 100
    watch.check()
    progress.phase = "step 44"
    progress.phase_started = START + 100
    clock.now = START + 200
    watch.check()
    assert ended == []


def test_a_rank_working_alone_is_neither_reported_nor_ended():
    # Rank 0 opening its MLflow run for longer than the timeout waits for nobody.
    clock, ended, said = Clock(), [], []
    progress = RunProgress(phase="the loading of the checkpoint")
    watch = WaitWatch(0, 2, progress, open_board=None, collective_timeout=120, every=60, say=said.append,
                      on_timeout=lambda: ended.append(True), clock=clock)
    with progress.alone("the opening of the MLflow run"):
        progress.phase_started = START
        clock.now = START + 500
        watch.check()
    assert ended == [] and said == []
    assert progress.phase == "the loading of the checkpoint" and not progress.working_alone
