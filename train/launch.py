"""``python -m train.launch [--print-env] -- COMMAND [ARG...]``: complete launch variables, exec.

Reads the environment through `train.launch_env.detect` (each detector's docstring lists its
variables), adds the derived variables that are missing, and replaces itself with COMMAND
(``os.execvpe``), so COMMAND's exit status is the exit status.

What is added (`launch_env_for`, pure, for tests and other tools):
- torch-style sources (torchrun, azureml-pytorch, azureml-mpi, mpirun, env): every variable of
  `to_torch_env` that is unset or empty: under MPI that is RANK, WORLD_SIZE, LOCAL_RANK,
  LOCAL_WORLD_SIZE, NODE_RANK, MASTER_ADDR, MASTER_PORT; for Azure pytorch, LOCAL_WORLD_SIZE.
  A variable the launcher set is never overridden.
- TF_CONFIG sources: TF_CONFIG rewritten without empty task lists (the empty ``ps`` list TF 2.13+
  rejects), only when there was one to drop; nothing else.
- single: nothing, so a child still detects a single process.
A child that calls `detect()` again sees the same numbers.

Exit status 2 with one line on stderr for a usage error or a malformed environment; 127 (126)
when COMMAND cannot be found (run), as a shell would.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence

from train.launch_env import LaunchEnvError, Source, detect, to_tf_config_json, to_torch_env

PROG = "train.launch"


def launch_env_for(command_env: Mapping[str, str]) -> dict[str, str]:
    """The environment COMMAND should get: `command_env` plus the missing derived variables.

    Raises LaunchEnvError for a malformed environment. Does not modify `command_env`.
    """
    launch = detect(command_env)
    env = dict(command_env)
    if launch.tf_config is not None:
        if launch.tf_config != json.loads(command_env["TF_CONFIG"]):
            env["TF_CONFIG"] = to_tf_config_json(launch)
    elif launch.source != Source.SINGLE:
        for name, value in to_torch_env(launch).items():
            if not env.get(name, "").strip():
                env[name] = value
    return env


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage=f"python -m {PROG} [--print-env] -- COMMAND [ARG...]",
        description="Fill in the distributed-launch variables the launcher left out "
        "(RANK, WORLD_SIZE, MASTER_ADDR, ... under MPI; a cleaned TF_CONFIG), then run COMMAND.",
    )
    parser.add_argument(
        "--print-env",
        action="store_true",
        help="print the variables that would be added or changed as one JSON object, run nothing",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command and not args.print_env:
        parser.error("no COMMAND given")  # exits 2 with the usage line

    try:
        env = launch_env_for(os.environ)
    except LaunchEnvError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2

    if args.print_env:
        changed = {name: value for name, value in env.items() if os.environ.get(name) != value}
        print(json.dumps(changed, sort_keys=True))
        return 0

    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(command[0], command, env)
    except OSError as error:
        print(f"{PROG}: error: cannot run {command[0]!r}: {error.strerror}", file=sys.stderr)
        return 127 if isinstance(error, FileNotFoundError) else 126
    raise AssertionError("os.execvpe returned")  # unreachable


if __name__ == "__main__":
    sys.exit(main())
