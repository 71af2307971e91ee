"""The files a rehearsal runs: a compose file with one service a node, and a launch script per node.

Everything a node is told is in these files, kept in the rehearsal's folder (`rehearsal/`), so what
ran can be read afterwards. Each node container gets:
- its own copy of `code:` as the working directory, at Azure's path (`azure_paths.working_dir`);
- the inputs (read-only) and outputs (read-write) at Azure's mount paths;
- `/trainyard-rehearsal/control` (these scripts, the job's variables, each process's exit status),
  `/trainyard-rehearsal/user_logs` (what Azure shows as user_logs/) and `/trainyard-rehearsal/mlruns`
  (the MLflow store that MLFLOW_TRACKING_URI names, as Azure names its own).

A process runs `bash -c COMMAND` in the working directory, with the job's variables and its own, its
output both in its user_logs file and on the console behind `[rank N]` (or its TensorFlow task).
`mpi` jobs run the compose MPI cluster's node entry (docker/mpi/node-entry): node 0 runs mpirun over
SSH across the nodes, and each rank starts through `mpi-rank.sh`.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import yaml

from submit.rehearsal.inputs import Mount
from submit.rehearsal.layout import Layout, Node, Process

CONTROL_DIR = "/trainyard-rehearsal/control"
USER_LOGS_DIR = "/trainyard-rehearsal/user_logs"
MLFLOW_DIR = "/trainyard-rehearsal/mlruns"
MPI_ENTRY_DIR = "/opt/trainyard-mpi"
# The image's own package holds what a rehearsal adds (train/rehearsal): first on PYTHONPATH, its
# sitecustomize patches MLflow (and with CPU_FALLBACK torch) as the job imports them. Nothing of the user's is touched.
REHEARSAL_SITE = "/opt/trainyard/train/rehearsal/site"
# Each node's processes get this long after SIGTERM (a stop, a peer's failure) before SIGKILL.
STOP_GRACE_SECONDS = 30


@dataclass(frozen=True)
class ClusterSpec:
    project: str
    image: str
    layout: Layout
    working_dir: str                 # in the container
    node_working_dirs: Sequence[str]  # on the host, one per node
    host_control_dir: str
    host_user_logs_dir: str
    host_mlflow_dir: str
    data_mounts: Sequence[Mount]     # inputs and outputs
    shm_size: str
    node_cpus: str                   # compose's cpus: for each node; "0": no limit
    gpus: bool
    mpi_entry_dir: str               # docker/mpi on the host


def job_environment_script(variables: Mapping[str, str], cpu_fallback: bool) -> str:
    """`export` lines for the variables every process of the job gets (sourced by every launch script)."""
    lines = ["# The variables every process of this job gets: the job's environment_variables, then Azure's."]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in variables.items()]
    lines += ["# What a rehearsal adds in the image (train/rehearsal): MLflow's local store takes Azure's relative paths.",
              f'export PYTHONPATH={REHEARSAL_SITE}"${{PYTHONPATH:+:$PYTHONPATH}}"']
    if cpu_fallback:
        lines += ["# CPU_FALLBACK=1: torch's nccl runs as gloo and CUDA devices as the CPU (train/rehearsal).",
                  "export TRAINYARD_CPU_FALLBACK=1"]
    return "\n".join(lines) + "\n"


def _label(layout: Layout, process: Process) -> str:
    return process.task if layout.distribution == "tensorflow" else f"rank {process.index}"


def node_script(layout: Layout, node: Node, working_dir: str) -> str:
    """Bash for one node (pytorch, tensorflow, no distribution): start its processes, wait, report each status."""
    header = [
        "#!/bin/bash",
        f"# {node.hostname}: {len(node.processes)} process(es) of a {layout.distribution} job, as Azure starts them.",
        "# Written by `make rehearse`; the variables each process gets are on its start_process line.",
        "set -u",
        f"control={CONTROL_DIR}",
        f"logs={USER_LOGS_DIR}",
        f"wd={shlex.quote(working_dir)}",
        'job_command=$(cat "$control/command.sh")',
        'source "$control/job-env.sh"',
        "pids=/tmp/trainyard-rehearsal-pids   # this node's own: the control folder is every node's",
        'mkdir -p "$control/status" "$control/env" "$pids"',
        "start_process() {   # start_process INDEX LOG LABEL NAME=VALUE...: the job's command as one process",
        "    local index=$1 log=$2 label=$3",
        "    shift 3",
        "    (",
        "        # What the process sees, for reading afterwards; then it becomes the job's command.",
        '        ( export "$@"; cd "$wd" && env > "$control/env/$index" && echo "$BASHPID" > "$pids/$index" \\',
        '            && exec bash -c "$job_command" ) 2>&1 | tee "$logs/$log" | sed -u "s/^/[$label] /"',
        '        echo "${PIPESTATUS[0]}" > "$control/status/$index"',
        "    ) &",
        "}",
        "# A stop (docker stop, a failed peer) goes to each process itself; its output is still logged until it ends.",
        'stop() { for pid_file in "$pids"/*; do kill -TERM "$(cat "$pid_file")" 2>/dev/null; done; }',
        "trap stop TERM INT",
    ]
    starts = []
    for process in node.processes:
        assignments = " ".join(shlex.quote(f"{name}={value}") for name, value in process.variables.items())
        starts.append(f"start_process {process.index} {process.log_name} {shlex.quote(_label(layout, process))}"
                      + (f" {assignments}" if assignments else ""))
    footer = [
        "# wait returns early when a trapped signal arrives: wait again until every process has ended.",
        'while [ -n "$(jobs -pr)" ]; do wait; done',
        "status=0",
        f"for index in {' '.join(str(p.index) for p in node.processes)}; do",
        "    code=$(cat \"$control/status/$index\" 2>/dev/null || echo 137)",
        "    [ \"$status\" = 0 ] && status=$code",
        "done",
        "exit \"$status\"",
    ] if node.processes else ["exit 0"]
    return "\n".join(header + starts + footer) + "\n"


def mpi_rank_script(layout: Layout, working_dir: str) -> str:
    """Bash for one MPI rank, started by mpirun on its node: the job's command, logged like Azure's."""
    world = layout.world_size
    log_format = "std_log_process_%d.txt" if world == 1 else "std_log_process_%02d.txt"
    return "\n".join([
        "#!/bin/bash",
        f"# One rank of a {world}-rank mpi job, started by mpirun (Open MPI gives it OMPI_COMM_WORLD_*).",
        "set -u",
        f"control={CONTROL_DIR}",
        f"logs={USER_LOGS_DIR}",
        "rank=${OMPI_COMM_WORLD_RANK:?this script runs under mpirun}",
        f"log=$(printf {log_format} \"$rank\")",
        "# Ranks on other nodes start through sshd, which hands on no container variables: the job's come from here.",
        'source "$control/job-env.sh"',
        f"cd {shlex.quote(working_dir)} || exit 1",
        'mkdir -p "$control/env" && env > "$control/env/$rank"   # what the rank sees, for reading afterwards',
        'bash -c "$(cat "$control/command.sh")" 2>&1 | tee "$logs/$log" | sed -u "s/^/[rank $rank] /"',
        "status=${PIPESTATUS[0]}",
        'mkdir -p "$control/status" && echo "$status" > "$control/status/$rank"',
        'exit "$status"',
    ]) + "\n"


def compose_file(spec: ClusterSpec) -> str:
    """The compose file (YAML) with one service a node."""
    mpi = spec.layout.distribution == "mpi"
    services = {}
    for node, host_wd in zip(spec.layout.nodes, spec.node_working_dirs, strict=False):
        volumes = [f"{host_wd}:{spec.working_dir}",
                   f"{spec.host_control_dir}:{CONTROL_DIR}",
                   f"{spec.host_user_logs_dir}:{USER_LOGS_DIR}",
                   f"{spec.host_mlflow_dir}:{MLFLOW_DIR}"]
        volumes += [f"{m.host}:{m.container}{':ro' if m.read_only else ''}" for m in spec.data_mounts]
        service = {
            "image": spec.image,
            "hostname": node.hostname,
            "init": True,
            "user": "1000:1000",
            "cpus": float(spec.node_cpus),
            "shm_size": spec.shm_size,
            "working_dir": spec.working_dir,
            "volumes": volumes,
            "stop_grace_period": f"{STOP_GRACE_SECONDS}s",
            "labels": {"trainyard.rehearsal": spec.project},
        }
        if mpi:
            service["volumes"] += ["mpi-keys:/mpi-keys", f"{spec.mpi_entry_dir}:{MPI_ENTRY_DIR}:ro"]
            service["environment"] = {"MPI_HOSTS": ",".join(n.hostname for n in spec.layout.nodes),
                                      "MPI_PROCS_PER_NODE": str(spec.layout.processes_per_node)}
            service["command"] = ([f"{MPI_ENTRY_DIR}/node-entry", "head", "--", "bash", f"{CONTROL_DIR}/mpi-rank.sh"]
                                  if node.rank == 0 else [f"{MPI_ENTRY_DIR}/node-entry", "worker"])
        else:
            service["command"] = ["bash", f"{CONTROL_DIR}/{node.hostname}.sh"]
        if spec.gpus:
            service["deploy"] = {"resources": {"reservations": {"devices": [
                {"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}]}}}
        services[node.hostname] = service
    document = {"services": services}
    if mpi:
        document["volumes"] = {"mpi-keys": {"driver_opts": {"type": "tmpfs", "device": "tmpfs",
                                                            "o": "uid=1000,gid=1000,mode=0700,size=1m"}}}
    header = (f"# Rehearsal {spec.project}: {len(spec.layout.nodes)} node(s), a {spec.layout.distribution} job, "
              f"written by `make rehearse`.\n")
    return header + yaml.safe_dump(json.loads(json.dumps(document)), sort_keys=False, width=200)
