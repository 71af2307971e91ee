"""train.tensorflow.lost_peer (and train.common.faults.lost_peer's TensorFlow rules): a task that died or
went silent is one line naming the task, its address from TF_CONFIG, the step and the resume point.

The messages are TensorFlow 2.18's, as seen with two MultiWorkerMirrored workers (SIGKILL and
SIGSTOP of worker 1) and a parameter-server job (SIGKILL of the ps); the classes stand in for
tf.errors' by name, as train.common.faults.lost_peer recognises them (no TensorFlow on the host).
"""

import gc
import sys

import pytest

from train.common.faults.lost_peer import LostPeerError, RunProgress, is_lost_peer, peer_tasks, timeout_kind
from train.tensorflow.lost_peer import describe_lost_task, one_line_on_lost_peer

KILLED_WORKER = ("Graph execution error:\n\nDetected at node CollectiveReduceV2 defined at ...\n"
                 "Collective ops is aborted by: failed to connect to all addresses\nAdditional GRPC error "
                 "information from remote target /job:worker/replica:0/task:1 while calling "
                 "/tensorflow.WorkerService/RecvBuf:")
PAUSED_WORKER = ("Graph execution error:\nCollective ops is aborted by: Error reported from /job:worker/task:1: "
                 "Task /job:worker/replica:0/task:1 heartbeat timeout. This indicates that the remote task "
                 "has failed, got preempted, or crashed unexpectedly.")
KILLED_PS = ("Socket closed\nAdditional GRPC error information from remote target /job:ps/replica:0/task:0 "
             "while calling /tensorflow.eager.EagerService/Enqueue:")
CLUSTER = {"worker": ["worker-0:2222", "worker-1:2222"], "ps": ["ps-0:2222"]}


class OpError(Exception):
    """Stands in for tf.errors.OpError."""


class UnavailableError(OpError):
    pass


class InternalError(OpError):
    pass


@pytest.mark.parametrize("error", [UnavailableError(KILLED_WORKER), UnavailableError(PAUSED_WORKER),
                                   UnavailableError(KILLED_PS), InternalError(KILLED_WORKER)])
def test_tensorflow_peer_failures_are_lost_peers(error):
    assert is_lost_peer(error)


@pytest.mark.parametrize("error", [InternalError("Blas GEMM launch failed"),
                                   OpError("Incompatible shapes: [32,10] vs. [32,5]")])
def test_tensorflow_bugs_are_not(error):
    assert not is_lost_peer(error)


def test_the_task_is_read_from_the_message():
    assert peer_tasks(UnavailableError(KILLED_WORKER)) == [("worker", 1)]
    assert peer_tasks(UnavailableError(PAUSED_WORKER)) == [("worker", 1)]


def test_a_silent_task_names_tensorflows_heartbeat_not_the_collective_timeout():
    # The coordination service gave up on the task (about 10 s); --collective-timeout played no part.
    assert timeout_kind(UnavailableError(PAUSED_WORKER)) == "TensorFlow's heartbeat timeout"
    assert timeout_kind(UnavailableError(KILLED_WORKER)) is None
    line = str(LostPeerError(0, "worker 1 (worker-1:2222)", RunProgress(phase="step 7"),
                             timeout_kind(UnavailableError(PAUSED_WORKER)), None))
    assert "which stopped answering (TensorFlow's heartbeat timeout), during step 7" in line


def test_a_task_is_named_with_its_address_and_this_task_is_skipped():
    both = UnavailableError("/job:worker/replica:0/task:0 then /job:ps/replica:0/task:0")
    assert describe_lost_task(both, CLUSTER, ("worker", 0), rank=0) == "ps 0 (ps-0:2222)"
    assert describe_lost_task(UnavailableError(KILLED_WORKER), None, None, rank=0) == "worker 1"
    assert describe_lost_task(UnavailableError("Socket closed"), CLUSTER, ("worker", 0), rank=0) == \
        "a peer (the error names none)"


def test_inside_the_block_a_lost_task_becomes_the_line_and_the_traceback_a_file(tmp_path):
    run = RunProgress(phase="step 43", resume_step=40)
    with pytest.raises(LostPeerError) as raised, \
            one_line_on_lost_peer(0, run, tmp_path, CLUSTER, ("worker", 0)):
        raise UnavailableError(KILLED_WORKER)
    assert str(raised.value) == (
        "rank 0: lost worker 1 (worker-1:2222), which is gone, during step 43; a restart resumes from the "
        f"checkpoint of step 40 (continuing at step 41); traceback in {tmp_path / 'debug' / 'rank-0.log'}")
    assert raised.value.__suppress_context__   # `from None`: no "during handling" page on the screen
    assert "CollectiveReduceV2" in (tmp_path / "debug" / "rank-0.log").read_text()


def test_a_paused_task_stopped_answering(tmp_path):
    with pytest.raises(LostPeerError, match="lost worker 1 .* which stopped answering"), \
            one_line_on_lost_peer(0, RunProgress(), tmp_path, CLUSTER, ("worker", 0)):
        raise UnavailableError(PAUSED_WORKER)


def test_other_errors_pass_through(tmp_path):
    with pytest.raises(InternalError), one_line_on_lost_peer(0, RunProgress(), tmp_path):
        raise InternalError("Blas GEMM launch failed")
    assert not (tmp_path / "debug").exists()


def test_errors_raised_in_del_afterwards_go_to_the_debug_log(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)   # restored after the test

    class Executor:
        def __del__(self):
            raise UnavailableError("Socket closed (an executor collected after its tasks went)")

    with pytest.raises(LostPeerError), one_line_on_lost_peer(0, RunProgress(), tmp_path, CLUSTER, ("worker", 0)):
        raise UnavailableError(KILLED_PS)
    Executor()
    gc.collect()
    assert "Exception ignored" not in capsys.readouterr().err
    assert "an executor collected after its tasks went" in (tmp_path / "debug" / "rank-0.log").read_text()


def test_a_peers_error_raised_in_del_before_the_lost_peer_is_seen_goes_to_the_debug_log(tmp_path, monkeypatch):
    # The parameter-server coordinator's threads may collect a lost task's executor first.
    shown: list[str] = []     # what the hook before (Python's: the screen) was given
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: shown.append(str(unraisable.exc_value)))

    class Executor:
        def __init__(self, error):
            self.error = error

        def __del__(self):
            raise self.error

    Executor.__del__.__module__ = "tensorflow.python.eager.executor"   # as TensorFlow's is

    class Other(Executor):
        def __del__(self):
            raise self.error

    with pytest.raises(LostPeerError), one_line_on_lost_peer(0, RunProgress(), tmp_path, CLUSTER, ("worker", 0)):
        Executor(UnavailableError("Socket closed (collected on a coordinator thread)"))
        gc.collect()
        Executor(InternalError("Failed to remove function remotely (an executor's pending error)"))
        gc.collect()
        Other(ValueError("not a peer's error"))
        gc.collect()
        raise UnavailableError(KILLED_PS)
    assert shown == ["not a peer's error"]
    debug_log = (tmp_path / "debug" / "rank-0.log").read_text()
    assert "collected on a coordinator thread" in debug_log and "an executor's pending error" in debug_log


def test_the_hook_is_restored_after_a_healthy_block(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    before = sys.unraisablehook
    with one_line_on_lost_peer(0, RunProgress(), tmp_path):
        assert sys.unraisablehook is not before
    assert sys.unraisablehook is before
