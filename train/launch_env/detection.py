"""`detect()`: ask each detector in order; the first that recognises the environment wins.

Reads whatever the detectors read (see each module's docstring); never writes the environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from train.launch_env.model import LaunchEnv
from train.launch_env.mpi import from_azureml_mpi, from_mpirun
from train.launch_env.single import from_single
from train.launch_env.tf_config import from_tf_config
from train.launch_env.torch_vars import from_azureml_pytorch, from_torch_env
from train.launch_env.torchrun import from_torchrun

Detector = Callable[[Mapping[str, str]], "LaunchEnv | None"]

# The innermost launcher describes this process, and launchers nest (Azure starts mpirun or
# python; either may start torchrun), so the most specific, per-process markers come first:
# 1. torchrun: TORCHELASTIC_RUN_ID exists only in torchrun's workers, and torchrun rewrites
#    RANK/WORLD_SIZE for them, so it wins over an outer Azure pytorch job or mpirun. (This is
#    the Azure pytorch trap: with one process per node WORLD_SIZE counts nodes, but torchrun's
#    children see their own WORLD_SIZE.)
# 2. Azure MPI before plain mpirun: the same OMPI variables; the AZUREML_*/AZ_BATCH* markers
#    tell them apart and bring the head node's address.
# 3. MPI before torch-style variables: mpirun sets OMPI_COMM_WORLD_* for each rank, while RANK
#    and friends under MPI are derived from them (by train.launch) or inherited from outside;
#    a disagreement between the two is an error (see _ompi).
# 4. Azure pytorch: RANK/WORLD_SIZE plus an Azure marker, set by Azure for each process.
# 5. TF_CONFIG before bare RANK/WORLD_SIZE: TF_CONFIG is only written by a launcher for one task,
#    while a bare RANK is the weakest signal (anything may export it). Azure never sets both.
# 6. Bare env:// variables ("env"); last, the single-process fallback, which always matches.
DETECTORS: tuple[Detector, ...] = (
    from_torchrun,
    from_azureml_mpi,
    from_mpirun,
    from_azureml_pytorch,
    from_tf_config,
    from_torch_env,
    from_single,
)


def detect(env: Mapping[str, str] = os.environ) -> LaunchEnv:
    """Describe this process's launch; raises LaunchEnvError naming a malformed variable."""
    for detector in DETECTORS:
        launch = detector(env)
        if launch is not None:
            return launch
    raise AssertionError("from_single always matches")  # unreachable: keeps the type honest
