"""The training flags every entrypoint shares (train.common.common_flags), without any framework."""

import pytest

from train.common.common_flags import build_parser, config_from_args


def config(*argv: str):
    return config_from_args(build_parser("train.test", "test").parse_args(list(argv)))


def test_total_steps_is_every_epoch_without_max_steps():
    assert config("--epochs", "3").total_steps(steps_per_epoch=10) == 30


@pytest.mark.parametrize(("max_steps", "expected"), [("7", 7), ("30", 30), ("100", 30)])
def test_max_steps_caps_the_total(max_steps, expected):
    assert config("--epochs", "3", "--max-steps", max_steps).total_steps(steps_per_epoch=10) == expected


def test_a_non_positive_max_steps_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        config("--max-steps", "0")
    assert "--max-steps" in capsys.readouterr().err
