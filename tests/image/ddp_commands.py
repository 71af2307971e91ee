"""Command lines shared by the image tests: how each launcher starts `python -m train.pytorch`."""

from __future__ import annotations

import re

from train.common.reporting.final_line import parse_final_line

TRAIN = ["python", "-m", "train.pytorch"]
TORCHRUN_2 = ["torchrun", "--nproc-per-node", "2"]
# Open MPI as the image's non-root user needs no --allow-run-as-root; --oversubscribe because a
# CI runner may offer fewer slots (cores) than ranks; --bind-to none so two ranks do not share a core.
MPIRUN_2 = ["mpirun", "-np", "2", "--bind-to", "none", "--oversubscribe"]
AZUREML_MPI_SINGLE_NODE = ["-x", "AZ_BATCHAI_MPI_MASTER_NODE=127.0.0.1"]

# Warning or error lines in any logging format: ours ("12:00:00 [rank 0/2] WARNING name: ..."),
# MLflow's own ("2026/01/01 12:00:00 WARNING mlflow...."), Python's default ("WARNING:name:...").
_PROBLEM_LINE = re.compile(r"(^|\s)(WARNING|ERROR|CRITICAL)[\s:]")


def final_fields(output: str) -> dict[str, str]:
    return parse_final_line(output)


def problem_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if _PROBLEM_LINE.search(line)]


def progress_steps(output: str) -> list[int]:
    """Step numbers of rank 0's progress lines ("epoch 2/3 step 31/69 loss ...")."""
    pattern = r"\] INFO train\.pytorch\.trainer: epoch \d+/\d+ step (\d+)/"
    return [int(m.group(1)) for m in re.finditer(pattern, output)]
