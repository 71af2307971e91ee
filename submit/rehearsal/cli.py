"""`python -m submit rehearse JOB.yml` (`make rehearse JOB=...`): run a user's Azure ML job on the fake cluster.

    python -m submit rehearse job.yml [--inputs 'name=path ...'] [--cpu-fallback] [--gpus] [--vm-size SIZE]

It reads the job with azure-ai-ml (a file Azure would reject stops here, with Azure's reason), prints
the pre-flight report, and, if nothing in it would fail, runs the job's command on one container a node
with exactly what Azure gives each process. Exit status: the job's (0 only when every process ended 0);
2 for a job that cannot start.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Optional

from submit.errors import SubmitError

USAGE_ERROR = 2


def parse_arguments(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m submit rehearse", description=__doc__.split("\n\n")[0])
    parser.add_argument("job", help="the Azure ML CLI v2 job file (job.yml)")
    parser.add_argument("--inputs", default=os.environ.get("INPUTS", ""), metavar="'NAME=PATH ...'",
                        help="local stand-ins for inputs Azure resolves in the cloud (make's INPUTS=)")
    parser.add_argument("--cpu-fallback", action="store_true", default=os.environ.get("CPU_FALLBACK") == "1",
                        help="run torch's nccl as gloo and CUDA devices as the CPU (a host without a GPU)")
    parser.add_argument("--gpus", action="store_true", help="every node shares this host's GPU(s)")
    parser.add_argument("--vm-size", default=None, help="the cluster's VM size, for the GPU check (make's VM_SIZE=)")
    parser.add_argument("--tag", default=os.environ.get("TAG", "latest"), help="trainyard image tag")
    parser.add_argument("--outputs-dir", default=os.environ.get("OUTPUTS_DIR", "outputs"),
                        help="the rehearsal's folder goes under OUTPUTS_DIR/rehearse/<job name>/")
    parser.add_argument("--node-cpus", default=None, help="each node's share of the cores (default: cores / nodes)")
    parser.add_argument("--timeout", type=int, default=None, metavar="SECONDS",
                        help="stop the rehearsal after this long (default: the job's limits.timeout, else 3600)")
    parser.add_argument("--check", action="store_true", help="the pre-flight report only: start nothing")
    return parser.parse_args(argv)


def run(argv: Optional[Sequence[str]] = None) -> int:
    arguments = parse_arguments(argv)
    say = lambda line: print(line, file=sys.stderr, flush=True)   # noqa: E731
    try:
        from submit.rehearsal.inputs import parse_stand_ins
        from submit.rehearsal.preflight import count_host_gpus, host_memory_bytes
        from submit.rehearsal.prepare import HostFacts, Options, prepare
        from submit.rehearsal.report import describe, summary
        from submit.user_job import load_user_job

        options = Options(stand_ins=parse_stand_ins(arguments.inputs), cpu_fallback=arguments.cpu_fallback,
                          gpus=arguments.gpus, vm_size=arguments.vm_size, tag=arguments.tag,
                          outputs_root=os.path.join(arguments.outputs_dir, "rehearse"),
                          timeout_seconds=arguments.timeout, node_cpus=arguments.node_cpus)
        user_job = load_user_job(arguments.job)
        host = HostFacts(memory_bytes=host_memory_bytes(), gpus=count_host_gpus(), cores=os.cpu_count() or 1)
        rehearsal = prepare(user_job, options, host)
        for line in describe(rehearsal):
            say(line)
        if rehearsal.errors:
            say(f"rehearse: not started: {len(rehearsal.errors)} problem(s) above would fail on the cluster or here; "
                f"nothing was written")
            return USAGE_ERROR
        if arguments.check:
            say("rehearse: --check: the pre-flight report only; nothing was started")
            return 0
        from submit.rehearsal.run import collect_node_folders, compose_command, run_cluster, write_files

        compose = compose_command()
        compose_path = write_files(rehearsal)
        outcome = run_cluster(rehearsal, compose, compose_path, say=say, console=print)
        collisions = collect_node_folders(rehearsal)
        for line in summary(rehearsal, outcome, collisions):
            say(line)
        return outcome.exit_code
    except SubmitError as error:
        say(f"rehearse: {error}")
        return USAGE_ERROR
