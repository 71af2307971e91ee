"""Checkpoints of `python -m train.pytorch` in the image: a killed run resumes exactly; a corrupt
checkpoint is skipped.

What "exactly" means here: the resumed run starts at the step after its newest checkpoint (it never
repeats a finished step) and its final weights are bit-identical to an uninterrupted run with the same
seed (compared through the weights_sha256 of the FINAL line). Two ranks on gloo with a fixed data order
and SGD are deterministic on the same machine and thread count, so this can be asserted exactly.
"""

import re
import time
from pathlib import Path

import pytest

from tests.containers import Container, Mount, make_writable, run_container
from tests.image.ddp_commands import TORCHRUN_2, final_fields, problem_lines, progress_steps

pytestmark = pytest.mark.image

# digits with 2 ranks x 32 per batch: 23 steps per epoch, so checkpoints every 5 steps fall mid-epoch.
FLAGS = ["--epochs", "3", "--seed", "7", "--checkpoint-every", "5", "--print-freq", "1",
         "--model-dir", "/outputs"]
TRAIN_2 = [*TORCHRUN_2, "-m", "train.pytorch", *FLAGS]
STEPS_PER_EPOCH = 23


def checkpoint_steps(outputs: Path) -> list[int]:
    names = (outputs / "checkpoints").glob("step-*.ckpt")
    return sorted(int(re.fullmatch(r"step-(\d+)\.ckpt", p.name).group(1)) for p in names)


def wait_for_checkpoint(outputs: Path, container: Container, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if checkpoint_steps(outputs):
            return
        time.sleep(0.2)
    raise AssertionError(f"no checkpoint after {timeout}s; output:\n{container.logs()[-4000:]}")


def test_killed_run_resumes_at_next_step_with_identical_weights(pytorch_image, tmp_path):
    reference = run_container(TRAIN_2, image=pytorch_image, timeout=300,
                              mounts=[Mount(make_writable(tmp_path / "reference"), "/outputs")])
    assert reference.returncode == 0, reference.tail()

    outputs = make_writable(tmp_path / "interrupted")
    # --step-delay slows only the first attempt, so the kill lands mid-run and not after its end.
    with Container([*TRAIN_2, "--step-delay", "0.3"], image=pytorch_image,
                   mounts=[Mount(outputs, "/outputs")]) as first:
        wait_for_checkpoint(outputs, first, timeout=90)
        first.kill()
        killed = first.wait(timeout=30)
    assert "FINAL" not in killed.output, "the run finished before it was killed; raise --step-delay"
    finished = max(checkpoint_steps(outputs))
    assert finished % STEPS_PER_EPOCH != 0, "expected a mid-epoch checkpoint"

    resumed = run_container(TRAIN_2, image=pytorch_image, timeout=300, mounts=[Mount(outputs, "/outputs")])
    assert resumed.returncode == 0, resumed.tail()
    assert f"continuing at step {finished + 1}" in resumed.output, resumed.tail()
    steps = progress_steps(resumed.output)
    assert steps[0] == finished + 1 and steps == list(range(finished + 1, 3 * STEPS_PER_EPOCH + 1))
    final, expected = final_fields(resumed.output), final_fields(reference.output)
    assert final["steps"] == expected["steps"] == str(3 * STEPS_PER_EPOCH)
    assert final["weights_sha256"] == expected["weights_sha256"]
    assert problem_lines(resumed.output) == []


def test_corrupt_newest_checkpoint_falls_back_to_previous(pytorch_image, outputs):
    mounts = [Mount(outputs, "/outputs")]
    first = run_container([*TRAIN_2, "--max-steps", "20"], image=pytorch_image, timeout=300, mounts=mounts)
    assert first.returncode == 0, first.tail()
    assert checkpoint_steps(outputs) == [10, 15, 20]   # --keep-checkpoints defaults to 3

    newest = outputs / "checkpoints" / "step-00000020.ckpt"
    blob = bytearray(newest.read_bytes())
    blob[len(blob) // 2] ^= 0xFF                       # one flipped byte: the checksum must notice
    newest.write_bytes(bytes(blob))

    resumed = run_container(TRAIN_2, image=pytorch_image, timeout=300, mounts=mounts)
    assert resumed.returncode == 0, resumed.tail()
    warnings = problem_lines(resumed.output)
    assert len(warnings) == 1 and "WARNING" in warnings[0] and "step-00000020.ckpt" in warnings[0], warnings
    assert "continuing at step 16" in resumed.output, resumed.tail()
    assert final_fields(resumed.output)["steps"] == str(3 * STEPS_PER_EPOCH)
    assert (outputs / "checkpoints" / "step-00000020.ckpt.corrupt").is_file()
