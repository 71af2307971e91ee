"""The nodes and processes of a job, each with exactly the variables Azure gives it (docs/azureml-launch-contract.md).

- `pytorch`: Azure starts process_count_per_instance (P, default 1) processes on each of the
  instance_count (N) nodes itself: MASTER_ADDR, MASTER_PORT, WORLD_SIZE = N x P, NODE_RANK, RANK,
  LOCAL_RANK.
- `mpi`: Azure runs mpirun over N x P ranks; Open MPI gives each its OMPI_COMM_WORLD_* and node 0's
  address comes as AZ_BATCH_MASTER_NODE (AZ_BATCHAI_MPI_MASTER_NODE on one node). Those come from the real
  mpirun at run time, so the processes here carry no variables of their own.
- `tensorflow`: one process per task, each with its TF_CONFIG: worker_count (W, default N) workers, then
  parameter_server_count (S) parameter servers, `"ps": []` when there are none, `"environment": "cloud"`.
  Task k runs on node k mod N (with W + S = N, one task a node); a second task on a node takes the
  next port. How Azure places more tasks than nodes is not documented; this is the rehearsal's choice.
- no distribution: each node runs the command once, with none of these variables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from submit.rehearsal.azure_paths import process_log_name

MASTER_PORT = 29500      # Azure picks a free port on node 0; any free port works in a node's own network
TENSORFLOW_PORT = 2222


@dataclass(frozen=True)
class Process:
    index: int                      # RANK (pytorch, mpi), the task's place in the job (tensorflow), 0 (none)
    local_index: int                # its place on its node
    log_name: str                   # its file under user_logs/
    variables: dict[str, str] = field(default_factory=dict)
    task: str = ""                  # tensorflow: "worker 0", "ps 0"


@dataclass(frozen=True)
class Node:
    rank: int
    processes: tuple[Process, ...]

    @property
    def hostname(self) -> str:
        return node_hostname(self.rank)


@dataclass(frozen=True)
class Layout:
    distribution: str               # pytorch, mpi, tensorflow or none
    nodes: tuple[Node, ...]

    @property
    def world_size(self) -> int:
        return sum(len(node.processes) for node in self.nodes)

    @property
    def processes_per_node(self) -> int:
        return max(len(node.processes) for node in self.nodes)


def node_hostname(rank: int) -> str:
    return f"node-{rank}"


def job_layout(job: Any) -> Layout:
    distribution = job.distribution
    kind = getattr(distribution, "type", None) or "none"
    nodes = int(getattr(job.resources, "instance_count", None) or 1) if job.resources else 1
    if kind in ("pytorch", "mpi"):
        per_node = int(getattr(distribution, "process_count_per_instance", None) or 1)
        return Layout(kind, tuple(_ranked_node(kind, rank, nodes, per_node) for rank in range(nodes)))
    if kind == "tensorflow":
        return _tensorflow_layout(distribution, nodes)
    if kind == "none":
        return Layout(kind, tuple(Node(rank, (Process(0, 0, process_log_name(kind, 0, 1)),)) for rank in range(nodes)))
    raise ValueError(f"no layout for the {kind} distribution")


def _ranked_node(kind: str, node_rank: int, nodes: int, per_node: int) -> Node:
    world = nodes * per_node
    processes = []
    for local in range(per_node):
        rank = node_rank * per_node + local
        variables = {} if kind == "mpi" else {
            "MASTER_ADDR": node_hostname(0), "MASTER_PORT": str(MASTER_PORT), "WORLD_SIZE": str(world),
            "NODE_RANK": str(node_rank), "RANK": str(rank), "LOCAL_RANK": str(local)}
        processes.append(Process(rank, local, process_log_name(kind, rank, world), variables))
    return Node(node_rank, tuple(processes))


def _tensorflow_layout(distribution: Any, nodes: int) -> Layout:
    workers = int(getattr(distribution, "worker_count", None) or nodes)
    servers = int(getattr(distribution, "parameter_server_count", None) or 0)
    tasks = [("worker", index) for index in range(workers)] + [("ps", index) for index in range(servers)]
    placed: list[tuple[str, int, int, int]] = []        # (type, index, node, port)
    next_port = [TENSORFLOW_PORT] * nodes
    for position, (task_type, index) in enumerate(tasks):
        node = position % nodes
        placed.append((task_type, index, node, next_port[node]))
        next_port[node] += 1
    cluster = {"worker": [], "ps": []}
    for task_type, _, node, port in placed:
        cluster[task_type].append(f"{node_hostname(node)}:{port}")
    by_node: list[list[Process]] = [[] for _ in range(nodes)]
    for position, (task_type, index, node, _) in enumerate(placed):
        tf_config = {"cluster": cluster, "task": {"type": task_type, "index": index}, "environment": "cloud"}
        by_node[node].append(Process(position, len(by_node[node]), process_log_name("tensorflow", index, 0, task_type),
                                     {"TF_CONFIG": json.dumps(tf_config)}, task=f"{task_type} {index}"))
    return Layout("tensorflow", tuple(Node(rank, tuple(processes)) for rank, processes in enumerate(by_node)))
