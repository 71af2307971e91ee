"""What would fail on the cluster and can be seen before anything starts: the pre-flight report.

Each finding is an error (the rehearsal does not start; on the cluster the job would fail) or a warning
(printed; the job may still work). The checks read only the job, the snapshot's file list, the code and
this host: no container runs and no network is reached.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from typing import Optional

from submit.rehearsal.layout import Layout
from submit.vm_sizes import DEFAULT_VM_SIZE, find_size, refusal

SCRIPT_SUFFIXES = (".py", ".sh")
CONFIG_SUFFIXES = (".json", ".yaml", ".yml", ".toml", ".cfg", ".ini")
_INTERPRETERS = {"python", "python3", "bash", "sh", "torchrun", "deepspeed", "accelerate", "horovodrun", "mpirun"}
# What a CUDA-only script says in its source: NCCL as the backend, a CUDA device, moving to the GPU.
GPU_PATTERNS = (
    ("NCCL", re.compile(r"""["']nccl["']""")),
    ("CUDA", re.compile(r"""torch\.device\(\s*["']cuda|["']cuda:\d|\.cuda\(\)|torch\.cuda\.set_device""")),
    # DeepSpeed on a host without a GPU takes its CPU accelerator, whose all-reduce op needs a compiler.
    ("DeepSpeed", re.compile(r"^\s*(?:import|from)\s+deepspeed\b", re.M)),
)
# Measured (docker stats, sampled every 1-2 s, on the example jobs, 2026-12-07): a node of the DDP
# example's 2 ranks peaked at 1.28 GiB (0.64 a rank, rank 0's MLflow log_model included); a TensorFlow
# MultiWorkerMirrored worker at 0.38 GiB. One GiB a process, with what the host keeps for itself, is
# what a node of a rehearsal is planned with: room for a user's model larger than the examples'.
MEMORY_PER_PROCESS_BYTES = 1 << 30
MEMORY_KEPT_FOR_THE_HOST_BYTES = 2 << 30
NVIDIA_SMI_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class Finding:
    severity: str        # "error" or "warning"
    message: str


def command_files(command: str, snapshot: set[str], code_given: bool) -> list[Finding]:
    """Files the command names that the snapshot does not hold (paths relative to the working directory)."""
    findings = []
    try:
        words = shlex.split(command, comments=True)
    except ValueError as error:
        return [Finding("error", f"the command is not valid shell ({error}): Azure runs it with bash")]
    for previous, word in zip(["", *words], words, strict=False):
        value = word.split("=", 1)[1] if word.startswith("-") and "=" in word else word
        if not value or value.startswith(("-", "/", "$", "~")) or "://" in value or value.startswith("azureml:"):
            continue
        relative = os.path.normpath(value).replace(os.sep, "/")
        if relative in snapshot or any(path.startswith(relative + "/") for path in snapshot):
            continue
        where = "the job has no code: folder" if not code_given else "it is not in the job's code: folder"
        if value.endswith(SCRIPT_SUFFIXES) and (os.path.basename(previous) in _INTERPRETERS or previous == ""):
            findings.append(Finding("error", f"the command runs {value}, but {where} (or its .amlignore/.gitignore "
                                             f"leaves it out): the job would fail on every node"))
        elif value.endswith(SCRIPT_SUFFIXES + CONFIG_SUFFIXES):
            findings.append(Finding("warning", f"the command names {value}, which {where.replace('it is', 'is')}; "
                                               f"fine if the job writes it, else it fails on the cluster"))
    return findings


def gpu_fit(layout: Layout, vm_size: Optional[str]) -> list[Finding]:
    """More processes on a node than the VM size has GPUs: each process takes a GPU by its local rank."""
    if layout.distribution not in ("pytorch", "mpi"):
        return []
    size_name = vm_size or DEFAULT_VM_SIZE
    why_not = refusal(size_name)
    if why_not:
        return [Finding("error", f"VM_SIZE {why_not}")]
    gpus = find_size(size_name).gpus
    per_node = layout.processes_per_node
    if per_node <= gpus:
        return []
    message = (f"process_count_per_instance {per_node} is more than the {gpus} GPU(s) of {size_name}: a process "
               f"whose local rank has no GPU fails on the cluster")
    if vm_size:
        return [Finding("error", f"{message}: set VM_SIZE to a size with {per_node} GPUs or more, or lower "
                                 f"process_count_per_instance")]
    return [Finding("warning", f"{message} (VM_SIZE not given; {DEFAULT_VM_SIZE} is the default): set VM_SIZE to "
                               f"your cluster's size")]


def host_capacity(layout: Layout, memory_bytes: int) -> list[Finding]:
    usable = max(memory_bytes - MEMORY_KEPT_FOR_THE_HOST_BYTES, 0)
    can_hold = usable // MEMORY_PER_PROCESS_BYTES
    if layout.world_size <= can_hold:
        return []
    per_node = max(layout.processes_per_node, 1)
    return [Finding("error", f"{len(layout.nodes)} node(s) x {per_node} process(es) is more than this host can hold: "
                             f"about {can_hold} process(es), {can_hold // per_node} node(s) of {per_node} "
                             f"({memory_bytes / 2**30:.0f} GiB of memory, about 1 GiB a process): rehearse with a "
                             f"smaller resources.instance_count (the same file, edited copy) or on a larger host")]


_GUARD = re.compile(r"cuda\.is_available\(\)")


def gpu_requests(code_dir: Optional[str], files: list[str], command: str) -> list[str]:
    """What the code asks for that only a GPU host has, as 'NCCL (train.py line 80)'; a request the code guards
    with torch.cuda.is_available() (in the same file for CUDA, on the same line for NCCL) ends in 'if available'."""
    asked = []
    sources = [("the command", command)]
    for relative in files:
        if relative.endswith(".py"):
            try:
                with open(os.path.join(code_dir, relative), encoding="utf-8", errors="replace") as source:
                    sources.append((relative, source.read()))
            except OSError:
                continue
    for what, pattern in GPU_PATTERNS:
        found = []
        for name, text in sources:
            for match in pattern.finditer(text):
                line_start = text.rfind("\n", 0, match.start()) + 1
                line_end = text.find("\n", match.end())
                scope = text if what == "CUDA" else text[line_start:line_end if line_end != -1 else None]
                line = text.count("\n", 0, match.start()) + 1
                where = f"{name} line {line}" if name != "the command" else name
                found.append((bool(_GUARD.search(scope)), f"{what} ({where})"))
        unguarded = [text for guarded, text in found if not guarded]
        if unguarded:
            asked.append(unguarded[0])
        elif found:
            asked.append(f"{found[0][1]} if available")
    return asked


def gpu_host(asked: list[str], host_gpus: int, cpu_fallback: bool, gpus_wanted: bool) -> list[Finding]:
    if gpus_wanted and host_gpus == 0:
        return [Finding("error", "GPUS=1 shares this host's GPU with every node, but this host has no GPU "
                                 "(nvidia-smi lists none): leave GPUS unset, and CPU_FALLBACK=1 if the job asks for CUDA")]
    if not asked or gpus_wanted or host_gpus:
        return []
    if cpu_fallback:
        return [Finding("warning", f"CPU_FALLBACK=1: the job asks for {', '.join(asked)} and this host has no GPU; "
                                   f"torch's nccl backend runs as gloo and CUDA devices as the CPU, nothing else changes. "
                                   f"On the cluster it runs on GPUs")]
    if all(request.endswith(" if available") for request in asked):
        return [Finding("warning", f"the job uses {', '.join(asked)}; this host has no GPU, so it takes its CPU path "
                                   f"here (on the cluster, its GPUs)")]
    return [Finding("error", f"the job asks for {', '.join(r for r in asked if not r.endswith(' if available'))}, "
                             f"and this host has no GPU: it would fail here. CPU_FALLBACK=1 rehearses it anyway "
                             f"(nccl as gloo, CUDA as CPU); GPUS=1 on a host with a GPU runs it as it is")]


def snapshot_limit(size_bytes: int) -> list[Finding]:
    if size_bytes <= 300 * 1024 * 1024:
        return []
    return [Finding("warning", f"the code: folder holds {size_bytes / 2**20:.0f} MB; Azure refuses snapshots over "
                               f"300 MB by default: leave data out with an .amlignore and pass it as an input")]


def count_host_gpus() -> int:
    if shutil.which("nvidia-smi") is None:
        return 0
    try:
        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=NVIDIA_SMI_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(1 for line in listed.stdout.splitlines() if line.startswith("GPU ")) if listed.returncode == 0 else 0


def host_memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
