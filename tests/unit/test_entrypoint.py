"""train.common.entrypoint.run_main: how every entrypoint ends a run that bad input made impossible."""

import pytest

from train.common.entrypoint import run_main
from train.common.errors import EXIT_USAGE, UsageError
from train.launch_env import LaunchEnvError


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
