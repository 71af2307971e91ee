"""Write a prepared rehearsal's files, run its cluster, watch it, and say how it ended.

The cluster is a compose project of its own (one service a node). It runs until every node has ended
(an `mpi` job: until node 0's mpirun has), as an Azure job runs until its processes end. When a node
fails, the others get PEER_GRACE_SECONDS to end by themselves (usually with their own error about the
lost peer), then are stopped. The job's limits.timeout (else an hour) bounds the whole run. Every docker
call has a timeout; the project is always taken down, and the node folders are kept for reading.
"""

from __future__ import annotations

import os
import queue
import re
import shlex
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from submit.errors import SubmitError
from submit.rehearsal import cluster_files
from submit.rehearsal.prepare import Rehearsal
from submit.rehearsal.snapshot import copy_snapshot, make_tree_writable

PEER_GRACE_SECONDS = 30
POLL_SECONDS = 2
DOCKER_TIMEOUT_SECONDS = 60
DOWN_TIMEOUT_SECONDS = 180
REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_PROCESS_LINE = re.compile(r"\|\s\[(?:rank \d+|worker \d+|ps \d+)\] ")
# The first line a process prints counts from the job's own output, not the CPU_FALLBACK notice before it.
CPU_FALLBACK_BANNER = "trainyard CPU_FALLBACK:"


@dataclass(frozen=True)
class NodeEnd:
    hostname: str
    exit_code: int | None            # None: still running when stopped
    processes: dict[str, int | None]  # label -> exit status (None: ended without one)


@dataclass(frozen=True)
class Outcome:
    status: str                      # Completed, Failed, or Canceled (timeout, Ctrl-C)
    exit_code: int
    seconds_to_first_line: float | None
    seconds_to_end: float
    nodes: Sequence[NodeEnd]
    reason: str = ""


def compose_command() -> list[str]:
    """`docker compose` (v2) when it answers, else `docker-compose` (v1); COMPOSE= wins, as in the Makefile."""
    if os.environ.get("COMPOSE"):
        return shlex.split(os.environ["COMPOSE"])
    try:
        if subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=20).returncode == 0:
            return ["docker", "compose"]
    except (OSError, subprocess.TimeoutExpired):
        pass
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    raise SubmitError("neither `docker compose` (v2) nor `docker-compose` (v1) is installed: install one of them")


def project_name(rehearsal: Rehearsal) -> str:
    return "rehearse-" + re.sub(r"[^a-z0-9-]+", "-", rehearsal.name.lower())[:40].strip("-")


def write_files(rehearsal: Rehearsal) -> str:
    """The rehearsal's folder: node snapshots, scripts, compose file. Returns the compose file's path."""
    folder = rehearsal.folder
    control = os.path.join(folder, "rehearsal")
    user_logs = os.path.join(folder, "user_logs")
    mlflow = os.path.join(folder, "mlruns")
    for path in (control, user_logs, mlflow, *(m.host for m in rehearsal.outputs.values())):
        os.makedirs(path, exist_ok=True)
    node_dirs = []
    for node in rehearsal.layout.nodes:
        node_dir = os.path.join(folder, "nodes", node.hostname, "wd")
        if rehearsal.code_dir:
            copy_snapshot(rehearsal.code_dir, list(rehearsal.snapshot), node_dir)
        else:
            os.makedirs(node_dir, exist_ok=True)
        node_dirs.append(node_dir)
    _write(os.path.join(control, "command.sh"), rehearsal.command + "\n")
    _write(os.path.join(control, "job-env.sh"),
           cluster_files.job_environment_script(rehearsal.variables, rehearsal.options.cpu_fallback))
    if rehearsal.layout.distribution == "mpi":
        _write(os.path.join(control, "mpi-rank.sh"), cluster_files.mpi_rank_script(rehearsal.layout, rehearsal.working_dir))
    else:
        for node in rehearsal.layout.nodes:
            _write(os.path.join(control, f"{node.hostname}.sh"),
                   cluster_files.node_script(rehearsal.layout, node, rehearsal.working_dir))
    spec = cluster_files.ClusterSpec(
        project=project_name(rehearsal), image=rehearsal.image.image, layout=rehearsal.layout,
        working_dir=rehearsal.working_dir, node_working_dirs=node_dirs, host_control_dir=control,
        host_user_logs_dir=user_logs, host_mlflow_dir=mlflow,
        data_mounts=[*(i.mount for i in rehearsal.inputs if i.mount), *rehearsal.outputs.values()],
        shm_size=rehearsal.shm_size, node_cpus=rehearsal.node_cpus, gpus=rehearsal.options.gpus,
        mpi_entry_dir=os.path.join(REPOSITORY_ROOT, "docker", "mpi"))
    compose_path = os.path.join(control, "compose.yaml")
    _write(compose_path, cluster_files.compose_file(spec))
    for path in (control, user_logs, mlflow, *(m.host for m in rehearsal.outputs.values())):
        make_tree_writable(path)
    return compose_path


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


class _Cluster:
    def __init__(self, compose: list[str], project: str, compose_path: str):
        self.base = [*compose, "--project-name", project, "-f", compose_path]
        self.project = project

    def run(self, *args: str, timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run([*self.base, *args], capture_output=True, text=True, timeout=timeout)

    def states(self) -> dict[str, tuple[str, int]]:
        """hostname -> (docker state, exit code) of this project's containers."""
        ids = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={self.project}"],
                             capture_output=True, text=True, timeout=DOCKER_TIMEOUT_SECONDS).stdout.split()
        if not ids:
            return {}
        inspected = subprocess.run(
            ["docker", "inspect", "-f", "{{.Config.Hostname}} {{.State.Status}} {{.State.ExitCode}}", *ids],
            capture_output=True, text=True, timeout=DOCKER_TIMEOUT_SECONDS).stdout
        states = {}
        for line in inspected.splitlines():
            hostname, state, code = line.split()
            states[hostname] = (state, int(code))
        return states

    def stop(self) -> None:
        try:
            self.run("stop", "--timeout", str(cluster_files.STOP_GRACE_SECONDS), timeout=DOWN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            pass

    def down(self) -> None:
        try:
            self.run("down", "--volumes", "--remove-orphans", "--timeout", "10", timeout=DOWN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            pass


def run_cluster(rehearsal: Rehearsal, compose: list[str], compose_path: str,
                say: Callable[[str], None] = print, console: Callable[[str], None] = print) -> Outcome:
    cluster = _Cluster(compose, project_name(rehearsal), compose_path)
    hostnames = [node.hostname for node in rehearsal.layout.nodes]
    started = time.monotonic()
    first_line: float | None = None
    lines: queue.Queue = queue.Queue()
    up = subprocess.Popen([*cluster.base, "up", "--no-color"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1)
    reader = threading.Thread(target=lambda: [lines.put(line) for line in up.stdout], daemon=True)
    reader.start()
    status, reason, failed_at = "Completed", "", None
    head_only = rehearsal.layout.distribution == "mpi"
    try:
        next_poll = 0.0
        while True:
            try:
                line = lines.get(timeout=0.5)
                console(line.rstrip("\n"))
                if first_line is None and _PROCESS_LINE.search(line) and CPU_FALLBACK_BANNER not in line:
                    first_line = time.monotonic() - started
            except queue.Empty:
                pass
            now = time.monotonic()
            if now - started > rehearsal.timeout_seconds:
                status, reason = "Canceled", f"ran longer than its timeout ({rehearsal.timeout_seconds} s, limits.timeout)"
                break
            if now < next_poll:
                continue
            next_poll = now + POLL_SECONDS
            states = cluster.states()
            ended = {h: code for h, (state, code) in states.items() if state in ("exited", "dead")}
            if head_only and hostnames[0] in ended:
                break
            if len(ended) == len(hostnames):
                break
            failed = [h for h, code in ended.items() if code != 0]
            if failed and failed_at is None:
                failed_at = now
                say(f"rehearse: {failed[0]} ended with status {ended[failed[0]]}; the other nodes get "
                    f"{PEER_GRACE_SECONDS} s to end by themselves")
            if failed_at is not None and now - failed_at > PEER_GRACE_SECONDS:
                reason = f"{failed[0]} failed; the nodes still running after {PEER_GRACE_SECONDS} s were stopped"
                break
            if up.poll() is not None and not lines.qsize() and not states:
                status, reason = "Failed", "compose ended before the nodes started (its output is above)"
                break
    except KeyboardInterrupt:
        status, reason = "Canceled", "interrupted (Ctrl-C)"
    finally:
        cluster.stop()
        while not lines.empty():
            console(lines.get().rstrip("\n"))
        final_states = _safe_states(cluster)
        cluster.down()
        try:
            up.wait(timeout=DOWN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:   # compose up outlived its own project: end it
            up.kill()
            up.wait(timeout=DOCKER_TIMEOUT_SECONDS)
    nodes = _node_ends(rehearsal, final_states)
    failures = [code for node in nodes for code in (*node.processes.values(), node.exit_code) if code]
    if status == "Completed" and (failures or any(node.exit_code is None for node in nodes)):
        status = "Failed"
    exit_code = (failures[0] if failures else 1) if status == "Failed" else (124 if "timeout" in reason else
                                                                              130 if status == "Canceled" else 0)
    return Outcome(status, exit_code, first_line, time.monotonic() - started, nodes, reason)


def _safe_states(cluster: _Cluster) -> dict[str, tuple[str, int]]:
    try:
        return cluster.states()
    except (subprocess.TimeoutExpired, ValueError):
        return {}


def _node_ends(rehearsal: Rehearsal, states: dict[str, tuple[str, int]]) -> list[NodeEnd]:
    status_dir = os.path.join(rehearsal.folder, "rehearsal", "status")
    ends = []
    for node in rehearsal.layout.nodes:
        state = states.get(node.hostname)
        exit_code = state[1] if state and state[0] in ("exited", "dead") else None
        processes = {}
        for process in node.processes:
            label = process.task if rehearsal.layout.distribution == "tensorflow" else f"rank {process.index}"
            processes[label] = _read_status(os.path.join(status_dir, str(process.index)))
        ends.append(NodeEnd(node.hostname, exit_code, processes))
    return ends


def _read_status(path: str) -> int | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def collect_node_folders(rehearsal: Rehearsal) -> list[str]:
    """Azure uploads each node's ./outputs and ./logs into the job's: merge them, and name what two nodes both wrote."""
    collisions = []
    for kept in ("outputs", "logs"):
        target_root = os.path.join(rehearsal.folder, kept)
        for node in rehearsal.layout.nodes:
            source_root = os.path.join(rehearsal.folder, "nodes", node.hostname, "wd", kept)
            if not os.path.isdir(source_root):
                continue
            for directory, _, names in os.walk(source_root):
                relative_dir = os.path.relpath(directory, source_root)
                os.makedirs(os.path.join(target_root, relative_dir), exist_ok=True)
                for name in names:
                    target = os.path.normpath(os.path.join(target_root, relative_dir, name))
                    if os.path.exists(target):
                        collisions.append(f"{kept}/{os.path.relpath(target, target_root)} ({node.hostname} too)")
                    shutil.copy2(os.path.join(directory, name), target)
    return collisions
