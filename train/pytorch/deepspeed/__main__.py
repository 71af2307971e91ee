"""`python -m train.deepspeed`: parse flags, run main() (usage errors: one line, exit 2)."""

from __future__ import annotations

import sys

from train.common.faults.entrypoint import run_main
from train.pytorch.deepspeed.flags import build_deepspeed_parser, deepspeed_config_from_args


def run(argv: list[str] | None = None) -> int:
    args = build_deepspeed_parser().parse_args(argv)   # exits 2 on bad flags

    def main() -> int:
        config, ds_flags = deepspeed_config_from_args(args)   # may raise a UsageError
        # After parsing: --help must not import torch.
        from train.pytorch.deepspeed.group import deepspeed_group
        from train.pytorch.deepspeed.strategy import DeepSpeedStrategy
        from train.pytorch.main import main as train

        def strategy(group, config):
            return DeepSpeedStrategy(group, ds_flags, config.checkpoint_dir / "deepspeed", config.keep_checkpoints)

        return train(config, open_group=deepspeed_group(ds_flags), make_strategy=strategy)

    return run_main(main)


if __name__ == "__main__":
    sys.exit(run())
