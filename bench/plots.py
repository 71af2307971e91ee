"""Makes the PNG plots in a container of the PyTorch image (matplotlib lives there; the host gets
no new dependency), with bench/ and the results folder mounted; files are owned by the host user."""

from __future__ import annotations

import os
from pathlib import Path

from bench.commands import run
from bench.containers import BENCH_MOUNT, LABEL, ContainerSpec

PLOT_TIMEOUT_S = 180


def make_plots(spec: ContainerSpec, results_file: Path, name: str) -> list[Path]:
    out = results_file.parent.resolve()
    command = ["docker", "run", "--rm", "--name", name, "--label", LABEL, "--network", "none",
               "--user", f"{os.getuid()}:{os.getgid()}", "-e", "MPLCONFIGDIR=/tmp/matplotlib",
               "-v", f"{spec.bench_dir}:{BENCH_MOUNT}:ro", "-v", f"{out}:/out"]
    if spec.cpus is not None:
        command += ["--cpus", str(spec.cpus)]
    command += [spec.image, "python", f"{BENCH_MOUNT}/inside/plot.py", f"/out/{results_file.name}",
                f"/out/{results_file.stem}"]
    result = run(command, timeout=PLOT_TIMEOUT_S)
    return [out / Path(line.strip()).name for line in result.stdout.splitlines() if line.strip().endswith(".png")]
