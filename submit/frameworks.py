"""Which Azure ML distribution types each trainyard framework can run under.

The first distribution listed is the default. Facts behind the table (see the launch contract,
docs/azureml-launch-contract.md, and Azure's "Distributed GPU training guide (SDK v2)"):
- `pytorch`: Azure starts the processes and sets MASTER_ADDR/RANK/WORLD_SIZE; torch.distributed
  and DeepSpeed read those directly. Both can also run under `mpi`, deriving ranks from OMPI_*.
- Horovod needs `mpirun`, which only the `mpi` type provides.
- TensorFlow's strategies read TF_CONFIG, which only the `tensorflow` type sets; under `mpi` the same
  entrypoint trains with Horovod (train.tensorflow.roles picks it when it sees Open MPI's ranks).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Framework:
    name: str
    image_family: str  # trainyard/<image_family>:<tag> holds this framework
    distributions: tuple[str, ...]  # allowed Azure ML distribution types, default first

    @property
    def default_distribution(self) -> str:
        return self.distributions[0]


FRAMEWORKS: dict[str, Framework] = {
    f.name: f
    for f in (
        Framework("pytorch", image_family="pytorch", distributions=("pytorch", "mpi")),
        Framework("deepspeed", image_family="pytorch", distributions=("pytorch", "mpi")),
        Framework("horovod", image_family="pytorch", distributions=("mpi",)),
        Framework("tensorflow", image_family="tensorflow", distributions=("tensorflow", "mpi")),
    )
}

# Every type Azure ML knows, so a typo gets a different message than an unsupported pair.
AZURE_DISTRIBUTION_TYPES = ("pytorch", "mpi", "tensorflow", "ray")
