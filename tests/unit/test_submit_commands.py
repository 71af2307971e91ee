"""The training command: one definition, shared by the compose cluster and Azure ML."""

import glob
import os
import re
import shlex

import pytest
import yaml

from submit.commands import (
    COMPOSE_ARGS,
    DATA_ARGUMENTS,
    MODEL_DIR_ARGUMENT,
    TRAIN_COMMANDS,
    azure_command,
    train_command,
)
from submit.frameworks import FRAMEWORKS

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_TRAIN_MODULE = re.compile(r"-m\s+train\.(\w+)")


def test_every_framework_has_a_command():
    assert set(TRAIN_COMMANDS) == set(FRAMEWORKS)


@pytest.mark.parametrize("framework", sorted(TRAIN_COMMANDS))
def test_azure_command_is_the_compose_command_plus_the_checkpoint_output(framework):
    assert azure_command(framework, with_data_input=False) == f"{TRAIN_COMMANDS[framework]} {MODEL_DIR_ARGUMENT}"


@pytest.mark.parametrize("framework", sorted(TRAIN_COMMANDS))
def test_data_input_switches_to_cifar10_from_the_mounted_folder(framework):
    command = azure_command(framework, with_data_input=True)
    assert DATA_ARGUMENTS in command and "--dataset digits" not in command
    assert shlex.split(command).count("--dataset") == 1


@pytest.mark.parametrize("framework", sorted(TRAIN_COMMANDS))
def test_without_data_no_data_dir(framework):
    assert "--data-dir" not in azure_command(framework, with_data_input=False)


def test_extra_args_come_after_the_training_flags_and_before_placement():
    command = azure_command("pytorch", with_data_input=False, extra_args=["--max-steps", "3"])
    assert command == f"{TRAIN_COMMANDS['pytorch']} --max-steps 3 {MODEL_DIR_ARGUMENT}"


def test_extra_args_are_quoted_for_the_shell():
    command = train_command("pytorch", extra_args=["--seed", "1; rm -rf /"])
    assert shlex.split(command)[-2:] == ["--seed", "1; rm -rf /"]


@pytest.mark.parametrize("framework", sorted(TRAIN_COMMANDS))
def test_placement_arguments_are_not_in_the_shared_command(framework):
    # Compose relies on the entrypoints' defaults for these; only Azure sets them.
    assert "--model-dir" not in TRAIN_COMMANDS[framework]
    assert "--data-dir" not in TRAIN_COMMANDS[framework]


@pytest.mark.parametrize("framework", sorted(TRAIN_COMMANDS))
def test_no_command_names_a_file_the_job_does_not_carry(framework):
    # The job has no `code:`: it starts in an empty folder (the DeepSpeed job once passed
    # --deepspeed-config ds_config.json and failed on every node).
    assert not any(word.endswith((".json", ".yaml", ".py")) for word in shlex.split(TRAIN_COMMANDS[framework]))


def _compose_commands():
    """Every service command in the repository's compose files, as one string each."""
    patterns = ("compose*.y*ml", "docker-compose*.y*ml", os.path.join("compose", "**", "*.y*ml"))
    paths = sorted({p for pattern in patterns for p in glob.glob(os.path.join(REPOSITORY_ROOT, pattern), recursive=True)})
    commands = []
    for path in paths:
        with open(path, encoding="utf-8") as compose_file:
            document = yaml.safe_load(compose_file) or {}
        for name, service in (document.get("services") or {}).items():
            command = (service or {}).get("command")
            if isinstance(command, list):
                command = " ".join(str(part) for part in command)
            if command:
                commands.append((f"{os.path.relpath(path, REPOSITORY_ROOT)}:{name}", command))
    return commands


def test_compose_runs_the_same_commands_with_args():
    commands = [(where, command) for where, command in _compose_commands() if _TRAIN_MODULE.search(command)]
    # compose.yaml, compose.mpi.yaml (node-0), compose.tensorflow.yaml, compose.tensorflow-ps.yaml.
    assert {where.split(":")[0] for where, _ in commands} == {
        "compose.yaml", "compose.mpi.yaml", "compose.tensorflow.yaml", "compose.tensorflow-ps.yaml"}
    for where, command in commands:
        framework = _TRAIN_MODULE.search(command).group(1)
        # compose.mpi.yaml wraps the command in ${MPI_COMMAND:-...} so users can swap it; the closing
        # brace may sit between the command and ARGS.
        expected = re.escape(TRAIN_COMMANDS[framework]) + r"\}? " + re.escape(COMPOSE_ARGS) + r"($| )"
        assert re.search(expected, command), (
            f"{where} runs {command!r}, not submit.commands.TRAIN_COMMANDS[{framework!r}] + {COMPOSE_ARGS}")


def _resolve(compose_command: str, args: str) -> str:
    """The command compose runs with ARGS=`args` (and MPI_COMMAND unset), as the node's shell sees it."""
    command = re.sub(r"\$\{MPI_COMMAND:-([^}]*)\}", r"\1", compose_command).replace(COMPOSE_ARGS, args)
    if "node-entry head -- " in command:   # compose.mpi.yaml: node 0 runs mpirun around the rank command
        command = command.split("node-entry head -- ", 1)[1].rsplit(" --model-dir ", 1)[0]
    return " ".join(shlex.split(command))


@pytest.mark.parametrize("framework, distribution", [
    ("pytorch", "pytorch"), ("horovod", "mpi"), ("tensorflow", "tensorflow")])
def test_each_compose_cluster_runs_the_built_azure_jobs_command(framework, distribution, monkeypatch):
    """The job that `make azure-submit ARGS=...` builds runs what `make up* ARGS=...` runs, plus the
    checkpoint output: the comparison starts from the CommandJob itself, not from TRAIN_COMMANDS."""
    import submit.image_digest as image_digest
    from submit.plan import build_plan
    from submit.request import SubmitRequest

    monkeypatch.setattr(image_digest, "local_repo_digests", lambda image: [])
    family = "tensorflow" if framework == "tensorflow" else "pytorch"
    args = "--max-steps 3 --seed 7"
    job = build_plan(SubmitRequest(framework=framework, distribution=distribution,
                                   image=f"myacr.azurecr.io/trainyard/{family}:1", nodes=2,
                                   train_args=tuple(args.split()))).job
    assert job.command.endswith(f" {MODEL_DIR_ARGUMENT}")
    job_training_command = job.command[: -len(MODEL_DIR_ARGUMENT) - 1]
    compose_commands = [_resolve(command, args) for _, command in _compose_commands()
                        if f"-m train.{framework} " in command]
    assert compose_commands, f"no compose cluster runs {framework}"
    assert set(compose_commands) == {job_training_command}


def _compose_cli():
    import shutil
    import subprocess

    for candidate in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(candidate[0]) and subprocess.run([*candidate, "version"], capture_output=True,
                                                         timeout=30).returncode == 0:
            return candidate
    return None


@pytest.mark.parametrize("compose_file, service, framework", [
    ("compose.yaml", "node-0", "pytorch"), ("compose.mpi.yaml", "node-0", "horovod"),
    ("compose.tensorflow.yaml", "worker-0", "tensorflow"), ("compose.tensorflow-ps.yaml", "ps-0", "tensorflow")])
def test_compose_itself_interpolates_args_into_the_same_command(compose_file, service, framework):
    """What Compose (not our reading of the YAML) makes of ARGS: `config` only parses, it starts nothing."""
    import subprocess

    cli = _compose_cli()
    if cli is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    env = {**os.environ, "ARGS": "--max-steps 3 --seed 7"}
    env.pop("MPI_COMMAND", None)
    completed = subprocess.run([*cli, "-f", os.path.join(REPOSITORY_ROOT, compose_file), "config"], env=env,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    command = yaml.safe_load(completed.stdout)["services"][service]["command"]
    command = " ".join(command) if isinstance(command, list) else command
    assert train_command(framework, extra_args=["--max-steps", "3", "--seed", "7"]) in " ".join(command.split())
