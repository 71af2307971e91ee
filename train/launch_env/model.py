"""The `LaunchEnv` record every detector returns, its `Source`, and `LaunchEnvError`.

Reads no environment variables: detectors read them and build a `LaunchEnv`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Source(StrEnum):
    """Which launcher described this process (a str: logs, JSON and comparisons see the name)."""

    TORCHRUN = "torchrun"
    AZUREML_MPI = "azureml-mpi"
    MPIRUN = "mpirun"
    AZUREML_PYTORCH = "azureml-pytorch"
    AZUREML_TENSORFLOW = "azureml-tensorflow"
    TF_CONFIG = "tf-config"
    ENV = "env"
    SINGLE = "single"

    @property
    def is_mpi(self) -> bool:
        """Started by mpirun (Azure's or the user's): every rank has Open MPI's ranks."""
        return self in (Source.AZUREML_MPI, Source.MPIRUN)


class LaunchEnvError(ValueError):
    """A launch variable is missing, malformed or inconsistent.

    The message is one line that names the variable and says what was expected, so a CLI can print
    it as is and a job log shows the cause without a traceback.
    """

    def __init__(self, message: str) -> None:
        # Values come from the environment and may hold newlines; the message must stay one line.
        super().__init__(" ".join(message.split("\n")))


@dataclass(frozen=True)
class LaunchEnv:
    """Where this process stands in its job, as its launcher described it.

    ``node_rank`` is the index of this process's node (host); ``master_addr``/``master_port`` are
    the rendezvous address torch.distributed's ``env://`` would use (None where unknown or not
    needed); ``restart_count`` is None where the launcher does not count restarts.
    ``tf_config`` is the normalised TF_CONFIG (empty task lists dropped) for TF_CONFIG sources only.
    """

    source: Source
    rank: int
    world_size: int
    local_rank: int
    local_world_size: int
    node_rank: int
    master_addr: str | None
    master_port: int | None
    restart_count: int | None
    # A dict is unhashable: leave it out of the generated __hash__ so a LaunchEnv stays hashable.
    tf_config: dict[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        # Detectors validate with the launcher's variable names; this is the safety net for
        # LaunchEnv objects built by hand (tests, other tools, JSON), so it names the fields.
        try:
            object.__setattr__(self, "source", Source(self.source))
        except ValueError:
            raise LaunchEnvError(f"source={self.source!r} is not a launch source: expected one of "
                                 f"{', '.join(Source)}") from None
        if self.world_size < 1:
            raise LaunchEnvError(f"world_size={self.world_size} is out of range: expected >= 1")
        if not 0 <= self.rank < self.world_size:
            raise LaunchEnvError(
                f"rank={self.rank} is out of range: "
                f"expected 0 <= rank < world_size={self.world_size}"
            )
        if self.local_world_size < 1:
            raise LaunchEnvError(
                f"local_world_size={self.local_world_size} is out of range: expected >= 1"
            )
        if not 0 <= self.local_rank < self.local_world_size:
            raise LaunchEnvError(
                f"local_rank={self.local_rank} is out of range: "
                f"expected 0 <= local_rank < local_world_size={self.local_world_size}"
            )
        if self.node_rank < 0:
            raise LaunchEnvError(f"node_rank={self.node_rank} is out of range: expected >= 0")
        if self.master_port is not None and not 1 <= self.master_port <= 65535:
            raise LaunchEnvError(
                f"master_port={self.master_port} is out of range: "
                "expected 1 <= master_port <= 65535"
            )

    @property
    def init_method(self) -> str | None:
        """The rendezvous address torch.distributed takes, ``tcp://host:port`` (IPv6 hosts in
        brackets), or None when the launch gives no master address and port."""
        if not self.master_addr or not self.master_port:
            return None
        host = f"[{self.master_addr}]" if ":" in self.master_addr else self.master_addr
        return f"tcp://{host}:{self.master_port}"

    def to_json_dict(self) -> dict[str, Any]:
        """Every field by name (None where unknown); ``LaunchEnv(**d)`` rebuilds the object."""
        return dataclasses.asdict(self)
