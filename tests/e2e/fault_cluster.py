"""A compose cluster that a test can hurt: started detached, one node killed, paused or stopped.

compose.yaml's two nodes with the Azure `pytorch` distribution variables, plus an override written
per test: the training flags (slow steps, frequent checkpoints), extra environment, and the image
under test (TRAINYARD_PYTORCH_IMAGE). Not under compose's --abort-on-container-exit: a lost node
must not take the others down, as on Azure, where nothing stops the surviving nodes for them.
MpiFaultCluster is the same over compose.mpi.yaml (Azure's `mpi` distribution: node 0 runs mpirun
over SSH, the training command is MPI_COMMAND).
Every docker call has a timeout; waits poll the containers with a deadline and fail with the logs.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.containers import PYTORCH_IMAGE, docker
from tests.e2e.compose_cluster import ComposeCluster

SERVICES = ("node-0", "node-1")
START_TIMEOUT = 180


def write_override(path: Path, command: Sequence[str], env: Mapping[str, str]) -> Path:
    """A compose file that gives every node `command`, `env` and the image under test (JSON is YAML)."""
    service = {"image": PYTORCH_IMAGE, "command": list(command), "environment": dict(env)}
    path.write_text(json.dumps({"services": {name: service for name in SERVICES}}, indent=2))
    return path


def write_image_override(path: Path, env: Mapping[str, str]) -> Path:
    """A compose file that sets the image under test and `env` on every node (for compose.mpi.yaml,
    whose node commands are node-entry's and whose training command is MPI_COMMAND). mpirun hands
    node 0's environment to the ranks it starts there; other nodes' ranks get only what mpirun exports."""
    service = {"image": PYTORCH_IMAGE, "environment": dict(env)}
    path.write_text(json.dumps({"services": {name: service for name in SERVICES}}, indent=2))
    return path


class FaultCluster(ComposeCluster):
    def __init__(self, outputs: Path, override: Path, compose_file: str = "compose.yaml") -> None:
        super().__init__(outputs, nodes=2, extra_files=(override,), compose_file=compose_file)
        self._ids: dict[str, str] = {}

    def start(self) -> None:
        result = self.run("up", "--detach", *SERVICES, timeout=START_TIMEOUT)
        assert result.returncode == 0, f"compose up --detach failed:\n{result.stdout}"
        for service in SERVICES:
            self._ids[service] = self.run("ps", "-q", service, timeout=60).stdout.strip()
            assert self._ids[service], f"no container for {service}"

    def container(self, service: str) -> str:
        return self._ids[service]

    def logs(self, service: str) -> str:
        result = docker("logs", self.container(service), check=False)
        return result.stdout + result.stderr

    def wait_for_log(self, service: str, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.logs(service))
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"{service} printed nothing matching {pattern!r} in {timeout}s:\n"
                             f"{self.logs(service)[-4000:]}")

    def wait_exit(self, service: str, timeout: float) -> int:
        """The service's exit status, once it has exited; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = json.loads(docker("inspect", "--format", "{{json .State}}", self.container(service)).stdout)
            if state["Status"] == "exited":
                return int(state["ExitCode"])
            time.sleep(0.2)
        raise AssertionError(f"{service} still runs {timeout}s later; its output:\n{self.logs(service)[-4000:]}")

    def processes(self, service: str) -> str:
        """The processes running in `service`'s container, a line each (PID, then the command line).
        The container must be running."""
        return docker("top", self.container(service), "-o", "pid,args").stdout

    def kill(self, service: str) -> None:
        docker("kill", self.container(service))

    def pause(self, service: str) -> None:
        docker("pause", self.container(service))

    def unpause(self, service: str) -> None:
        docker("unpause", self.container(service), check=False)

    def down(self) -> None:
        # A paused container cannot be stopped: unpause first (a no-op on any other).
        for container_id in self._ids.values():
            docker("unpause", container_id, check=False)
        super().down()


class MpiFaultCluster(FaultCluster):
    """compose.mpi.yaml's two nodes running `command` under node 0's mpirun, one process per node."""

    def __init__(self, outputs: Path, override_dir: Path, command: Sequence[str],
                 env: Mapping[str, str] | None = None) -> None:
        super().__init__(outputs, write_image_override(override_dir / "mpi-image.yaml", env or {}),
                         "compose.mpi.yaml")
        # Split into words by sh in compose.mpi.yaml (no quoting inside it); --model-dir is appended there.
        self._env["MPI_COMMAND"] = " ".join(command)
        self._env["PROCS_PER_NODE"] = "1"


def checkpoint_steps(outputs: Path) -> list[int]:
    """Steps with a complete checkpoint: DDP's and Horovod's step-N.ckpt files, DeepSpeed's step-N
    folders up to the one its `latest` file names (a later one is an interrupted save)."""
    checkpoints = outputs / "checkpoints"
    steps = [int(re.fullmatch(r"step-(\d+)\.ckpt", p.name).group(1)) for p in checkpoints.glob("step-*.ckpt")]
    latest = checkpoints / "deepspeed" / "latest"
    if latest.is_file():
        newest = int(latest.read_text().strip().removeprefix("step-"))
        steps += [step for p in (checkpoints / "deepspeed").glob("step-*")
                  if (step := int(p.name.removeprefix("step-"))) <= newest]
    return sorted(steps)


def progress_steps(output: str) -> list[int]:
    return [int(m) for m in re.findall(r"INFO train\.pytorch\.trainer: epoch \d+/\d+ step (\d+)/", output)]
