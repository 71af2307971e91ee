"""DeepSpeed's flags on top of the common ones, and the ds_config they produce (pure: no torch).

The ds_config: a user's JSON file (`--deepspeed_config`, DeepSpeed's own flag name, which Azure ML's
examples use; `--deepspeed-config` too), else a small default. `--zero-stage` overrides the file's
`zero_optimization.stage`. The common `--batch-size` is the micro batch per process unless the file
sets `train_micro_batch_size_per_gpu`; a file's `train_batch_size` must then agree with
micro x gradient_accumulation_steps x world size (DeepSpeed checks that itself, naming the keys).
"""

from __future__ import annotations

import argparse
import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from train.common.common_flags import TrainConfig, add_collective_timeout_flag, build_parser, config_from_args
from train.common.errors import UsageError

ZERO_STAGES = (0, 1, 2, 3)


@dataclass(frozen=True)
class DeepSpeedFlags:
    ds_config: dict[str, Any]     # before the world size is known; see finalise_ds_config
    config_source: str            # the file, or "built-in default"

    @property
    def zero_stage(self) -> int:
        return int(self.ds_config.get("zero_optimization", {}).get("stage", 0))


def default_ds_config(config: TrainConfig) -> dict[str, Any]:
    """Plain fp32 on CPU or GPU; the optimizer is ours (torch SGD, as train.pytorch), so ZeRO must be
    told that a client optimizer it has not tested is fine."""
    return {
        "train_micro_batch_size_per_gpu": config.batch_size,
        "gradient_accumulation_steps": 1,
        "zero_optimization": {"stage": 0},
        "zero_allow_untested_optimizer": True,
        "steps_per_print": 10**9,      # DeepSpeed's own progress lines; ours are rank-tagged
        "wall_clock_breakdown": False,
    }


def build_deepspeed_parser() -> argparse.ArgumentParser:
    parser = build_parser("python -m train.deepspeed", "Train a small model with DeepSpeed ZeRO.")
    add = parser.add_argument
    add("--deepspeed_config", "--deepspeed-config", dest="deepspeed_config", type=Path, default=None,
        help="ds_config JSON (as Azure ML's DeepSpeed examples pass it); default: a built-in config")
    add("--zero-stage", type=int, choices=ZERO_STAGES, default=None,
        help="ZeRO stage; overrides the file's zero_optimization.stage")
    # What the `deepspeed` launcher and DeepSpeed's examples pass; accepted so their command lines
    # work, not needed here (the launch environment gives the local rank).
    add("--deepspeed", action="store_true", help=argparse.SUPPRESS)
    add("--local_rank", "--local-rank", type=int, default=None, help=argparse.SUPPRESS)
    add_collective_timeout_flag(parser)
    return parser


def load_ds_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise UsageError(f"--deepspeed_config {path}: {exc.strerror}") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--deepspeed_config {path} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise UsageError(f"--deepspeed_config {path}: expected a JSON object, got {type(value).__name__}")
    return value


def deepspeed_config_from_args(args: argparse.Namespace) -> tuple[TrainConfig, DeepSpeedFlags]:
    config = config_from_args(args)
    if args.deepspeed_config is not None:
        ds_config = load_ds_config(args.deepspeed_config)
        source = str(args.deepspeed_config)
    else:
        ds_config, source = default_ds_config(config), "built-in default"
    ds_config = copy.deepcopy(ds_config)
    if args.zero_stage is not None:
        ds_config.setdefault("zero_optimization", {})["stage"] = args.zero_stage
    stage = ds_config.get("zero_optimization", {}).get("stage", 0)
    if stage not in ZERO_STAGES:
        raise UsageError(f"zero_optimization.stage={stage!r} in {source}: expected one of 0, 1, 2, 3")
    ds_config.setdefault("train_micro_batch_size_per_gpu", config.batch_size)
    return config, DeepSpeedFlags(ds_config, source)


def micro_batch_size(ds_config: dict[str, Any]) -> int:
    return int(ds_config["train_micro_batch_size_per_gpu"])
