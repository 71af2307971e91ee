"""Check ARGS (extra training flags) with the entrypoint's own argparse parser, before any network call.

A flag the entrypoint does not accept would otherwise fail on every node after the cluster has
scaled up. The parsers come from the builders the entrypoints call (pure argparse: importing them
pulls in neither torch nor TensorFlow):
    train.pytorch, train.horovod  train.common.common_flags.build_parser (they add no flags of their own;
                                  tests/unit/test_submit_train_flags.py keeps that true)
    train.deepspeed               train.deepspeed.flags.build_deepspeed_parser
    train.tensorflow              train.tensorflow.__main__._parser
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shlex
from collections.abc import Sequence

from submit.commands import DATA_ARGUMENTS, MODEL_DIR_ARGUMENT, entrypoint_module, train_command
from submit.errors import SubmitError

# Where the data and checkpoints are is the job's to say (DATA=, the checkpoint output); a flag in
# ARGS would silently send them elsewhere on Azure.
_PLACEMENT_FLAGS = ("--data-dir", "--model-dir")


def entrypoint_parser(framework: str) -> argparse.ArgumentParser:
    module = entrypoint_module(framework)
    if module == "train.deepspeed":
        from train.pytorch.deepspeed.flags import build_deepspeed_parser

        return build_deepspeed_parser()
    if module == "train.tensorflow":
        from train.tensorflow.__main__ import _parser

        return _parser()
    from train.common.common_flags import build_parser

    return build_parser(f"python -m {module}", "")


def check_train_args(framework: str, extra_args: Sequence[str], *, with_data_input: bool) -> None:
    """Raise SubmitError (one line) unless the job's full training command parses."""
    for flag in _PLACEMENT_FLAGS:
        if any(arg == flag or arg.startswith(flag + "=") for arg in extra_args):
            raise SubmitError(
                f"ARGS (--train-args) sets {flag}, which the job sets itself "
                f"({DATA_ARGUMENTS if flag == '--data-dir' else MODEL_DIR_ARGUMENT}): remove it "
                f"(use DATA= for the data folder)"
            )
    # `python -m <module>` and then the flags, exactly as the job will pass them.
    argv = shlex.split(train_command(framework, with_data_input=with_data_input, extra_args=extra_args))[3:]
    parser = entrypoint_parser(framework)
    # argparse prints usage and exits 2 on a bad flag; keep its message, drop the usage lines.
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            parser.parse_args(argv)
    except SystemExit as exit_:
        if exit_.code in (0, None):
            raise SubmitError("ARGS (--train-args) asks for help, which would end the job at once: remove it") from None
        message = stderr.getvalue().strip().splitlines()[-1] if stderr.getvalue().strip() else "invalid flags"
        raise SubmitError(
            f"ARGS (--train-args) {' '.join(extra_args)!r} is refused by python -m {entrypoint_module(framework)} "
            f"({message.removeprefix(parser.prog + ': ').removeprefix('error: ')}): fix ARGS; "
            f"`python -m {entrypoint_module(framework)} "
            f"--help` lists the flags"
        ) from None
