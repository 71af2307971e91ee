"""`python -m submit`: submit a trainyard training job to Azure ML, or dry-run it offline.

    python -m submit --framework pytorch --nodes 2 --procs 1 \
        --image myacr.azurecr.io/trainyard/pytorch:0.1 --dry-run --out build/azure
    python -m submit rehearse path/to/job.yml     # run your own job on the fake cluster (submit.rehearsal)

A dry run needs no credentials and no network. Any invalid request exits with status 2 and
one line saying what to change, before anything is sent to Azure.
"""

import argparse
import os
import shlex
import sys
from dataclasses import replace
from typing import Optional, Sequence

from submit.errors import JobDidNotSucceed, SubmitError
from submit.frameworks import AZURE_DISTRIBUTION_TYPES, FRAMEWORKS
from submit.request import SubmitRequest

USAGE_ERROR = 2


def parse_arguments(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    defaults = SubmitRequest(framework="pytorch")
    parser = argparse.ArgumentParser(prog="python -m submit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--job", metavar="JOB.yml",
                        help="submit your own Azure ML CLI v2 job file (make's JOB=) instead of trainyard's trainer; "
                             "it runs in the trainyard environment on --compute, as `make rehearse JOB=` runs it")
    parser.add_argument("--framework", choices=sorted(FRAMEWORKS), help="trainyard's trainer to submit (without --job)")
    parser.add_argument("--nodes", type=int, default=None, help=f"default {defaults.nodes}")
    parser.add_argument("--procs", type=int, default=None,
                        help="processes per node (default: one per GPU of --vm-size; 1 for tensorflow)")
    parser.add_argument("--distribution", choices=AZURE_DISTRIBUTION_TYPES,
                        help="Azure ML distribution type (default: the framework's usual one)")
    parser.add_argument("--parameter-servers", type=int, default=0, help="TensorFlow parameter servers")
    source = parser.add_argument_group("container (exactly one)")
    source.add_argument("--image", help="pushed image reference (see `make push`)")
    source.add_argument("--registry", help="instead of --image: the image `make push REGISTRY=` pushed, "
                                           "<registry>/trainyard/<the job's framework>:--tag")
    source.add_argument("--tag", default="latest", help="with --registry: the image's tag (make's TAG=)")
    source.add_argument("--build-context", help="directory Azure uploads and builds, e.g. .")
    source.add_argument("--dockerfile", help="Dockerfile inside the build context "
                                             "(default: docker/<family>/Dockerfile)")
    cluster = parser.add_argument_group("compute")
    cluster.add_argument("--compute", default=defaults.compute_name, help="AmlCompute cluster name")
    cluster.add_argument("--vm-size", default=defaults.vm_size)
    cluster.add_argument("--min-nodes", type=int, default=defaults.min_nodes)
    cluster.add_argument("--max-nodes", type=int, help="default: --nodes")
    cluster.add_argument("--low-priority", action="store_true", help="preemptible nodes; the job resumes")
    job = parser.add_argument_group("job")
    job.add_argument("--data", help="URI folder holding CIFAR-10, trained on with --dataset cifar10 "
                                    "(azureml://datastores/<store>/paths/<dir>)")
    job.add_argument("--train-args", default="", metavar="'FLAGS'",
                     help="extra training flags, one shell-quoted string (make's ARGS=), e.g. '--epochs 1'")
    job.add_argument("--timeout", type=int, default=defaults.timeout_minutes, metavar="MINUTES",
                     help="Azure cancels the job after this long (limits.timeout)")
    job.add_argument("--shm-size", default=defaults.shm_size)
    job.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                     help="extra environment variable for every process (repeatable)")
    job.add_argument("--experiment", default=defaults.experiment_name)
    parser.add_argument("--workspace-config", help="workspace config.json (else AZURE_SUBSCRIPTION_ID, "
                                                   "AZURE_RESOURCE_GROUP, AZUREML_WORKSPACE_NAME)")
    parser.add_argument("--dry-run", action="store_true",
                        help="write and validate the CLI v2 YAML; no credentials, no network")
    parser.add_argument("--out", default=os.path.join("build", "azure"), help="dry-run output directory")
    parser.add_argument("--no-stream", action="store_true", help="return after submitting")
    return parser.parse_args(argv)


# What a job file says for itself: with --job these flags would contradict it.
_JOB_FILE_FIELDS = {"framework": "--framework", "nodes": "--nodes (resources.instance_count)",
                    "procs": "--procs (distribution.process_count_per_instance)", "distribution": "--distribution",
                    "parameter_servers": "--parameter-servers", "data": "--data (inputs:)",
                    "train_args": "--train-args (command:)"}


def _check_job_or_framework(arguments: argparse.Namespace) -> None:
    if not arguments.job:
        if not arguments.framework:
            raise SubmitError("give --framework (trainyard's trainer: FRAMEWORK=) or --job (your job file: JOB=)")
        return
    given = [flag for field, flag in _JOB_FILE_FIELDS.items() if getattr(arguments, field) not in (None, "", 0)]
    if given:
        raise SubmitError(f"--job {arguments.job} says this itself: remove {', '.join(given)} (edit the job file instead)")


def request_from(arguments: argparse.Namespace) -> SubmitRequest:
    return SubmitRequest(
        framework=arguments.framework or "pytorch",
        nodes=arguments.nodes if arguments.nodes is not None else SubmitRequest.nodes,
        procs=arguments.procs,
        distribution=arguments.distribution,
        parameter_servers=arguments.parameter_servers,
        image=arguments.image,
        build_context=arguments.build_context,
        dockerfile=arguments.dockerfile,
        compute_name=arguments.compute,
        vm_size=arguments.vm_size,
        min_nodes=arguments.min_nodes,
        max_nodes=arguments.max_nodes,
        low_priority=arguments.low_priority,
        data=arguments.data,
        shm_size=arguments.shm_size,
        extra_environment=_parse_env(arguments.env),
        experiment_name=arguments.experiment,
        train_args=_split_train_args(arguments.train_args),
        timeout_minutes=arguments.timeout,
    )


def _with_registry_image(request: SubmitRequest, arguments: argparse.Namespace, family: str) -> SubmitRequest:
    """--registry R: the image is R/trainyard/<family>:TAG, the name `make push` gives it."""
    if not arguments.registry:
        return request
    if request.image or request.build_context:
        raise SubmitError("give one of --image, --registry and --build-context")
    return replace(request, image=f"{arguments.registry.rstrip('/')}/trainyard/{family}:{arguments.tag}")


def _dry_run_folder(job_path: str) -> str:
    """build/azure/job-<folder>[-<file>]: one folder a job file (examples' jobs are each <folder>/job.yml)."""
    folder = os.path.basename(os.path.dirname(os.path.abspath(job_path)))
    stem = os.path.splitext(os.path.basename(job_path))[0]
    return f"job-{folder}" if stem == "job" else f"job-{folder}-{stem}"


def _split_train_args(text: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(text))
    except ValueError as error:
        raise SubmitError(f"ARGS (--train-args) {text!r} is not valid shell quoting ({error}): fix ARGS") from None


def _parse_env(assignments: Sequence[str]) -> dict[str, str]:
    variables = {}
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        if not equals:
            raise SubmitError(f"--env {assignment!r} needs the form NAME=VALUE")
        variables[name] = value
    return variables


def run(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["rehearse"]:
        from submit.rehearsal.cli import run as rehearse

        return rehearse(argv[1:])
    arguments = parse_arguments(argv)
    # Imported here so that --help works even where azure-ai-ml is missing.
    from submit.dry_run import write_plan
    from submit.plan import build_plan

    try:
        _check_job_or_framework(arguments)
        request = request_from(arguments)
        if arguments.job:
            from submit.user_job import load_user_job
            from submit.user_job_plan import job_family, plan_user_job

            user_job = load_user_job(arguments.job)
            request = _with_registry_image(request, arguments, job_family(user_job))
            plan = plan_user_job(user_job, request)   # validates first, as build_plan does
            out_name = _dry_run_folder(arguments.job)
        else:
            request = _with_registry_image(request, arguments, request.image_family)
            plan = build_plan(request)  # validates first: nothing below runs for a bad request
            out_name = request.framework
        if arguments.dry_run:
            result = write_plan(plan, os.path.join(arguments.out, out_name))
            with open(result.job_yaml, encoding="utf-8") as job_yaml:
                print(job_yaml.read(), end="")
            print(f"# dry run: {result.directory} holds environment.yaml, compute.yaml and job.yaml "
                  f"(validated by azure-ai-ml). To submit them by hand:", file=sys.stderr)
            for command in result.az_commands():
                print(f"#   {command}", file=sys.stderr)
            return 0
        from submit.azure_submit import submit
        from submit.workspace import connect, workspace_settings

        settings = workspace_settings(config_path=arguments.workspace_config)
        print(f"workspace {settings.workspace_name} (from {settings.source})", file=sys.stderr)
        if arguments.job:
            from submit.user_job_plan import request_for

            request = request_for(user_job, request)
        submit(plan, request, connect(settings), stream=not arguments.no_stream,
               log=lambda line: print(line, file=sys.stderr))
        return 0
    except SubmitError as error:
        print(f"azure-submit: {error}", file=sys.stderr)
        return USAGE_ERROR
    except JobDidNotSucceed as ended:
        print(f"azure-submit: {ended}", file=sys.stderr)
        return ended.exit_status


if __name__ == "__main__":
    sys.exit(run())
