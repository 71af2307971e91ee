"""train.common.faults.entrypoint.run_main: how every entrypoint ends a run that bad input made impossible."""

import logging

import pytest

from train.common.errors import EXIT_USAGE, UsageError
from train.common.faults.entrypoint import run_main
from train.launch_env import LaunchEnvError


@pytest.fixture(autouse=True)
def _logging_back_on():
    """The last line turns logging off for the rest of the process; the next test needs it back."""
    yield
    logging.disable(logging.NOTSET)


def test_the_status_of_main_passes_through():
    assert run_main(lambda: 3) == 3


@pytest.mark.parametrize("error", [UsageError("no such dataset 'x'"), LaunchEnvError("RANK=5 >= WORLD_SIZE=2")])
def test_a_usage_error_is_one_line_and_exit_2(error, capsys):
    def main() -> int:
        raise error

    assert run_main(main) == EXIT_USAGE
    assert capsys.readouterr().err == f"error: {error}\n"


def test_a_bug_is_not_hidden():
    def main() -> int:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        run_main(main)


def test_a_lost_peer_is_one_line_and_exit_3(capsys):
    from train.common.faults.lost_peer import EXIT_LOST_PEER, LostPeerError, RunProgress

    error = LostPeerError(0, "rank 1 (node-1, 172.18.0.3)", RunProgress("step 5", 0), None, None)

    def main() -> int:
        raise error

    assert run_main(main) == EXIT_LOST_PEER == 3
    assert capsys.readouterr().err == f"error: {error}\n"


def test_a_stop_on_sigterm_is_one_line_and_exit_143(capsys):
    from train.common.faults.stop_signal import StoppedBySignal

    def main() -> int:
        raise StoppedBySignal(12, 0)

    assert run_main(main) == 143
    assert capsys.readouterr().err == "rank 0: stopped by SIGTERM after step 12, checkpoint written; " \
                                      "a restart continues at step 13\n"


def test_nothing_is_logged_after_the_last_line(capsys):
    def main() -> int:
        raise UsageError("no such dataset 'x'")

    assert run_main(main) == EXIT_USAGE
    logging.getLogger("tensorflow").error("a framework thread, still running")
    assert capsys.readouterr().err.splitlines()[-1] == "error: no such dataset 'x'"
