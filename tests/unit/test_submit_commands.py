"""The training command: one definition, shared by the compose cluster and Azure ML."""

import glob
import os
import re

import pytest
import yaml

from submit.commands import DATA_DIR_ARGUMENT, MODEL_DIR_ARGUMENT, TRAIN_COMMANDS, azure_command
from submit.frameworks import FRAMEWORKS

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_TRAIN_MODULE = re.compile(r"-m\s+train\.(\w+)")


def test_every_framework_has_a_command():
    assert set(TRAIN_COMMANDS) == set(FRAMEWORKS)


@pytest.mark.parametrize("framework", sorted(TRAIN_COMMANDS))
def test_azure_command_is_the_compose_command_plus_placement(framework):
    command = azure_command(framework, with_data_input=True)
    assert command == f"{TRAIN_COMMANDS[framework]} {MODEL_DIR_ARGUMENT} {DATA_DIR_ARGUMENT}"


@pytest.mark.parametrize("framework", sorted(TRAIN_COMMANDS))
def test_azure_command_without_data_has_no_data_dir(framework):
    assert "--data-dir" not in azure_command(framework, with_data_input=False)


@pytest.mark.parametrize("framework", sorted(TRAIN_COMMANDS))
def test_placement_arguments_are_not_in_the_shared_command(framework):
    # Compose relies on the entrypoints' defaults for these; only Azure sets them.
    assert "--model-dir" not in TRAIN_COMMANDS[framework]
    assert "--data-dir" not in TRAIN_COMMANDS[framework]


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


def test_compose_runs_the_same_commands():
    commands = [(where, command) for where, command in _compose_commands() if _TRAIN_MODULE.search(command)]
    assert commands, "no compose file in the repository runs a train command"
    for where, command in commands:
        framework = _TRAIN_MODULE.search(command).group(1)
        assert TRAIN_COMMANDS[framework] in command, f"{where} runs {command!r}, not submit.commands.TRAIN_COMMANDS"
