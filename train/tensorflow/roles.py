"""Which training mode a process runs, from the launch environment and the --strategy flag. No tensorflow.

- TF_CONFIG with parameter servers (Azure `tensorflow` distribution, parameter_server_count > 0):
  "ps". Every ps and worker task serves; worker 0 also runs the coordinator (see `cluster`).
- any other TF_CONFIG (Azure `tensorflow` distribution, parameter_server_count = 0): "mwms".
- MPI ranks (Azure `mpi` distribution, or plain mpirun): "horovod".
- nothing: "mwms" with a single worker (no TF_CONFIG), so a laptop run takes the same code path.
"""

from __future__ import annotations

from train.common.errors import UsageError
from train.launch_env import LaunchEnv

STRATEGIES = ("auto", "mwms", "ps", "horovod")


def choose_mode(launch: LaunchEnv, strategy: str = "auto") -> str:
    tf_config = launch.tf_config
    has_ps = bool(tf_config and tf_config["cluster"].get("ps"))
    if strategy == "auto":
        if tf_config is not None:
            return "ps" if has_ps else "mwms"
        return "horovod" if launch.source.is_mpi else "mwms"
    if strategy == "ps" and not has_ps:
        raise UsageError("--strategy ps needs TF_CONFIG with a non-empty cluster.ps list")
    if strategy == "mwms" and has_ps:
        raise UsageError("--strategy mwms: TF_CONFIG lists parameter servers; use --strategy ps or auto")
    if strategy == "horovod" and not launch.source.is_mpi and launch.world_size > 1:
        raise UsageError(f"--strategy horovod runs under mpirun; this launch is {launch.source}")
    return strategy
