"""Where this process stands in a distributed job, read from its launcher's environment.

    from train.launch_env import LaunchEnv, LaunchEnvError, detect, to_torch_env, to_tf_config_json

`detect()` tries the detectors in `detection.DETECTORS` (one module each: torchrun, azureml_mpi,
mpirun, azureml_pytorch, tf_config, torch_env, single) and returns a frozen `LaunchEnv`.
Pure Python: no torch or tensorflow import, and the environment is only ever read.
"""

from train.launch_env.azureml_mpi import from_azureml_mpi
from train.launch_env.azureml_pytorch import from_azureml_pytorch
from train.launch_env.detection import DETECTORS, detect
from train.launch_env.model import LaunchEnv, LaunchEnvError
from train.launch_env.mpirun import from_mpirun
from train.launch_env.single import from_single
from train.launch_env.tf_config import from_tf_config
from train.launch_env.torch_env import from_torch_env
from train.launch_env.torchrun import from_torchrun
from train.launch_env.translate import to_tf_config_json, to_torch_env

__all__ = [
    "DETECTORS",
    "LaunchEnv",
    "LaunchEnvError",
    "detect",
    "from_azureml_mpi",
    "from_azureml_pytorch",
    "from_mpirun",
    "from_single",
    "from_tf_config",
    "from_torch_env",
    "from_torchrun",
    "to_tf_config_json",
    "to_torch_env",
]
