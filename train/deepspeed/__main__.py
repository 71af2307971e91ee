"""`python -m train.deepspeed`: parse flags, run main(), turn usage errors into one line and exit 2."""

from __future__ import annotations

import logging
import sys

from train.common.errors import EXIT_USAGE, UsageError
from train.deepspeed.flags import build_deepspeed_parser, deepspeed_config_from_args
from train.launch_env import LaunchEnvError


def run(argv: list[str] | None = None) -> int:
    parser = build_deepspeed_parser()
    args = parser.parse_args(argv)   # exits 2 on bad flags
    try:
        config, ds_flags = deepspeed_config_from_args(args)
        from train.deepspeed.main import (
            main,  # after parsing: --help must not import torch
        )
        return main(config, ds_flags)
    except (UsageError, LaunchEnvError) as exc:
        logging.shutdown()
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(run())
