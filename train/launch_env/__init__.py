"""Where this process stands in a distributed job, read from its launcher's environment.

    from train.launch_env import LaunchEnv, LaunchEnvError, detect, to_torch_env, to_tf_config_json

`detect()` tries the detectors in `detection.DETECTORS` and returns a frozen `LaunchEnv` whose
`source` (a `Source`) names the launcher. Detectors that read the same variables share a module:
torchrun, mpi (Azure's and plain mpirun), torch_vars (Azure pytorch and hand-set env://),
tf_config, single.
Pure Python: no torch or tensorflow import, and the environment is only ever read.
"""

from train.launch_env.detection import DETECTORS, detect
from train.launch_env.model import LaunchEnv, LaunchEnvError, Source
from train.launch_env.mpi import from_azureml_mpi, from_mpirun
from train.launch_env.single import from_single
from train.launch_env.tf_config import from_tf_config
from train.launch_env.torch_vars import from_azureml_pytorch, from_torch_env
from train.launch_env.torchrun import from_torchrun
from train.launch_env.translate import to_tf_config_json, to_torch_env

__all__ = [
    "DETECTORS",
    "LaunchEnv",
    "LaunchEnvError",
    "Source",
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
