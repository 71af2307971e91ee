"""The training flags every entrypoint shares (train.common.common_flags), without any framework."""

import pytest

from train.common.common_flags import (
    COLLECTIVE_TIMEOUT_VARIABLE,
    DEFAULT_COLLECTIVE_TIMEOUT,
    add_collective_timeout_flag,
    build_parser,
    config_from_args,
)


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


def timeout_config(*argv: str, env: dict[str, str] | None = None):
    parser = build_parser("train.test", "test")
    add_collective_timeout_flag(parser, env or {})
    return config_from_args(parser.parse_args(list(argv)))


def test_collective_timeout_defaults_to_ten_minutes():
    assert timeout_config().collective_timeout == DEFAULT_COLLECTIVE_TIMEOUT == 600.0


def test_collective_timeout_comes_from_the_variable():
    assert timeout_config(env={COLLECTIVE_TIMEOUT_VARIABLE: "45"}).collective_timeout == 45.0


def test_the_flag_wins_over_the_variable():
    config = timeout_config("--collective-timeout", "30", env={COLLECTIVE_TIMEOUT_VARIABLE: "45"})
    assert config.collective_timeout == 30.0


@pytest.mark.parametrize("text", ["soon", "0", "-5"])
def test_a_bad_variable_names_itself_and_exits_2(text, capsys):
    with pytest.raises(SystemExit) as exit_info:
        timeout_config(env={COLLECTIVE_TIMEOUT_VARIABLE: text})
    assert exit_info.value.code == 2
    assert COLLECTIVE_TIMEOUT_VARIABLE in capsys.readouterr().err


def test_a_parser_without_the_flag_gets_the_default():
    assert config().collective_timeout == DEFAULT_COLLECTIVE_TIMEOUT


def test_tensorflow_keeps_its_own_collective_timeout_flag():
    # build_parser must not define --collective-timeout: train.tensorflow adds its own, and argparse
    # refuses a flag defined twice.
    from train.tensorflow.__main__ import _parser

    args = _parser().parse_args(["--collective-timeout", "12"])
    assert args.collective_timeout == 12.0
    assert config_from_args(args).collective_timeout == 12.0
