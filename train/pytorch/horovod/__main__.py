"""`python -m train.horovod`: parse flags, run main() (usage errors: one line, exit 2)."""

from __future__ import annotations

import sys

from train.common.common_flags import add_collective_timeout_flag, build_parser, config_from_args
from train.common.faults.entrypoint import run_main


def run(argv: list[str] | None = None) -> int:
    parser = build_parser("python -m train.horovod",
                          "Train a small model with Horovod (MPI or Gloo controller) and PyTorch.")
    add_collective_timeout_flag(parser)
    config = config_from_args(parser.parse_args(argv))   # exits 2 on bad flags
    # After parsing: --help must not wait for torch and Horovod to import.
    from train.pytorch.horovod.group import open_horovod_group
    from train.pytorch.horovod.strategy import HorovodStrategy
    from train.pytorch.main import main, snapshot_checkpoints
    return run_main(lambda: main(config, open_group=open_horovod_group,
                                 make_strategy=snapshot_checkpoints(HorovodStrategy)))


if __name__ == "__main__":
    sys.exit(run())
