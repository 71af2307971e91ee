"""`python -m train.pytorch`: parse flags, run main() (usage errors: one line, exit 2)."""

from __future__ import annotations

import sys

from train.common.common_flags import add_collective_timeout_flag, build_parser, config_from_args
from train.common.faults.entrypoint import run_main


def run(argv: list[str] | None = None) -> int:
    parser = build_parser("python -m train.pytorch",
                          "Train a small model with PyTorch DistributedDataParallel.")
    add_collective_timeout_flag(parser)
    config = config_from_args(parser.parse_args(argv))   # exits 2 on bad flags
    from train.pytorch.main import main  # after parsing: --help must not wait for torch to import
    return run_main(lambda: main(config))


if __name__ == "__main__":
    sys.exit(run())
