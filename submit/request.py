"""The submission request: command line (or example script) into one typed object, read once."""

from dataclasses import dataclass, field
from typing import Optional

from submit.frameworks import FRAMEWORKS
from submit.vm_sizes import DEFAULT_VM_SIZE, gpus_per_node

# A hung job bills its GPUs until someone notices: Azure stops it after this (limits.timeout).
DEFAULT_TIMEOUT_MINUTES = 24 * 60


@dataclass(frozen=True)
class SubmitRequest:
    framework: str  # a key of submit.frameworks.FRAMEWORKS
    nodes: int = 1
    procs: Optional[int] = None  # processes per node; None: one per GPU of the size (see procs_per_node)
    distribution: Optional[str] = None  # None: the framework's default
    parameter_servers: int = 0  # TensorFlow only
    # Exactly one of image / build_context says where the container comes from.
    image: Optional[str] = None  # pushed image reference, e.g. myacr.azurecr.io/trainyard/pytorch:0.1
    build_context: Optional[str] = None  # local directory Azure uploads and builds
    dockerfile: Optional[str] = None  # relative to build_context; None: docker/<family>/Dockerfile
    compute_name: str = "trainyard-gpu"
    vm_size: str = DEFAULT_VM_SIZE
    min_nodes: int = 0
    max_nodes: Optional[int] = None  # None: exactly `nodes`
    low_priority: bool = False
    data: Optional[str] = None  # URI folder handed to --data-dir
    shm_size: str = "16g"  # Docker's 64 MB default starves DataLoader workers
    extra_environment: dict[str, str] = field(default_factory=dict)  # overrides the NCCL defaults
    experiment_name: str = "trainyard"
    train_args: tuple[str, ...] = ()  # extra training flags (ARGS=...), appended to the command
    timeout_minutes: int = DEFAULT_TIMEOUT_MINUTES

    @property
    def procs_per_node(self) -> int:
        """Processes per node: as given, else one per GPU (Microsoft's guidance), one for TensorFlow's
        distribution (one process per node drives all its GPUs) and for a size we do not know."""
        if self.procs is not None:
            return self.procs
        if self.distribution_type == "tensorflow":
            return 1
        return gpus_per_node(self.vm_size) or 1

    @property
    def distribution_type(self) -> str:
        if self.distribution is not None:
            return self.distribution
        framework = FRAMEWORKS.get(self.framework)
        return framework.default_distribution if framework else ""

    @property
    def cluster_max_nodes(self) -> int:
        return self.max_nodes if self.max_nodes is not None else self.nodes

    @property
    def image_family(self) -> str:
        return FRAMEWORKS[self.framework].image_family

    @property
    def dockerfile_in_context(self) -> str:
        return self.dockerfile or f"docker/{self.image_family}/Dockerfile"
