"""Fixtures of the compose tests: the `faults` marker and the table of figures the fault tests write.

Fault cases take minutes each; all but one are marked `faults` and run by `make faults`, not
`make test`. Each appends a row of what it measured (time to exit, steps lost) to
build/fault-figures.md (or $TRAINYARD_FAULT_FIGURES): figures for the README, not assertions.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

from tests.e2e.compose_cluster import REPOSITORY_ROOT

HEADER = ("| fault | framework | outcome | time to exit | steps lost | weights match | measured |\n"
          "|---|---|---|---|---|---|---|\n")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: a fault case on real containers (make faults; minutes)")


class FaultFigures:
    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, fault: str, framework: str, outcome: str, seconds: float | None,
               steps_lost: int | None, weights_match: bool | None = None) -> None:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(HEADER)
        cells = [fault, framework, outcome, "-" if seconds is None else f"{seconds:.1f} s",
                 "-" if steps_lost is None else str(steps_lost),
                 "-" if weights_match is None else ("yes" if weights_match else "NO"),
                 datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")]
        with self.path.open("a") as out:
            out.write("| " + " | ".join(cells) + " |\n")


@pytest.fixture
def fault_figures() -> FaultFigures:
    return FaultFigures(Path(os.environ.get("TRAINYARD_FAULT_FIGURES", REPOSITORY_ROOT / "build" / "fault-figures.md")))
