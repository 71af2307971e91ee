"""The training command each node runs: ONE definition for the compose cluster and Azure ML.

Plain data on purpose: every compose file runs `TRAIN_COMMANDS[framework]` followed by `${ARGS:-}`
(the same extra flags `make azure-submit ARGS=...` appends), and a unit test checks that they do.
Azure ML runs the same string with placement arguments added (where the data is mounted, where
checkpoints go); the training flags themselves never differ.

The entrypoints write checkpoints to `--model-dir`, whose default `./outputs` is what compose
uses. On Azure the default would also work for uploading, but a preempted low-priority job is
restarted on fresh nodes, so checkpoints must go to a declared job output to be found again.

Nothing here names a file the job would have to carry: the job has no `code:`, so its command must
work in an empty working directory (DeepSpeed builds its ds_config from flags, see
train/pytorch/deepspeed/flags.py).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

TRAIN_COMMANDS: dict[str, str] = {
    "pytorch": "python -m train.pytorch --dataset digits --epochs 5",
    "deepspeed": "python -m train.deepspeed --dataset digits --epochs 5",
    "horovod": "python -m train.horovod --dataset digits --epochs 5",
    "tensorflow": "python -m train.tensorflow --dataset digits --epochs 5",
}
# What compose appends to every TRAIN_COMMANDS entry: the ARGS variable, empty by default.
COMPOSE_ARGS = "${ARGS:-}"

# Names of the job's declared input and output; `${{...}}` is Azure ML's binding syntax,
# replaced on the node by the mounted path.
DATA_INPUT_NAME = "data"
CHECKPOINT_OUTPUT_NAME = "checkpoints"
DATA_INPUT_BINDING = "${{inputs.%s}}" % DATA_INPUT_NAME
CHECKPOINT_OUTPUT_BINDING = "${{outputs.%s}}" % CHECKPOINT_OUTPUT_NAME
# A DATA= folder holds CIFAR-10 (cifar-10-batches-py or its parent): digits needs no data at all.
_DIGITS = "--dataset digits"
DATA_ARGUMENTS = f"--dataset cifar10 --data-dir {DATA_INPUT_BINDING}"
MODEL_DIR_ARGUMENT = f"--model-dir {CHECKPOINT_OUTPUT_BINDING}"


def train_command(framework: str, *, with_data_input: bool = False, extra_args: Sequence[str] = ()) -> str:
    """The compose command for `framework`, reading the job's data input if there is one, then `extra_args`."""
    command = TRAIN_COMMANDS[framework]
    if with_data_input:
        command = command.replace(_DIGITS, DATA_ARGUMENTS, 1)
    if extra_args:
        command = f"{command} {shlex.join(extra_args)}"
    return command


def azure_command(framework: str, *, with_data_input: bool, extra_args: Sequence[str] = ()) -> str:
    """What an Azure ML job runs: the compose command (with DATA and ARGS) plus the checkpoint output."""
    return f"{train_command(framework, with_data_input=with_data_input, extra_args=extra_args)} {MODEL_DIR_ARGUMENT}"


def entrypoint_module(framework: str) -> str:
    """`train.pytorch` for "pytorch": the module the command runs (`python -m <module>`)."""
    return TRAIN_COMMANDS[framework].split()[2]
