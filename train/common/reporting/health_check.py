"""One line of a health report (`python -m train.doctor`): a name, OK / WARN / FAIL, and what was seen."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

SUBPROCESS_TIMEOUT = 30          # seconds for mpirun --version and friends


@dataclass(frozen=True)
class Check:
    name: str
    status: str       # OK, WARN, FAIL
    detail: str


def run_briefly(command: Sequence[str]) -> str:
    """A command's stdout and stderr, for a report line; at most SUBPROCESS_TIMEOUT seconds."""
    result = subprocess.run(list(command), capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT,
                            check=False)
    return (result.stdout + result.stderr).strip()
