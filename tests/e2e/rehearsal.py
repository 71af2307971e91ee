"""Run `python -m submit rehearse` as a user does, on real containers, and read what its processes saw.

The rehearsal writes, per process, the environment it started with (rehearsal/env/<index>) and its
exit status (rehearsal/status/<index>); these helpers read them back for the tests' assertions.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.containers import PYTORCH_IMAGE
from tests.e2e.compose_cluster import REPOSITORY_ROOT, compose_command

EXAMPLES = REPOSITORY_ROOT / "submit" / "examples" / "jobs"
TAIL_CHARS = 6000


@dataclass(frozen=True)
class Rehearsed:
    returncode: int
    output: str
    folder: Path | None        # outputs/rehearse/<job name>/

    def tail(self) -> str:
        return self.output[-TAIL_CHARS:]

    def environment(self, index: int) -> dict[str, str]:
        lines = (self.folder / "rehearsal" / "env" / str(index)).read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def user_log(self, name: str) -> str:
        return (self.folder / "user_logs" / name).read_text()


def rehearse(job: Path, outputs_dir: Path, *arguments: str, timeout: float = 900) -> Rehearsed:
    outputs_dir.mkdir(parents=True, exist_ok=True)
    tag = PYTORCH_IMAGE.rsplit(":", 1)[1] if ":" in PYTORCH_IMAGE.rsplit("/", 1)[-1] else "latest"
    command = [sys.executable, "-m", "submit", "rehearse", str(job), "--tag", tag, "--outputs-dir", str(outputs_dir),
               *arguments]
    env = {**os.environ, "COMPOSE": " ".join(compose_command())}
    try:
        result = subprocess.run(command, cwd=REPOSITORY_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        output = expired.stdout.decode(errors="replace") if isinstance(expired.stdout, bytes) else expired.stdout or ""
        raise AssertionError(f"`{' '.join(command)}` ran longer than {timeout}s:\n{output[-TAIL_CHARS:]}") from None
    match = re.search(r"^rehearse: logs: (\S+)/user_logs/", result.stdout, re.M)
    folder = (REPOSITORY_ROOT / match.group(1)) if match else None
    return Rehearsed(result.returncode, result.stdout, folder.resolve() if folder else None)
