"""`python -m train.horovod`: parse flags, run main(), turn usage errors into one line and exit 2."""

from __future__ import annotations

import logging
import sys

from train.common.common_flags import build_parser, config_from_args
from train.common.errors import EXIT_USAGE, UsageError
from train.launch_env import LaunchEnvError


def run(argv: list[str] | None = None) -> int:
    parser = build_parser("python -m train.horovod",
                          "Train a small model with Horovod (MPI or Gloo controller) and PyTorch.")
    config = config_from_args(parser.parse_args(argv))   # exits 2 on bad flags
    # After parsing: --help must not wait for torch and Horovod to import.
    from train.horovod.group import open_horovod_group
    from train.horovod.trainer import HorovodTrainer
    from train.pytorch.main import main
    try:
        return main(config, open_group=open_horovod_group, trainer_cls=HorovodTrainer)
    except (UsageError, LaunchEnvError) as exc:
        logging.shutdown()
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(run())
