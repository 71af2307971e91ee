"""Where the results go and how they read: `bench/results/<UTC date>-<hostname>.json`, and the table
printed at the end (the same figures, rounded)."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path


def results_path(folder: Path, started: datetime.datetime, hostname: str) -> Path:
    """One file per machine and UTC day; a later run on the same day replaces it."""
    safe_host = re.sub(r"[^A-Za-z0-9._-]", "_", hostname) or "unknown-host"
    return folder / f"{started.astimezone(datetime.timezone.utc):%Y-%m-%d}-{safe_host}.json"


def write_results(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(results, indent=2) + "\n")
    temporary.replace(path)


def format_table(results: dict) -> str:
    machine = results["machine"]
    lines = [f"trainyard bench, {results['started_utc']}, {machine['hostname']}: {machine['cores']} cores "
             f"({machine['cpu_model']}), {_gib(machine['memory_bytes'])} GiB, docker {machine['docker_server']}"]
    if results.get("cpus_limit"):
        lines.append(f"FUNCTIONAL TRIAL: every container limited to --cpus {results['cpus_limit']}; not figures")
    sections = results["sections"]
    lines += _link_lines(sections.get("link"))
    lines += _scaling_lines(sections.get("scaling"))
    lines += _startup_lines(sections.get("startup"), results.get("images", {}))
    lines += _gpu_lines(sections.get("gpu"))
    return "\n".join(lines)


def _gib(value: int | None) -> str:
    return f"{value / 2**30:.1f}" if value else "?"


def _section_head(section: dict | None, title: str) -> tuple[list[str], bool]:
    """A section's first lines, and whether it has more to show (it ran and did not fail)."""
    if not section:
        return [], False
    lines = ["", f"{title} ({section.get('status')})"]
    if "error" in section:
        return lines + [f"  failed: {section['error'][:300]}"], False
    return lines, True


def _link_lines(link: dict | None) -> list[str]:
    lines, more = _section_head(link, "Link between 2 nodes")
    if not more:
        return lines
    for reference, title in (("iperf3", "iperf3"), ("iperf3_bidir", "iperf3 --bidir, each way")):
        iperf = link.get(reference) or {}
        lines.append(f"  {title}: {iperf['bits_per_second'] / 1e9:.2f} Gbit/s" if "bits_per_second" in iperf
                     else f"  {title}: failed: {iperf.get('error', '?')[:300]}")
    lines.append(f"  {'size':>9} " + " ".join(f"{b + ' busbw Gbit/s':>18}" for b in ("gloo", "mpi")))
    by_backend = {b: {r["bytes"]: r for r in (link.get(b) or {}).get("sizes", [])} for b in ("gloo", "mpi")}
    sizes = sorted(set(by_backend["gloo"]) | set(by_backend["mpi"]))
    for size in sizes:
        cells = [f"{by_backend[b][size]['busbw_bytes_per_s'] * 8 / 1e9:18.3f}" if size in by_backend[b] else f"{'-':>18}"
                 for b in ("gloo", "mpi")]
        lines.append(f"  {_size(size):>9} " + " ".join(cells))
    for backend in ("gloo", "mpi"):
        if "error" in (link.get(backend) or {}):
            lines.append(f"  {backend}: failed: {link[backend]['error'][:300]}")
    for reference in ("iperf3", "iperf3_bidir"):
        for backend, ratio in (link.get(f"busbw_over_{reference}_64mib_up") or {}).items():
            lines.append(f"  busbw(>= 64 MiB) / {reference}, {backend}: " + (f"{ratio:.2f}" if ratio is not None else "-"))
    return lines


def _size(size: int) -> str:
    return f"{size // 2**20} MiB" if size >= 2**20 else f"{size // 2**10} KiB"


def _scaling_lines(scaling: dict | None) -> list[str]:
    lines, more = _section_head(scaling, "Scaling, img/s (mean ± 1.96 std), one core per rank")
    if not more:
        return lines
    lines.append(f"  {'model':<10} {'way':<8} {'1 rank':>16} {'2 ranks':>16} {'E(2)':>14}")
    runs = {(r["model"], r["way"], r["ranks"]): r for r in scaling.get("runs", [])}
    efficiency = {(e["model"], e["way"]): e["e2"] for e in scaling.get("efficiency", [])}
    for model, way in dict.fromkeys((m, w) for m, w, _ in runs):
        cells = []
        for ranks in (1, 2):
            run = runs.get((model, way, ranks), {})
            cells.append(f"{_spread(run['img_per_sec'], 1):>16}" if "img_per_sec" in run
                         else f"{'failed' if 'error' in run else '-':>16}")
        e2 = efficiency.get((model, way))
        cells.append(f"{_spread(e2, 2):>14}" if e2 else f"{'-':>14}")
        lines.append(f"  {model:<10} {way:<8} " + " ".join(cells))
    lines += _profile_lines(scaling.get("runs", []))
    errors = [r for r in scaling.get("runs", []) if "error" in r]
    for run in errors:
        lines.append(f"  {run['model']} {run['way']} {run['ranks']}: {run['error'].splitlines()[0][:200]}")
    return lines


def _profile_lines(runs: list[dict], top: int = 6) -> list[str]:
    """Per profiled model: a batch's wall time with 1 and 2 ranks, and the events that take the most
    self CPU time with 2 ranks, next to the same events with 1 rank (ms per batch)."""
    profiled: dict = {}
    for run in runs:
        if run.get("profile"):
            profiled.setdefault((run["model"], run["way"]), {})[run["ranks"]] = run["profile"]
    lines = []
    for (model, way), by_ranks in profiled.items():
        one, two = by_ranks.get(1), by_ranks.get(2)
        if not (one and two):
            continue
        lines.append(f"  where a {model} {way} batch goes, ms: wall {one['wall_ms_per_batch']:.1f} with 1 rank, "
                     f"{two['wall_ms_per_batch']:.1f} with 2; self CPU time of the top events (1 rank -> 2 ranks):")
        alone = {e["name"]: e["self_cpu_ms_per_batch"] for e in one["top"]}
        for event in two["top"][:top]:
            before = alone.get(event["name"])
            lines.append(f"    {event['name'][:48]:<48} " + (f"{before:8.2f}" if before is not None else f"{'-':>8}")
                         + f" -> {event['self_cpu_ms_per_batch']:8.2f}")
    return lines


def _spread(spread: dict, digits: int) -> str:
    return f"{spread['mean']:.{digits}f} ± {spread['plus_minus']:.{digits}f}"


def _startup_lines(startup: dict | None, images: dict) -> list[str]:
    lines = ["", "Images and start-up"]
    for name, facts in images.items():
        lines.append(f"  {name}: {_gib(facts.get('size_bytes'))} GiB ({facts.get('id', facts.get('error', '?'))[:19]})"
                     if "size_bytes" in facts else f"  {name}: {facts.get('error', '?')}")
    if not startup:
        return lines
    if "error" in startup:
        return lines + [f"  start-up failed: {startup['error'][:300]}"]
    for number, up in enumerate(startup.get("warm_compose_up", []), 1):
        lines.append(f"  warm compose up to step 1, run {number}: {up['seconds']:.1f} s" if "seconds" in up
                     else f"  warm compose up, run {number}: failed: {up['error'][:300]}")
    lines.append(f"  cold make up: {startup.get('cold_make_up')}")
    return lines


def _gpu_lines(gpu: dict | None) -> list[str]:
    """NCCL sweep in GB/s (nccl-tests' unit, unlike the link's Gbit/s) and ResNet-50 img/s."""
    gpu = gpu or {}
    lines = ["", f"GPU: {gpu.get('status', 'not run')}"]
    if "error" in gpu:
        return lines + [f"  failed: {gpu['error'][:300]}"]
    if "gpus" not in gpu:
        return lines
    lines += [f"  {name}" for name in gpu["gpus"]]
    nccl = gpu.get("nccl") or {}
    if "error" in nccl:
        lines.append(f"  NCCL all-reduce: failed: {nccl['error'][:300]}")
    elif nccl.get("sizes"):
        lines.append(f"  NCCL all-reduce over {nccl['world_size']} GPU(s): {'size':>9} {'algbw GB/s':>12} {'busbw GB/s':>12}")
        for row in nccl["sizes"]:
            lines.append(f"  {'':<31}{_size(row['bytes']):>9} {row['algbw_bytes_per_s'] / 1e9:12.2f} "
                         f"{row['busbw_bytes_per_s'] / 1e9:12.2f}" + ("" if row.get("ok", True) else "  WRONG SUM"))
    efficiency = {(e["precision"], e["gpus"]): e["efficiency"] for e in gpu.get("efficiency", [])}
    for run in gpu.get("resnet50", []):
        where = f"  ResNet-50 DDP {run['precision']}, {run['gpus']} GPU(s):"
        if "error" in run:
            lines.append(f"{where} failed: {run['error'].splitlines()[0][:200]}")
            continue
        e = efficiency.get((run["precision"], run["gpus"]))
        lines.append(f"{where} {_spread(run['img_per_sec'], 1)} img/s"
                     + (f", E({run['gpus']}) {_spread(e, 2)}" if e else ""))
    return lines
