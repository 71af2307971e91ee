"""Logging where every line names the process that wrote it.

With several ranks writing to one console (docker compose, mpirun, Azure's std_log files) a line
without its rank is hard to place, so the rank goes into the format itself, not into messages.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO


def rank_tag(rank: int, world_size: int) -> str:
    return f"[rank {rank}/{world_size}]"


def configure_logging(rank: int, world_size: int, *, stream: TextIO | None = None,
                      level: int = logging.INFO) -> None:
    """Route the root logger (and Python warnings) to `stream` with a rank tag on every line.

    Called again after the launch environment is known, so it replaces earlier handlers.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(
        f"%(asctime)s {rank_tag(rank, world_size)} %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Library warnings (warnings.warn) would otherwise reach stderr untagged.
    logging.captureWarnings(True)
