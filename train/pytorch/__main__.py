"""`python -m train.pytorch`: parse flags, run main(), turn usage errors into one line and exit 2."""

from __future__ import annotations

import logging
import sys

from train.common.common_flags import build_parser, config_from_args
from train.common.errors import EXIT_USAGE, UsageError
from train.launch_env import LaunchEnvError


def run(argv: list[str] | None = None) -> int:
    parser = build_parser("python -m train.pytorch",
                          "Train a small model with PyTorch DistributedDataParallel.")
    config = config_from_args(parser.parse_args(argv))   # exits 2 on bad flags
    from train.pytorch.main import main  # after parsing: --help must not wait for torch to import
    try:
        return main(config)
    except (UsageError, LaunchEnvError) as exc:
        logging.shutdown()
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(run())
