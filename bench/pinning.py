"""Which host cores the bench's "nodes" and ranks get: one core each, the first two the bench may use.

With one core both get core 0, and the results say so (`shared_core`): the two then take turns on
it, so link and scaling figures measure time-sharing, not two machines.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Pinning:
    node_0: str          # --cpuset-cpus of the first node / rank
    node_1: str
    both: str            # one container holding both ranks
    shared_core: bool

    def as_dict(self) -> dict:
        return {"node_0": self.node_0, "node_1": self.node_1, "both": self.both, "shared_core": self.shared_core}


def pin_two(cores: list[int]) -> Pinning:
    if not cores:
        raise ValueError("no cores to pin to")
    first = str(cores[0])
    if len(cores) == 1:
        return Pinning(first, first, first, shared_core=True)
    second = str(cores[1])
    return Pinning(first, second, f"{first},{second}", shared_core=False)


def usable_cores() -> list[int]:
    """The cores this process may run on (what nproc counts), which Docker's cpuset also names."""
    return sorted(os.sched_getaffinity(0))
