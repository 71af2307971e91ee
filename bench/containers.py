"""Containers and networks the bench creates: named `<prefix><run id>-...`, each removed afterwards.

Plain docker CLI with a timeout on every call (no Docker SDK on the host). A container is pinned to
host cores with --cpuset-cpus; `cpus` adds a CFS limit (only for functional trials on a busy machine:
a measurement wants the cores whole).
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.commands import BenchError, run

DOCKER_TIMEOUT = 60          # seconds for short docker calls (create, inspect, rm)
BENCH_MOUNT = "/opt/bench"   # where bench/ is mounted (read-only) in every container
LABEL = "trainyard.bench=1"  # `docker ps -a --filter label=trainyard.bench=1` finds strays


@dataclass(frozen=True)
class ContainerSpec:
    image: str
    bench_dir: Path
    cpus: float | None = None   # None: no CFS limit


@dataclass(frozen=True)
class Container:
    name: str

    def exec(self, command: Sequence[str], timeout: float, env: dict[str, str] | None = None,
             check: bool = True) -> subprocess.CompletedProcess:
        env_args = [arg for name, value in (env or {}).items() for arg in ("-e", f"{name}={value}")]
        return run(["docker", "exec", *env_args, self.name, *command], timeout=timeout, check=check)

    def exec_detached(self, command: Sequence[str]) -> None:
        run(["docker", "exec", "-d", self.name, *command], timeout=DOCKER_TIMEOUT)

    def popen(self, command: Sequence[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        """A `docker exec` running alongside others (ranks that must start together); the caller waits
        for it with a timeout (see wait_all)."""
        env_args = [arg for name, value in (env or {}).items() for arg in ("-e", f"{name}={value}")]
        return subprocess.Popen(["docker", "exec", *env_args, self.name, *command],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_all(processes: Sequence[subprocess.Popen], timeout: float) -> list[str]:
    """Wait for processes started together; kill them all if any outlives `timeout`. Their outputs."""
    outputs = []
    deadline = time.monotonic() + timeout
    try:
        for process in processes:
            out, _ = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
            outputs.append(out)
    except subprocess.TimeoutExpired as exc:
        for process in processes:
            process.kill()
            process.communicate()
        raise BenchError(f"ranks ran longer than {timeout:.0f}s") from exc
    failed = [(p.returncode, out) for p, out in zip(processes, outputs, strict=True) if p.returncode != 0]
    if failed:
        code, out = failed[0]
        raise BenchError(f"a rank exited {code}: {out[-3000:]}")
    return outputs


@contextlib.contextmanager
def network(name: str) -> Iterator[str]:
    """A user-defined bridge: containers on it reach each other by name (Docker's embedded DNS)."""
    run(["docker", "network", "create", "--driver", "bridge", "--label", LABEL, name], timeout=DOCKER_TIMEOUT)
    try:
        yield name
    finally:
        run(["docker", "network", "rm", name], timeout=DOCKER_TIMEOUT, check=False)


@contextlib.contextmanager
def started(spec: ContainerSpec, name: str, cpuset: str, network_name: str | None = None,
            hostname: str | None = None, lifetime_s: int = 3600, gpus: bool = False) -> Iterator[Container]:
    """A container idling (sleep) until the bench `docker exec`s into it; removed on the way out.
    It sleeps at most `lifetime_s`, so one left behind by a killed bench goes away by itself.
    `gpus`: every GPU of the host (`--gpus all`, the NVIDIA Container Toolkit), with the host's IPC
    namespace and no locked-memory limit, which NCCL uses between GPUs of one machine."""
    command = ["docker", "run", "-d", "--name", name, "--label", LABEL, "--init",
               *(["--gpus", "all", "--ipc", "host", "--ulimit", "memlock=-1"] if gpus else ["--shm-size", "1g"]),
               "--cpuset-cpus", cpuset, "-v", f"{spec.bench_dir}:{BENCH_MOUNT}:ro"]
    if spec.cpus is not None:
        command += ["--cpus", str(spec.cpus)]
    if network_name:
        command += ["--network", network_name]
    if hostname:
        # Docker's DNS answers for container names and aliases, not for --hostname: the alias lets
        # the other node reach this one as `hostname`, like a compose service.
        command += ["--hostname", hostname] + (["--network-alias", hostname] if network_name else [])
    command += [spec.image, "sleep", str(lifetime_s)]
    run(command, timeout=DOCKER_TIMEOUT * 2)
    try:
        yield Container(name)
    finally:
        run(["docker", "rm", "-f", name], timeout=DOCKER_TIMEOUT, check=False)


def remove_leftovers(prefix: str) -> list[str]:
    """Remove this run's containers, networks and volumes that are still there (a run stopped mid-way),
    its compose projects' included. Only names starting with `prefix`, which holds the run's start
    time and a random part: nothing another run or user made."""
    removed = []
    for kind, remove in (("container", ["rm", "-f"]), ("network", ["network", "rm"]), ("volume", ["volume", "rm"])):
        listing = ["ps", "-a", "--format", "{{.Names}}"] if kind == "container" else [kind, "ls", "--format", "{{.Name}}"]
        listed = run(["docker", *listing, "--filter", f"name={prefix}"], timeout=DOCKER_TIMEOUT, check=False)
        for name in listed.stdout.split():
            if name.startswith(prefix):
                run(["docker", *remove, name], timeout=DOCKER_TIMEOUT, check=False)
                removed.append(f"{kind} {name}")
    return removed
