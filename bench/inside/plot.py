"""The bench's plots, made inside trainyard/pytorch (matplotlib is there, not on the host):

    python plot.py RESULTS.json OUT_STEM   ->  OUT_STEM-link.png, OUT_STEM-scaling.png

link: all-reduce busbw against message size (log x), one line per backend, iperf3's rate as a
horizontal line. scaling: E(2) per model and way, with its ± (from the 1.96 std of both runs).
Prints the names of the files written.
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)


def plot_link(results: dict, path: str) -> bool:
    link = results["sections"].get("link") or {}
    backends = [b for b in ("gloo", "mpi") if "sizes" in (link.get(b) or {})]
    if not backends:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for backend in backends:
        rows = link[backend]["sizes"]
        ax.plot([r["bytes"] for r in rows], [r["busbw_bytes_per_s"] * 8 / 1e9 for r in rows], marker="o", label=backend)
    for reference, style, title in (("iperf3", "--", "iperf3"), ("iperf3_bidir", ":", "iperf3 --bidir, each way")):
        rate = (link.get(reference) or {}).get("bits_per_second")
        if rate:
            ax.axhline(rate / 1e9, color="grey", linestyle=style, label=f"{title} {rate / 1e9:.1f} Gbit/s")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("message size (bytes)")
    ax.set_ylabel("all-reduce busbw (Gbit/s)")
    ax.set_title(f"2 nodes, {results['machine']['hostname']}, {results['started_utc'][:10]}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def plot_scaling(results: dict, path: str) -> bool:
    """E(2) per model and way (models differ by 100x in img/s, so efficiencies compare better)."""
    found = (results["sections"].get("scaling") or {}).get("efficiency", [])
    if not found:
        return False
    labels = [f"{e['model']}\n{e['way']}" for e in found]
    fig, ax = plt.subplots(figsize=(max(7, 0.6 * len(found)), 4.5))
    ax.bar(range(len(found)), [e["e2"]["mean"] for e in found], yerr=[e["e2"]["plus_minus"] for e in found], capsize=3)
    ax.axhline(1.0, color="grey", linestyle="--", label="perfect scaling")
    ax.set_xticks(range(len(found)), labels, fontsize=7)
    ax.set_ylabel("E(2) = img/s(2 ranks) / (2 x img/s(1 rank))")
    ax.set_title(f"Scaling 1 -> 2 ranks, one core each, {results['machine']['hostname']}, {results['started_utc'][:10]}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def main() -> None:
    results_path, stem = sys.argv[1], sys.argv[2]
    with open(results_path) as f:
        results = json.load(f)
    for name, plot in (("link", plot_link), ("scaling", plot_scaling)):
        if plot(results, f"{stem}-{name}.png"):
            print(f"{stem}-{name}.png")


if __name__ == "__main__":
    main()
