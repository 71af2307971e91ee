"""`python -m train.doctor`: what this image holds, whether it works, and (under a distributed launch)
how fast the ranks all-reduce.

Prints one line per check, `OK`, `WARN` or `FAIL`, then a summary. Exit status 1 when something the
image promises is missing or broken (a FAIL), 2 for a malformed launch environment, else 0. What the
image promises comes from /etc/trainyard/versions.txt, whose `cuda ops:` line says whether its GPU
code was compiled in (and for which GPUs):
- every image: torch, Open MPI's mpirun, mpi4py, Horovod built with PyTorch + MPI + Gloo, DeepSpeed
  importable, sshd (for MPI jobs across nodes);
- a GPU-ready image (the default build) also: torch's CUDA build and NCCL, Horovod's NCCL
  operations, DeepSpeed's prebuilt fused_adam and cpu_adam ops.
GPUs, /dev/shm size and InfiniBand devices depend on the machine, not the image: reported (WARN at
worst), never failed: the GPU-ready image on a machine without GPUs says WARN and exits 0.

Under a distributed launch (any source train.launch_env recognises with world size > 1) every rank
also runs a short all-reduce (train.pytorch.doctor) and rank 0 prints its bus bandwidth, so a slow
node shows before training. Reads the launch variables through train.launch_env. The checks of
torch, Horovod and DeepSpeed are in train.pytorch.doctor; those of the machine are here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from train.common.reporting.health_check import Check, run_briefly
from train.pytorch.doctor import all_reduce_test, check_deepspeed, check_horovod, check_torch

VERSIONS_FILE = Path("/etc/trainyard/versions.txt")
SHM_WARN_BYTES = 1 << 30         # below 1 GiB, DataLoader workers and NCCL run out of /dev/shm
PROG = "python -m train.doctor"


def gpu_build(path: Path = VERSIONS_FILE) -> str | None:
    """The image's `cuda ops:` line (archs and toolchain) when its GPU code was compiled in, else None."""
    try:
        for line in path.read_text().splitlines():
            if line.startswith("cuda ops:"):
                detail = line.split(":", 1)[1].strip()
                return None if detail == "none" else detail
    except OSError:
        pass
    return None


def check_mpi() -> list[Check]:
    checks = []
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        checks.append(Check("mpi", "FAIL", "mpirun not found on PATH"))
    else:
        first = run_briefly([mpirun, "--version"]).splitlines()[:1]
        checks.append(Check("mpi", "OK", f"{mpirun}: {first[0] if first else '?'}"))
    try:
        import mpi4py

        mpi4py.rc.initialize = False   # report only: MPI_Init would start a singleton job
        from mpi4py import MPI

        library = MPI.Get_library_version().replace("\x00", "").splitlines()[0].strip()
        checks.append(Check("mpi4py", "OK", f"{mpi4py.__version__} on {library}"))
    except Exception as exc:  # noqa: BLE001
        checks.append(Check("mpi4py", "FAIL", f"{type(exc).__name__}: {exc}"))
    sshd = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)
    checks.append(Check("sshd", "OK" if sshd else "FAIL",
                        sshd or "not found: MPI jobs across nodes need it (openssh-server)"))
    return checks


def check_shm(path: str = "/dev/shm") -> list[Check]:
    try:
        stat = os.statvfs(path)
    except OSError as exc:
        return [Check("shm", "WARN", f"{path}: {exc.strerror}")]
    size = stat.f_frsize * stat.f_blocks
    status = "OK" if size >= SHM_WARN_BYTES else "WARN"
    hint = "" if status == "OK" else " (small: docker run --shm-size=1g, compose shm_size)"
    return [Check("shm", status, f"{path} {size / 2**20:.0f} MiB{hint}")]


def check_infiniband(root: Path = Path("/sys/class/infiniband")) -> list[Check]:
    devices = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
    return [Check("infiniband", "OK", ", ".join(devices) if devices else "no devices (TCP only)")]


def _load_library(name: str) -> None:
    import ctypes

    ctypes.CDLL(name)   # OSError when the library is absent


def check_nccl_infiniband(env: Mapping[str, str] = os.environ, root: Path = Path("/sys/class/infiniband"),
                          load_library: Callable[[str], None] = _load_library) -> list[Check]:
    """Would NCCL use its InfiniBand transport here? Its own rules (NCCL user guide, Environment
    Variables): off with NCCL_IB_DISABLE=1 or NCCL_NET naming another network; otherwise used when
    an HCA (after NCCL_IB_HCA's filter) has an ACTIVE port and rdma-core can open it: libibverbs.so.1,
    which NCCL loads, and the HCA's provider (libmlx5.so.1 for Azure's ConnectX mlx5_* devices;
    without it libibverbs lists no devices). Otherwise TCP sockets. WARN only where IB hardware is
    present but NCCL would not use it: that costs multi-node speed, and the job still runs."""
    if env.get("NCCL_IB_DISABLE", "0").strip() not in ("", "0"):
        return [Check("nccl-ib", "WARN", "no: NCCL_IB_DISABLE is set")]
    if env.get("NCCL_NET", "").strip() and env["NCCL_NET"].strip().lower() != "ib":
        return [Check("nccl-ib", "WARN", f"no: NCCL_NET={env['NCCL_NET']}")]
    devices = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
    wanted = env.get("NCCL_IB_HCA", "").strip()
    if wanted:   # "mlx5_0,mlx5_1", "=mlx5_0" (exact), "^mlx5_2" (exclude); ":port" suffixes ignored here
        exclude, names = wanted.startswith("^"), wanted.lstrip("^")
        exact, names = names.startswith("="), names.lstrip("=")
        prefixes = [name.split(":")[0] for name in names.split(",") if name]

        def listed(device: str) -> bool:
            return any(device == p if exact else device.startswith(p) for p in prefixes)
        devices = [d for d in devices if listed(d) != exclude]
    if not devices:
        return [Check("nccl-ib", "OK", "no: no InfiniBand devices here (NCCL uses TCP sockets)")]
    active = [d for d in devices if any("ACTIVE" in _read(state) for state in (root / d / "ports").glob("*/state"))]
    if not active:
        return [Check("nccl-ib", "WARN", f"no: no ACTIVE port on {', '.join(devices)}")]
    needed = ["libibverbs.so.1", *sorted({f"lib{device.split('_')[0]}.so.1" for device in active})]
    missing = []
    for library in needed:
        try:
            load_library(library)
        except OSError:
            missing.append(library)
    if missing:
        return [Check("nccl-ib", "WARN", f"no: {', '.join(active)} present, but {', '.join(missing)} not in this "
                                         f"image (rdma-core: libibverbs1, ibverbs-providers); NCCL uses TCP sockets")]
    return [Check("nccl-ib", "OK", f"yes: {', '.join(active)}")]


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


# Each takes whether the image is GPU-ready (its promises depend on it).
CHECKS: tuple[Callable[[bool], list[Check]], ...] = (
    check_torch,
    lambda gpu_ready: check_mpi(),
    check_horovod,
    check_deepspeed,
    lambda gpu_ready: check_shm(),
    lambda gpu_ready: check_infiniband(),
    lambda gpu_ready: check_nccl_infiniband(),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=32, help="all-reduce size per rank")
    parser.add_argument("--iterations", type=int, default=5)
    args = parser.parse_args(argv)

    from train.launch import launch_env_for
    from train.launch_env import LaunchEnvError, detect

    try:
        # Under MPI, torch's rendezvous variables are derived here, once, as train.launch does.
        for name, value in launch_env_for(os.environ).items():
            os.environ.setdefault(name, value)
        launch = detect()
    except LaunchEnvError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2

    failed = False
    if launch.rank == 0:
        built = gpu_build()
        print(f"trainyard doctor: {'GPU-ready image, cuda ops: ' + built if built else 'CPU-only image'}; "
              f"host {socket.gethostname()}, launch {launch.source} ({launch.world_size} rank(s))", flush=True)
        for check in CHECKS:
            for result in check(built is not None):
                print(f"{result.status:4} {result.name:10} {result.detail}", flush=True)
                failed |= result.status == "FAIL"
    if launch.world_size > 1:
        lines = all_reduce_test(args.size_mib << 20, args.iterations)
        for line in lines:
            print(line, flush=True)
        failed |= any(line.startswith("FAIL") for line in lines)
    if launch.rank == 0:
        print("doctor: FAIL (see the FAIL lines above)" if failed else "doctor: OK", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
