"""Section 3: what a user waits for. Image sizes, and a warm `docker-compose up` of compose.yaml
(NODES=2, images built, containers not yet created) to the first training step: the time from
starting `up` to node 0's first progress line ("epoch e/E step s/S ...", train/pytorch/trainer.py),
with --print-freq 1 so that line is step 1's. The cluster is brought `down` right after.

A cold `make up` (an empty build cache: base images pulled, everything built) is only measured when
the images do not exist yet, and the bench needs them: so it says "not measured (images already built)".
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench.commands import BenchError, run
from bench.containers import ContainerSpec
from bench.progress import Progress

FIRST_STEP = re.compile(r"epoch \d+/\d+ step \d+/\d+")
UP_TIMEOUT_S = 300
DOWN_TIMEOUT_S = 120


def measure_startup(images: dict, spec: ContainerSpec, repeats: int, prefix: str, repo: Path,
                    progress: Progress) -> dict:
    section: dict = {
        "how": {"warm_compose_up": "docker-compose -f compose.yaml up, NODES=2, ARGS='--print-freq 1': seconds from "
                                   "`up` to node-0's first progress line (step 1); then `down`"},
        "image_sizes_bytes": {name: facts.get("size_bytes") for name, facts in images.items()},
        "cold_make_up": "not measured (images already built)",
        "warm_compose_up": [],
    }
    for attempt in range(1, repeats + 1):
        progress.say(f"startup: warm compose up {attempt}/{repeats}")
        try:
            section["warm_compose_up"].append(_warm_up(spec, f"{prefix}up{attempt}", repo))
        except BenchError as exc:
            section["warm_compose_up"].append({"error": str(exc)})
    ok = [entry for entry in section["warm_compose_up"] if "seconds" in entry]
    section["status"] = "ok" if len(ok) == repeats else ("failed" if not ok else "partly failed")
    return section


def _warm_up(spec: ContainerSpec, project: str, repo: Path) -> dict:
    tag = spec.image.rpartition(":")[2]
    outputs_dir = Path(tempfile.mkdtemp(prefix="bench-up-outputs-"))
    outputs_dir.chmod(0o777)    # the nodes run as uid 1000
    env = {**os.environ, "TAG": tag, "NODES": "2", "OUTPUTS_DIR": str(outputs_dir), "ARGS": "--print-freq 1",
           "BENCH_CPUS": str(spec.cpus or 0)}
    files = ["-f", str(repo / "compose.yaml")]
    if spec.cpus:   # functional trials only: a CFS limit on both nodes
        files += ["-f", str(repo / "bench" / "compose.cpus.yaml")]
    compose = ["docker-compose", "--project-name", project, "--project-directory", str(repo), *files]
    start = time.monotonic()
    process = subprocess.Popen([*compose, "up", "--abort-on-container-exit", "--exit-code-from", "node-0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        line = _first_match(process, FIRST_STEP, deadline=start + UP_TIMEOUT_S)
        seconds = time.monotonic() - start
        return {"seconds": seconds, "line": line.strip()}
    finally:
        process.kill()
        process.communicate()
        run([*compose, "down", "--volumes", "--remove-orphans", "--timeout", "5"], timeout=DOWN_TIMEOUT_S,
            env=env, check=False)
        shutil.rmtree(outputs_dir, ignore_errors=True)


def _first_match(process: subprocess.Popen, pattern: re.Pattern, deadline: float) -> str:
    """The first output line matching `pattern`; BenchError if the process ends or the deadline passes first."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)
    threading.Thread(target=read, daemon=True).start()
    seen: list[str] = []
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        if line is None:
            raise BenchError(f"compose up ended before a training step: {''.join(seen[-30:])}")
        seen.append(line)
        if pattern.search(line):
            return line
    raise BenchError(f"no training step within {UP_TIMEOUT_S}s: {''.join(seen[-30:])}")
