"""The command-line flags every trainyard entrypoint shares, read once into a typed TrainConfig.

The names follow Azure ML's distributed CIFAR-10 example (`--data-dir --epochs --batch-size --workers
--learning-rate --momentum --print-freq --model-dir`) so its job YAMLs work unchanged; the rest are ours.
An entrypoint may add its own flags to the parser before parsing; add_collective_timeout_flag is one
such flag that the PyTorch entrypoints share (train.tensorflow has its own --collective-timeout, so it
is not in build_parser, where the two would clash).

Environment variables read: TRAINYARD_COLLECTIVE_TIMEOUT (by add_collective_timeout_flag only).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DATASETS = ("digits", "cifar10", "synthetic")

COLLECTIVE_TIMEOUT_VARIABLE = "TRAINYARD_COLLECTIVE_TIMEOUT"
# Seconds. Why 10 minutes on Azure ML: the same timeout bounds the rendezvous, and Azure starts the
# command on each node when that node has pulled the image (several GB) and mounted the data, so nodes
# of one job routinely start minutes apart; a shorter timeout fails healthy jobs at start. The other
# side: a preempted low-priority node sends no signal and closes no socket, so its peers wait this long
# while the job is billed for every node; torch's own default (30 minutes) triples that waste.
DEFAULT_COLLECTIVE_TIMEOUT = 600.0


@dataclass(frozen=True)
class TrainConfig:
    data_dir: Path
    dataset: str
    epochs: int
    batch_size: int          # per process, as in Azure's example
    workers: int             # data-loader worker processes per rank; 0 = load in the training process
    learning_rate: float
    momentum: float
    print_freq: int          # steps between progress lines
    model_dir: Path
    seed: int
    checkpoint_every: int    # steps between checkpoints; 0 = only at the end
    keep_checkpoints: int
    max_steps: int | None    # stop after this many steps in total (across restarts)
    step_delay: float        # seconds of sleep per step; lets tests interrupt a run at a known point
    # seconds a rendezvous or collective may wait for a peer before failing (PyTorch entrypoints)
    collective_timeout: float = DEFAULT_COLLECTIVE_TIMEOUT

    @property
    def checkpoint_dir(self) -> Path:
        return self.model_dir / "checkpoints"

    def total_steps(self, steps_per_epoch: int) -> int:
        """Steps the whole run trains, across restarts: every epoch, capped by --max-steps."""
        total = steps_per_epoch * self.epochs
        return total if self.max_steps is None else min(total, self.max_steps)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def build_parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    add = parser.add_argument
    add("--data-dir", type=Path, default=Path("./data"),
        help="dataset folder (cifar10: cifar-10-batches-py or its parent)")
    add("--dataset", choices=DATASETS, default="digits",
        help="digits: scikit-learn's 8x8 digits (no download); cifar10: from --data-dir; "
             "synthetic: random CIFAR-shaped tensors for throughput")
    add("--epochs", type=_positive_int, default=5)
    add("--batch-size", type=_positive_int, default=32, help="per process")
    add("--workers", type=_non_negative_int, default=0, help="data-loader workers per process")
    add("--learning-rate", type=_positive_float, default=0.05)
    add("--momentum", type=_non_negative_float, default=0.9)
    add("--print-freq", type=_positive_int, default=10, help="steps between progress lines")
    add("--model-dir", type=Path, default=Path("./outputs"),
        help="outputs: checkpoints/, the final model, the local MLflow store")
    add("--seed", type=int, default=0)
    add("--checkpoint-every", type=_non_negative_int, default=50,
        help="steps between checkpoints; 0 = only at the end")
    add("--keep-checkpoints", type=_positive_int, default=3)
    add("--max-steps", type=_positive_int, default=None, help="stop after this many steps in total")
    add("--step-delay", type=_non_negative_float, default=0.0, help=argparse.SUPPRESS)
    return parser


def add_collective_timeout_flag(parser: argparse.ArgumentParser, env: Mapping[str, str] = os.environ) -> None:
    """--collective-timeout SECONDS, defaulting to $TRAINYARD_COLLECTIVE_TIMEOUT, else 600.

    A variable as well as a flag: a job's command line is often fixed (Azure ML's YAML, compose.yaml),
    while its environment is easy to change. The flag wins over the variable. A malformed variable
    stops the parser with exit status 2 and names the variable.
    """
    default = DEFAULT_COLLECTIVE_TIMEOUT
    text = env.get(COLLECTIVE_TIMEOUT_VARIABLE, "").strip()
    if text:
        try:
            default = _positive_float(text)
        except (ValueError, argparse.ArgumentTypeError) as exc:
            parser.error(f"{COLLECTIVE_TIMEOUT_VARIABLE}={text!r} is not a number of seconds > 0 ({exc})")
    parser.add_argument(
        "--collective-timeout", type=_positive_float, default=default, metavar="SECONDS",
        help=f"seconds the rendezvous or a collective may wait for a peer before the job fails "
             f"(default: ${COLLECTIVE_TIMEOUT_VARIABLE}, else {DEFAULT_COLLECTIVE_TIMEOUT:.0f})")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        data_dir=args.data_dir, dataset=args.dataset, epochs=args.epochs,
        batch_size=args.batch_size, workers=args.workers, learning_rate=args.learning_rate,
        momentum=args.momentum, print_freq=args.print_freq, model_dir=args.model_dir,
        seed=args.seed, checkpoint_every=args.checkpoint_every,
        keep_checkpoints=args.keep_checkpoints, max_steps=args.max_steps,
        step_delay=args.step_delay,
        # Present when the entrypoint added a --collective-timeout (ours or train.tensorflow's own).
        collective_timeout=getattr(args, "collective_timeout", DEFAULT_COLLECTIVE_TIMEOUT))
