"""Run test containers through the docker CLI: every call bounded by a timeout, every container removed.

A hung container must fail its test with a message, not hang the suite: each docker call gets a
timeout, and a container that outlives its budget is killed and reported with the tail of its output.
Names are unique (prefix + random suffix) so parallel or leftover runs never collide, and each
container carries the label trainyard.test=1 so stray ones are easy to find:
`docker ps -a --filter label=trainyard.test=1`.

Plain subprocess + docker CLI rather than the Docker SDK: one dependency fewer on the host.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PYTORCH_IMAGE = os.environ.get("TRAINYARD_PYTORCH_IMAGE", "trainyard/pytorch:latest")
TENSORFLOW_IMAGE = os.environ.get("TRAINYARD_TENSORFLOW_IMAGE", "trainyard/tensorflow:latest")
TEST_LABEL = "trainyard.test=1"
DOCKER_CLI_TIMEOUT = 60      # seconds for short docker commands (inspect, kill, rm, logs)
TAIL_CHARS = 4000            # how much output a failure message quotes


class ContainerTimeout(AssertionError):
    """A container or docker command ran past its timeout (an AssertionError: pytest reports a failure)."""


def docker(*args: str, timeout: float = DOCKER_CLI_TIMEOUT,
           check: bool = True) -> subprocess.CompletedProcess:
    command = ["docker", *args]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise ContainerTimeout(f"`{shlex.join(command)}` took more than {timeout}s") from exc
    if check and result.returncode != 0:
        raise AssertionError(f"`{shlex.join(command)}` failed ({result.returncode}): {result.stderr.strip()}")
    return result


def image_exists(image: str) -> bool:
    return docker("image", "inspect", image, check=False).returncode == 0


def make_writable(path: Path) -> Path:
    """Create `path` so the image's non-root user (uid 1000) can write into it when mounted."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o777)
    return path


@dataclass(frozen=True)
class Mount:
    host: Path
    container: str
    read_only: bool = False

    def flag(self) -> str:
        return f"{Path(self.host).resolve()}:{self.container}{':ro' if self.read_only else ''}"


@dataclass(frozen=True)
class ContainerResult:
    name: str
    returncode: int
    output: str          # stdout and stderr together, as `docker logs` gives them

    def tail(self, chars: int = TAIL_CHARS) -> str:
        return self.output[-chars:]


class Container:
    """A detached container; use as a context manager so it is removed whatever happens."""

    def __init__(self, command: Sequence[str], *, image: str = PYTORCH_IMAGE,
                 name_prefix: str = "trainyard-test",
                 mounts: Sequence[Mount] = (), env: Mapping[str, str] | None = None,
                 workdir: str | None = None) -> None:
        self.name = f"{name_prefix}-{uuid.uuid4().hex[:10]}"
        args = ["run", "--detach", "--name", self.name, "--label", TEST_LABEL]
        for mount in mounts:
            args += ["--volume", mount.flag()]
        for key, value in (env or {}).items():
            args += ["--env", f"{key}={value}"]
        if workdir:
            args += ["--workdir", workdir]
        self._run_args = [*args, image, *command]
        self._started = False

    def __enter__(self) -> Container:
        # `docker run -d` returns once the container started; pulling is not expected (local images).
        docker(*self._run_args, timeout=120)
        self._started = True
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._started:
            docker("rm", "--force", self.name, check=False)

    def logs(self) -> str:
        result = subprocess.run(["docker", "logs", self.name], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, timeout=DOCKER_CLI_TIMEOUT)
        return result.stdout

    def kill(self) -> None:
        docker("kill", self.name, check=False)

    def wait(self, timeout: float) -> ContainerResult:
        """Exit status and output; on timeout the container is killed and ContainerTimeout raised."""
        try:
            result = subprocess.run(["docker", "wait", self.name], capture_output=True, text=True,
                                    timeout=timeout)
        except subprocess.TimeoutExpired:
            # What still ran tells a hang (a process past its FINAL line) from a slow machine.
            running = docker("top", self.name, "-o", "pid,etime,args", check=False).stdout.strip()
            self.kill()
            raise ContainerTimeout(f"container {self.name} ran longer than {timeout}s and was killed; "
                                   f"processes still running then:\n{running or '(none listed)'}\n"
                                   f"last output:\n{self.logs()[-TAIL_CHARS:]}") from None
        if result.returncode != 0:
            raise AssertionError(f"docker wait {self.name} failed: {result.stderr.strip()}")
        return ContainerResult(self.name, int(result.stdout.strip()), self.logs())


def run_container(command: Sequence[str], *, timeout: float, **options: object) -> ContainerResult:
    """Run `command` in a fresh container to its end (or `timeout` seconds), then remove it."""
    with Container(command, **options) as container:   # type: ignore[arg-type]
        return container.wait(timeout)
