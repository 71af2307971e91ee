"""What a rehearsal says: the pre-flight report before it starts, and the summary when it ends."""

from __future__ import annotations

import os
from collections.abc import Sequence

from submit.rehearsal.prepare import Rehearsal
from submit.rehearsal.run import Outcome

PREFIX = "rehearse:"


def _relative(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def describe(rehearsal: Rehearsal) -> list[str]:
    layout = rehearsal.layout
    shape = (f"{len(layout.nodes)} node(s) x {layout.processes_per_node} process(es)"
             if layout.distribution in ("pytorch", "mpi") else
             f"{len(layout.nodes)} node(s), tasks: " + ", ".join(p.task for n in layout.nodes for p in n.processes)
             if layout.distribution == "tensorflow" else f"{len(layout.nodes)} node(s), one process each")
    lines = [f"{PREFIX} job {rehearsal.name} from {rehearsal.job.path}: distribution {layout.distribution}, {shape}",
             f"{PREFIX} {rehearsal.image.note}"]
    if rehearsal.code_dir:
        lines.append(f"{PREFIX} code: {_relative(rehearsal.code_dir)} ({len(rehearsal.snapshot)} file(s)), copied for each "
                     f"node to {rehearsal.working_dir}")
    literals = [f"{i.name}={i.value}" for i in rehearsal.inputs if i.mount is None]
    if literals:
        lines.append(f"{PREFIX} inputs: {', '.join(literals)}")
    for resolved in rehearsal.inputs:
        if resolved.mount is not None:
            lines.append(f"{PREFIX} input {resolved.name}: {resolved.origin} -> {resolved.value} (read-only)")
    for name, mount in rehearsal.outputs.items():
        lines.append(f"{PREFIX} output {name}: {mount.container} -> {_relative(mount.host)}/")
    for finding in rehearsal.findings:
        lines.append(f"{PREFIX} {finding.severity}: {finding.message}")
    return lines


def summary(rehearsal: Rehearsal, outcome: Outcome, collisions: Sequence[str]) -> list[str]:
    folder = _relative(rehearsal.folder)
    first = f"{outcome.seconds_to_first_line:.1f} s" if outcome.seconds_to_first_line is not None else "none"
    lines = [f"{PREFIX} job {rehearsal.name} {outcome.status} (exit {outcome.exit_code}) after "
             f"{outcome.seconds_to_end:.1f} s; first line from a process after {first}"
             + (f"; {outcome.reason}" if outcome.reason else "")]
    for node in outcome.nodes:
        node_status = "still running when stopped" if node.exit_code is None else f"exit {node.exit_code}"
        processes = ", ".join(f"{label} {'no status' if code is None else f'exit {code}'}"
                              for label, code in node.processes.items())
        lines.append(f"{PREFIX}   {node.hostname}: {node_status}" + (f" ({processes})" if processes else ""))
    lines.append(f"{PREFIX} logs: {folder}/user_logs/ (one file a process, as Azure names them)")
    collected = [f"{folder}/{kept}/" for kept in ("outputs", "logs") if os.path.isdir(os.path.join(rehearsal.folder, kept))]
    declared = [f"{name}: {_relative(m.host)}/" for name, m in rehearsal.outputs.items()]
    lines.append(f"{PREFIX} outputs: " + ", ".join(
        ([f"{' and '.join(collected)} (every node's ./outputs and ./logs)"] if collected else
         ["no node wrote ./outputs or ./logs"]) + declared))
    lines.append(f"{PREFIX} MLflow: {folder}/mlruns (mlflow ui --backend-store-uri {folder}/mlruns); "
                 f"what ran: {folder}/rehearsal/")
    for collision in collisions:
        lines.append(f"{PREFIX} warning: two nodes wrote {collision}: Azure keeps one of them")
    return lines
