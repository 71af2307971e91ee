"""`python -m train.deepspeed`: parse flags, run main() (usage errors: one line, exit 2)."""

from __future__ import annotations

import sys

from train.common.entrypoint import run_main
from train.deepspeed.flags import build_deepspeed_parser, deepspeed_config_from_args


def run(argv: list[str] | None = None) -> int:
    args = build_deepspeed_parser().parse_args(argv)   # exits 2 on bad flags

    def main() -> int:
        config, ds_flags = deepspeed_config_from_args(args)   # may raise a UsageError
        from train.deepspeed.main import main as train  # after parsing: --help must not import torch
        return train(config, ds_flags)

    return run_main(main)


if __name__ == "__main__":
    sys.exit(run())
