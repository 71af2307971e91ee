"""What the figures were measured on: the host, Docker, and the images (IDs, digests, sizes, and
/etc/trainyard/versions.txt from inside each image)."""

from __future__ import annotations

import json
import platform
import shutil
import socket
from pathlib import Path

from bench.commands import BenchError, run
from bench.pinning import usable_cores

DOCKER_TIMEOUT = 60


def machine_facts() -> dict:
    return {
        "hostname": socket.gethostname(),
        "cores": len(usable_cores()),
        "core_ids": usable_cores(),
        "memory_bytes": _meminfo_total(),
        "cpu_model": _cpu_model(),
        "kernel": platform.release(),
        "docker_server": _quiet(["docker", "version", "--format", "{{.Server.Version}}"]),
        "compose": _quiet(["docker-compose", "version", "--short"]) if shutil.which("docker-compose") else None,
    }


def image_facts(image: str, container_name: str, cpus: float | None = None) -> dict:
    """ID, repo digests, size and versions.txt of `image`; raises BenchError if it does not exist."""
    result = run(["docker", "image", "inspect", image], timeout=DOCKER_TIMEOUT, check=False)
    if result.returncode != 0:
        raise BenchError(f"image {image} does not exist")
    inspected = json.loads(result.stdout)[0]
    limit = ["--cpus", str(cpus)] if cpus else []
    versions = run(["docker", "run", "--rm", "--name", container_name, *limit, "--network", "none",
                    "--entrypoint", "cat", image, "/etc/trainyard/versions.txt"], timeout=DOCKER_TIMEOUT, check=False)
    return {
        "image": image,
        "id": inspected["Id"],
        "repo_digests": inspected.get("RepoDigests", []),
        "created": inspected.get("Created"),
        "size_bytes": inspected["Size"],
        "versions": versions.stdout.splitlines() if versions.returncode == 0 else None,
    }


def image_exists(image: str) -> bool:
    return run(["docker", "image", "inspect", image], timeout=DOCKER_TIMEOUT, check=False).returncode == 0


def _meminfo_total() -> int | None:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return None


def _cpu_model() -> str | None:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or None


def _quiet(command: list[str]) -> str | None:
    try:
        result = run(command, timeout=DOCKER_TIMEOUT, check=False)
    except BenchError:
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None
