"""Section 1: the link between two "nodes" and what collectives get out of it.

Two containers of the PyTorch image on one user-defined bridge network, each pinned to its own core:
iperf3 gives the link's TCP rate; the all-reduce sweep (bench/inside/allreduce.py) gives bus
bandwidth per message size, over gloo (torch.distributed, tcp:// init) between the two containers,
and over MPI (mpi4py) with mpirun reaching the second container over SSH, exactly as the repository's
compose.mpi.yaml cluster does (bench/compose.mpi.yaml adds the mount and the pinning).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from bench.commands import BenchError, json_line, run
from bench.containers import BENCH_MOUNT, ContainerSpec, network, started, wait_all
from bench.figures import all_reduce_bandwidth, link_ratio
from bench.pinning import Pinning
from bench.plan import Plan, all_reduce_iterations
from bench.progress import Progress

GLOO_PORT = 29500
SWEEP_TIMEOUT_S = 600
COMPOSE_TIMEOUT_S = 120


def measure_link(plan: Plan, spec: ContainerSpec, pinning: Pinning, prefix: str, repo: Path,
                 progress: Progress) -> dict:
    section: dict = {"how": {
        "nodes": "2 containers of the PyTorch image on one user-defined bridge network",
        "pinning": pinning.as_dict(),
        "iperf3": f"iperf3 -s on node-0, iperf3 -c node-0 -t {plan.iperf_seconds} -J on node-1; received rate",
        # An all-reduce sends and receives at once on every node (a ring: to one neighbour, from the
        # other); with one core per node both directions share it, so this is the rate it can expect.
        "iperf3_bidir": "the same with --bidir: both directions at once; the mean received rate of the two",
        "all_reduce": "float32 sum; time = mean of timed iterations after warm-up, slowest rank; "
                      "algbw = bytes/time, busbw = algbw * 2(n-1)/n (nccl-tests)",
    }}
    sweep = ",".join(f"{size}:{warmup}:{timed}" for size in plan.sizes for warmup, timed in [all_reduce_iterations(size)])
    with network(f"{prefix}net") as net, \
            started(spec, f"{prefix}node-0", pinning.node_0, net, hostname="node-0") as node_0, \
            started(spec, f"{prefix}node-1", pinning.node_1, net, hostname="node-1") as node_1:
        progress.say(f"link: iperf3 node-1 -> node-0 for {plan.iperf_seconds}s")
        section["iperf3"] = _guarded(lambda: _iperf3(node_0, node_1, plan.iperf_seconds))
        progress.say(f"link: iperf3 both ways at once for {plan.iperf_seconds}s")
        section["iperf3_bidir"] = _guarded(lambda: _iperf3(node_0, node_1, plan.iperf_seconds, bidir=True))
        progress.say(f"link: all-reduce over gloo, {len(plan.sizes)} sizes")
        section["gloo"] = _guarded(lambda: _sweep_gloo(node_0, node_1, sweep))
    progress.say("link: all-reduce over MPI (compose.mpi.yaml, mpirun over SSH)")
    section["mpi"] = _guarded(lambda: _sweep_mpi(spec, pinning, prefix, repo, sweep))

    for reference in ("iperf3", "iperf3_bidir"):
        rate = (section[reference] or {}).get("bits_per_second") or 0
        section[f"busbw_over_{reference}_64mib_up"] = {
            backend: link_ratio({row["bytes"]: row["busbw_bytes_per_s"] for row in section[backend]["sizes"]}, rate)
            for backend in ("gloo", "mpi") if "sizes" in section[backend]}
    section["status"] = "ok" if all("error" not in section[k] for k in ("iperf3", "iperf3_bidir", "gloo", "mpi")) \
        else "partly failed"
    return section


def _guarded(measure) -> dict:
    try:
        return measure()
    except BenchError as exc:
        return {"error": str(exc)}


def _iperf3(node_0, node_1, seconds: int, bidir: bool = False) -> dict:
    node_0.exec_detached(["iperf3", "-s", "-1"])    # -1: serve one client, then exit
    for _ in range(20):   # the server needs a moment to listen
        result = node_1.exec(["iperf3", "-c", "node-0", "-t", str(seconds), "-J", *(["--bidir"] if bidir else [])],
                             timeout=seconds + 60, check=False)
        report = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
        if result.returncode == 0 and "end" in report:
            end = report["end"]
            received = end["sum_received"]
            if not bidir:
                return {"bits_per_second": received["bits_per_second"], "seconds": received["seconds"],
                        "sent_bits_per_second": end["sum_sent"]["bits_per_second"]}
            reverse = end["sum_received_bidir_reverse"]["bits_per_second"]
            return {"bits_per_second": (received["bits_per_second"] + reverse) / 2, "seconds": received["seconds"],
                    "node_1_to_node_0_bits_per_second": received["bits_per_second"],
                    "node_0_to_node_1_bits_per_second": reverse}
        time.sleep(0.5)
    raise BenchError(f"iperf3 did not connect: {result.stdout[-500:]} {result.stderr[-500:]}")


def bandwidth_rows(raw: dict) -> dict:
    """An all-reduce sweep's raw times (bench/inside/allreduce.py) with algbw and busbw per size."""
    world_size = raw["world_size"]
    rows = []
    for entry in raw["results"]:
        algbw, busbw = all_reduce_bandwidth(entry["bytes"], entry["seconds"], world_size)
        rows.append({**entry, "algbw_bytes_per_s": algbw, "busbw_bytes_per_s": busbw})
    return {"world_size": world_size, "hosts": raw["hosts"], "sizes": rows}


def _sweep_gloo(node_0, node_1, sweep: str) -> dict:
    def rank(node, number):
        return node.popen(["python", f"{BENCH_MOUNT}/inside/allreduce.py", "--backend", "gloo", "--plan", sweep,
                           "--rank", str(number), "--world-size", "2", "--master", f"node-0:{GLOO_PORT}"])
    outputs = wait_all([rank(node_0, 0), rank(node_1, 1)], timeout=SWEEP_TIMEOUT_S)
    return bandwidth_rows(json.loads(json_line(outputs[0])))


def _sweep_mpi(spec: ContainerSpec, pinning: Pinning, prefix: str, repo: Path, sweep: str) -> dict:
    image, _, tag = spec.image.rpartition(":")
    if image != "trainyard/pytorch":
        raise BenchError(f"compose.mpi.yaml runs trainyard/pytorch:TAG, not {spec.image}")
    outputs_dir = Path(tempfile.mkdtemp(prefix="bench-mpi-outputs-"))
    outputs_dir.chmod(0o777)    # the nodes run as uid 1000
    env = {**os.environ, "TAG": tag, "ARGS": "", "PROCS_PER_NODE": "1", "OUTPUTS_DIR": str(outputs_dir),
           "MPI_COMMAND": f"python {BENCH_MOUNT}/inside/allreduce.py --backend mpi --plan {sweep}",
           "BENCH_CPUSET_NODE_0": pinning.node_0, "BENCH_CPUSET_NODE_1": pinning.node_1,
           "BENCH_CPUS": str(spec.cpus or 0)}
    files = ["-f", str(repo / "compose.mpi.yaml"), "-f", str(repo / "bench" / "compose.mpi.yaml")]
    if spec.cpus:   # functional trials only: a CFS limit on both nodes
        files += ["-f", str(repo / "bench" / "compose.cpus.yaml")]
    compose = ["docker-compose", "--project-name", f"{prefix}mpi", "--project-directory", str(repo), *files]
    try:
        result = run([*compose, "up", "--abort-on-container-exit", "--exit-code-from", "node-0"],
                     timeout=SWEEP_TIMEOUT_S + COMPOSE_TIMEOUT_S, env=env)
        return bandwidth_rows(json.loads(json_line(result.stdout)))
    finally:
        run([*compose, "down", "--volumes", "--remove-orphans"], timeout=COMPOSE_TIMEOUT_S, env=env, check=False)
        shutil.rmtree(outputs_dir, ignore_errors=True)
