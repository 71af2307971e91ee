"""The training command each node runs: ONE definition for the compose cluster and Azure ML.

Plain data on purpose: compose.yaml runs `TRAIN_COMMANDS[framework]` verbatim, and tests
check that it does. Azure ML runs the same string with placement arguments appended (where
the data is mounted, where checkpoints go); the training flags themselves never differ.

The entrypoints write checkpoints to `--model-dir`, whose default `./outputs` is what compose
uses. On Azure the default would also work for uploading, but a preempted low-priority job is
restarted on fresh nodes, so checkpoints must go to a declared job output to be found again.
"""

TRAIN_COMMANDS: dict[str, str] = {
    "pytorch": "python -m train.pytorch --dataset digits --epochs 5",
    "deepspeed": "python -m train.deepspeed --deepspeed-config ds_config.json --dataset digits --epochs 5",
    "horovod": "python -m train.horovod --dataset digits --epochs 5",
    "tensorflow": "python -m train.tensorflow --dataset digits --epochs 5",
}

# Names of the job's declared input and output; `${{...}}` is Azure ML's binding syntax,
# replaced on the node by the mounted path.
DATA_INPUT_NAME = "data"
CHECKPOINT_OUTPUT_NAME = "checkpoints"
DATA_DIR_ARGUMENT = "--data-dir ${{inputs.%s}}" % DATA_INPUT_NAME
MODEL_DIR_ARGUMENT = "--model-dir ${{outputs.%s}}" % CHECKPOINT_OUTPUT_NAME


def azure_command(framework: str, *, with_data_input: bool) -> str:
    """The compose command for `framework`, plus Azure's data and checkpoint placement."""
    parts = [TRAIN_COMMANDS[framework], MODEL_DIR_ARGUMENT]
    if with_data_input:
        parts.append(DATA_DIR_ARGUMENT)
    return " ".join(parts)
