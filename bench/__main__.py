"""`python -m bench` (make bench): measure the images as built, print a table, write the results.

    python -m bench [--tag latest] [--sections link,scaling,startup,gpu] [--models ...] [--ways ...]
                    [--max-size BYTES] [--iterations N] [--cpus 0.5] [--results-dir bench/results]

It says how long it will take before it starts, prints progress as it goes, records a section that
fails (with its error) and goes on, and stops starting runs past its budget (30 minutes). --cpus
limits every container, for functional trials on a busy machine: such results are marked as trials.
"""

from __future__ import annotations

import argparse
import datetime
import secrets
import signal
import sys
import traceback
from pathlib import Path

from bench.commands import BenchError
from bench.containers import ContainerSpec, remove_leftovers
from bench.gpu import estimate_seconds as gpu_estimate_seconds
from bench.gpu import gpus_on_host, measure_gpu
from bench.link import measure_link
from bench.machine import image_exists, image_facts, machine_facts
from bench.pinning import pin_two, usable_cores
from bench.plan import MODELS, WAYS, Plan
from bench.plots import make_plots
from bench.progress import Progress
from bench.results import format_table, results_path, write_results
from bench.scaling import measure_scaling
from bench.startup import measure_startup

REPO = Path(__file__).resolve().parent.parent
SECTIONS = ("gpu", "link", "scaling", "startup")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tag", default="latest", help="image tag (trainyard/pytorch:TAG)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--ways", default=",".join(WAYS))
    parser.add_argument("--ranks", default="1,2", help="rank counts of the scaling runs (E(2) needs both)")
    parser.add_argument("--max-size", type=int, default=None, help="largest all-reduce size in bytes (default 256 MiB)")
    parser.add_argument("--iterations", type=int, default=None, help="timed iterations per scaling run")
    parser.add_argument("--startup-repeats", type=int, default=None)
    parser.add_argument("--cpus", type=float, default=None,
                        help="CFS limit for every container: functional trials on a busy machine only")
    parser.add_argument("--name-prefix", default="bench-", help="prefix of every container, network and compose project")
    parser.add_argument("--results-dir", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--budget-minutes", type=float, default=30.0)
    parser.add_argument("--no-plots", action="store_true")
    return parser.parse_args(argv)


def plan_from(args: argparse.Namespace) -> Plan:
    plan = Plan()
    sizes = tuple(s for s in plan.sizes if args.max_size is None or s <= args.max_size)
    changes = {"sections": tuple(args.sections.split(",")), "sizes": sizes,
               "models": tuple(args.models.split(",")), "ways": tuple(args.ways.split(",")),
               "ranks": tuple(int(r) for r in args.ranks.split(","))}
    if args.iterations:
        changes["iterations"] = args.iterations
    if args.startup_repeats:
        changes["startup_repeats"] = args.startup_repeats
    unknown = [s for s in changes["sections"] if s not in SECTIONS] + \
              [m for m in changes["models"] if m not in MODELS] + [w for w in changes["ways"] if w not in WAYS]
    if unknown:
        raise SystemExit(f"error: unknown section, model or way: {', '.join(unknown)}")
    return Plan(**{**plan.__dict__, **changes})


def stop_on_sigterm(signum, frame) -> None:
    # SystemExit unwinds through the sections' `finally` blocks, which remove their containers.
    raise SystemExit(f"stopped by signal {signum}")


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    args = parse_args(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    prefix = f"{args.name_prefix}{started:%H%M%S}-{secrets.token_hex(2)}-"
    try:
        return run_bench(args, started, prefix)
    finally:
        # Each section removes what it made; this catches what a stop in the middle of that left.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for name in remove_leftovers(prefix):
            print(f"removed leftover {name}", file=sys.stderr)


def run_bench(args: argparse.Namespace, started: datetime.datetime, prefix: str) -> int:
    plan = plan_from(args)
    image = f"trainyard/pytorch:{args.tag}"
    if not image_exists(image):
        print(f"error: {image} does not exist; build it first: make build (or make build/pytorch) TAG={args.tag}",
              file=sys.stderr)
        return 2
    spec = ContainerSpec(image=image, bench_dir=REPO / "bench", cpus=args.cpus)
    pinning = pin_two(usable_cores())
    estimate = plan.estimate_seconds()
    gpus = gpus_on_host() if "gpu" in plan.sections else []
    if gpus:
        estimate["gpu"] = gpu_estimate_seconds(len(gpus))
    total = sum(estimate.values())
    counts = {"link": f"{len(plan.sizes)} all-reduce sizes x 2 backends", "scaling": f"{len(plan.scaling_runs())} scaling runs",
              "startup": f"{plan.startup_repeats} compose ups",
              "gpu": f"NCCL and ResNet-50 on {len(gpus)} GPU(s)" if gpus else "GPU check (nvidia-smi lists none)"}
    print(f"trainyard bench on {image}: {', '.join(counts[s] for s in SECTIONS if s in plan.sections)}; "
          f"estimated {total / 60:.0f} min ({', '.join(f'{k} {v / 60:.1f}' for k, v in estimate.items())}), "
          f"budget {args.budget_minutes:.0f} min", flush=True)
    if args.cpus:
        print(f"FUNCTIONAL TRIAL: every container gets --cpus {args.cpus}; the figures are not measurements")
    progress = Progress(total, args.budget_minutes * 60)

    results: dict = {
        "bench_format": 1, "started_utc": started.isoformat(timespec="seconds"), "cpus_limit": args.cpus,
        "machine": machine_facts(), "pinning": pinning.as_dict(), "plan": plan.as_dict(), "images": {}, "sections": {},
    }
    path = results_path(args.results_dir, started, results["machine"]["hostname"])
    for name in ("pytorch", "tensorflow"):
        try:
            results["images"][name] = image_facts(f"trainyard/{name}:{args.tag}", f"{prefix}versions-{name}", args.cpus)
        except BenchError as exc:
            results["images"][name] = {"error": str(exc)}

    measures = {
        "gpu": lambda: measure_gpu(plan, spec, prefix, progress),
        "link": lambda: measure_link(plan, spec, pinning, prefix, REPO, progress),
        "scaling": lambda: measure_scaling(plan, spec, pinning, prefix, progress,
                                           reserve_s=estimate.get("startup", 0) + estimate["plots"]),
        "startup": lambda: measure_startup(results["images"], spec, plan.startup_repeats, prefix, REPO, progress),
    }
    for name in SECTIONS:
        if name not in plan.sections:
            continue
        try:
            results["sections"][name] = measures[name]()
        except Exception as exc:   # a section that breaks is recorded; the others still run
            results["sections"][name] = {"status": "failed", "error": f"{exc}", "traceback": traceback.format_exc()}
        write_results(path, results)   # after every section: a killed run keeps what it measured

    results["finished_utc"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    results["duration_s"] = round(progress.elapsed(), 1)
    write_results(path, results)
    if not args.no_plots:
        progress.say("plots")
        try:
            results["plots"] = [p.name for p in make_plots(spec, path, f"{prefix}plots")]
        except BenchError as exc:
            results["plots"] = {"error": str(exc)}
        write_results(path, results)
    print()
    print(format_table(results))
    print(f"\nresults: {path}" + (f"; plots: {', '.join(results['plots'])}" if isinstance(results.get("plots"), list) else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
