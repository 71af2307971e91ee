"""Says what the bench is doing and how far along it is, against the estimate it gave at the start,
and keeps it inside its time budget: `over_budget()` tells a section to stop starting new runs."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, estimate_s: float, budget_s: float, stream=sys.stdout) -> None:
        self.start = time.monotonic()
        self.estimate_s = estimate_s
        self.budget_s = budget_s
        self.stream = stream

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def say(self, message: str) -> None:
        print(f"[{_clock(self.elapsed())} of ~{_clock(self.estimate_s)}] {message}", file=self.stream, flush=True)

    def over_budget(self, next_run_s: float = 0.0) -> bool:
        """Whether starting something expected to take `next_run_s` would end past the budget."""
        return self.elapsed() + next_run_s > self.budget_s


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:d}:{secs:02d}"
