"""train.common.faults.lost_peer: which errors mean a lost peer, who it was, and the line the user reads.

The messages below are the ones torch 2.x's gloo and c10d store print (seen on the compose cluster:
`docker kill` of node 1 while node 0 builds DDP or trains), and Horovod's.
"""

from pathlib import Path

import pytest

from train.common.faults.lost_peer import (
    LostPeerError,
    PeerDirectory,
    PeerIdentity,
    RunProgress,
    is_lost_peer,
    peer_addresses,
    timeout_kind,
    write_debug_log,
)

GLOO_CLOSED = ("[../third_party/gloo/gloo/transport/tcp/pair.cc:534] Connection closed by peer "
               "[172.18.0.3]:26211")


class DistBackendError(RuntimeError):
    """Stands in for torch.distributed.DistBackendError: recognised by class name."""


class HorovodInternalError(RuntimeError):
    pass


@pytest.mark.parametrize("error", [
    RuntimeError(GLOO_CLOSED),
    DistBackendError("NCCL communicator was aborted"),
    HorovodInternalError("ncclAllReduce failed"),
    RuntimeError("[/pytorch/third_party/gloo/gloo/transport/tcp/unbound_buffer.cc:81] Timed out "
                 "waiting 30000ms for recv operation to complete"),
])
def test_collective_failures_are_lost_peers(error):
    assert is_lost_peer(error)


@pytest.mark.parametrize("error", [RuntimeError("mat1 and mat2 shapes cannot be multiplied"),
                                   ValueError("Connection closed by peer"), KeyError("rank")])
def test_bugs_are_not_lost_peers(error):
    assert not is_lost_peer(error)


def test_a_lost_peer_is_found_in_the_exception_chain():
    try:
        try:
            raise RuntimeError(GLOO_CLOSED)
        except RuntimeError as inner:
            raise ValueError("while syncing module states") from inner
    except ValueError as outer:
        assert is_lost_peer(outer)
        assert peer_addresses(outer) == ["172.18.0.3"]


def test_timeouts_are_told_apart():
    assert timeout_kind(RuntimeError("Timed out waiting 600000ms for recv operation to complete")) == "collective timeout"
    assert timeout_kind(RuntimeError(GLOO_CLOSED)) is None


PEERS = PeerDirectory.of([PeerIdentity(0, "node-0", ("172.18.0.2",)),
                          PeerIdentity(1, "node-1", ("172.18.0.3",))])


def test_an_address_names_its_rank_and_host():
    assert PEERS.describe(["172.18.0.3"], own_rank=0) == "rank 1 (node-1, 172.18.0.3)"


def test_an_unknown_address_is_still_shown():
    assert PEERS.describe(["10.9.9.9"], own_rank=0) == "the peer at 10.9.9.9"


def test_no_address_says_so():
    assert PEERS.describe([], own_rank=0) == "a peer (the error names none)"


@pytest.mark.parametrize(("resume_step", "expected"), [
    (None, "a restart resumes from the newest checkpoint in rank 0's outputs"),
    (0, "a restart starts again at step 1 (no checkpoint yet)"),
    (40, "a restart resumes from the checkpoint of step 40 (continuing at step 41)"),
])
def test_the_line_says_where_a_restart_resumes(resume_step, expected):
    progress = RunProgress(phase="step 43", resume_step=resume_step)
    line = str(LostPeerError(0, "rank 1 (node-1, 172.18.0.3)", progress, timeout=None,
                             debug_log=Path("/outputs/debug/rank-0.log")))
    assert line == ("rank 0: lost rank 1 (node-1, 172.18.0.3), which is gone, during step 43; "
                    f"{expected}; traceback in /outputs/debug/rank-0.log")
    assert "\n" not in line


def test_a_silent_peer_is_called_so():
    timeout = timeout_kind(RuntimeError("Timed out waiting 600000ms for recv operation to complete"))
    line = str(LostPeerError(1, "a peer (the error names none)", RunProgress(), timeout=timeout, debug_log=None))
    assert "stopped answering (collective timeout)" in line and "traceback" not in line


def test_the_traceback_goes_to_the_debug_log(tmp_path):
    try:
        raise RuntimeError(GLOO_CLOSED)
    except RuntimeError as exc:
        path = write_debug_log(tmp_path, 1, exc)
    assert path == tmp_path / "debug" / "rank-1.log"
    text = path.read_text()
    assert "Traceback (most recent call last)" in text and "Connection closed by peer" in text


def test_an_unwritable_debug_log_is_not_a_second_failure(tmp_path):
    (tmp_path / "debug").write_text("a file where the folder should be")
    assert write_debug_log(tmp_path, 0, RuntimeError(GLOO_CLOSED)) is None


def test_a_checkpoint_rank_0_may_not_have_finished_is_named_as_such():
    progress = RunProgress(phase="step 6", resume_step=0, pending_step=5)
    assert progress.resume_text() == ("a restart resumes from the checkpoint of step 5 (continuing at step 6) "
                                      "if rank 0 finished writing it, else starts again at step 1 (no checkpoint yet)")
