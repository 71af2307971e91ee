"""Drive the repository's compose cluster from tests: Compose v2 or v1, every call with a timeout.

Each test cluster gets its own project name and outputs folder, so it never meets a user's
`make up` or another test's containers, and it is always taken down, even when the test fails.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import uuid
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
TAIL_CHARS = 6000


def compose_command() -> list[str]:
    """`docker compose` (v2) if it answers, else `docker-compose` (v1); the Makefile passes COMPOSE."""
    if os.environ.get("COMPOSE"):
        return shlex.split(os.environ["COMPOSE"])
    try:
        v2 = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=20)
        if v2.returncode == 0:
            return ["docker", "compose"]
    except subprocess.TimeoutExpired:
        pass
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    raise AssertionError("neither `docker compose` nor `docker-compose` is installed")


class ComposeCluster:
    """One compose project over one of the repository's compose files (compose.yaml unless told),
    plus extra files, with its own outputs folder."""

    def __init__(self, outputs: Path, *, nodes: int = 2, extra_files: tuple[Path, ...] = (),
                 node_cpus: str = "0", compose_file: str = "compose.yaml") -> None:
        """`node_cpus`: compose's `cpus:` for every node (NODE_CPUS; `make up` gives cores / nodes; 0: no limit)."""
        self.project = f"trainyard-test-{uuid.uuid4().hex[:8]}"
        self.outputs = outputs
        self.nodes = nodes
        files = [REPOSITORY_ROOT / compose_file, *extra_files]
        self._base = [*compose_command(), "--project-name", self.project,
                      *[arg for f in files for arg in ("-f", str(f))]]
        self._env = {**os.environ, "OUTPUTS_DIR": str(outputs), "NODES": str(nodes), "NODE_CPUS": node_cpus}

    def set_args(self, args: str) -> None:
        """Extra training flags for every node's command (compose files append ${ARGS:-})."""
        self._env["ARGS"] = args

    def run(self, *args: str, timeout: float) -> subprocess.CompletedProcess:
        command = [*self._base, *args]
        try:
            return subprocess.run(command, cwd=REPOSITORY_ROOT, env=self._env, timeout=timeout,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        except subprocess.TimeoutExpired as exc:
            output = (exc.stdout or b"")
            output = output.decode(errors="replace") if isinstance(output, bytes) else output
            self.down()
            raise AssertionError(f"`{shlex.join(command)}` ran longer than {timeout}s; "
                                 f"last output:\n{output[-TAIL_CHARS:]}") from None

    def down(self) -> None:
        # --volumes: a cluster's named volumes (compose.mpi.yaml's SSH keys) go with it.
        subprocess.run([*self._base, "down", "--volumes", "--remove-orphans", "--timeout", "5"],
                       cwd=REPOSITORY_ROOT, env=self._env, capture_output=True, timeout=120)

    def __enter__(self) -> ComposeCluster:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.down()
