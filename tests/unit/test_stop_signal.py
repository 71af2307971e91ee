"""train.common.faults.stop_signal: SIGTERM is deferred inside the training loop only; the line and status."""

import os
import signal

from train.common.faults.stop_signal import EXIT_STOPPED, StoppedBySignal, StopSignal


def test_sigterm_inside_deferred_only_sets_the_flag():
    stop = StopSignal()
    with stop.deferred():
        assert not stop.requested
        os.kill(os.getpid(), signal.SIGTERM)   # handled at once: the process is still here
        assert stop.requested


def test_the_previous_handler_is_back_afterwards():
    before = signal.getsignal(signal.SIGTERM)
    with StopSignal().deferred():
        pass
    assert signal.getsignal(signal.SIGTERM) is before


def test_the_status_is_what_a_shell_reports_for_sigterm():
    assert EXIT_STOPPED == 143


def test_the_line_says_where_a_restart_continues():
    assert str(StoppedBySignal(40, 1)) == ("rank 1: stopped by SIGTERM after step 40, checkpoint written; "
                                          "a restart continues at step 41")
