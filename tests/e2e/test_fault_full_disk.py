"""A full disk while a checkpoint is written: the previous checkpoint is intact, the run ends with one
line naming the folder and the bytes it needed, and no temporary file is left behind.

The disk is real: a Docker volume on a tmpfs with a size limit, mounted as the checkpoint folder,
sized from the real size of one checkpoint so that the first fits and the second cannot.
"""

from __future__ import annotations

import math
import re
import shlex
import uuid

import pytest

from tests.containers import PYTORCH_IMAGE, Mount, docker, make_writable, run_container
from tests.required_image import require_image

pytestmark = pytest.mark.faults

TRAIN = ["python", "-m", "train.pytorch", "--dataset", "digits", "--epochs", "1", "--checkpoint-every", "5",
         "--keep-checkpoints", "1", "--model-dir", "/outputs"]
PAGE = 4096
INSPECTION_STARTS = "== inspection"
# Reads what the tmpfs holds, and whether each checkpoint verifies: in the training's own container,
# after it, because a tmpfs volume is a new, empty tmpfs on every mount.
INSPECT = ("import pathlib; from train.common.checkpoints.checkpoint_store import read_verified\n"
           "for p in sorted(pathlib.Path('/outputs/checkpoints').iterdir()):\n"
           "    read_verified(p) if p.name.endswith('.ckpt') else None; print('file', p.name)")


@pytest.fixture
def tmpfs_volume():
    """A factory of size-limited tmpfs volumes, each removed afterwards."""
    names: list[str] = []

    def make(size_bytes: int) -> str:
        name = f"trainyard-test-full-{uuid.uuid4().hex[:8]}"
        docker("volume", "create", "--driver", "local", "--opt", "type=tmpfs", "--opt", "device=tmpfs",
               "--opt", f"o=size={size_bytes},mode=1777", "--label", "trainyard.test=1", name)
        names.append(name)
        return name

    yield make
    for name in names:
        docker("volume", "rm", "--force", name, check=False)


def test_full_disk_keeps_the_previous_checkpoint_and_says_what_was_needed(tmp_path, tmpfs_volume):
    image = require_image(PYTORCH_IMAGE)
    # One checkpoint's real size, from a run that writes exactly one.
    probe = make_writable(tmp_path / "probe")
    sized = run_container([*TRAIN, "--max-steps", "5"], image=image, timeout=180, mounts=[Mount(probe, "/outputs")])
    assert sized.returncode == 0, sized.tail()
    (checkpoint,) = (probe / "checkpoints").glob("step-*.ckpt")
    one = checkpoint.stat().st_size
    # Room for one and a half: the checkpoint of step 5 fits, the one of step 10 cannot.
    volume = tmpfs_volume(math.ceil(1.5 * one / PAGE) * PAGE)

    outputs = make_writable(tmp_path / "outputs")
    mounts = ["--label", "trainyard.test=1", "--volume", f"{outputs}:/outputs", "--volume", f"{volume}:/outputs/checkpoints"]
    # The training, a marker line, then the inspection in the same container; exit status the training's.
    script = (f"exec 2>&1; {shlex.join(TRAIN)}; status=$?; "
              f"echo {INSPECTION_STARTS}; python -c {shlex.quote(INSPECT)}; exit $status")
    result = docker("run", "--rm", *mounts, image, "bash", "-c", script, timeout=240, check=False)
    output, _, inspected = result.stdout.partition(INSPECTION_STARTS)
    assert result.returncode == 2, f"exit {result.returncode}:\n{output[-4000:]}"
    last = output.rstrip().splitlines()[-1]
    expected = (r"^error: no space left in /outputs/checkpoints to write step-00000010\.ckpt: it needs ([\d,]+) bytes "
                r"and [\d,]+ are free; the checkpoint of step 5 is intact\. Free space there, or give a --model-dir")
    found = re.match(expected, last)
    assert found, f"last line: {last!r}\n{output[-4000:]}"
    assert int(found.group(1).replace(",", "")) >= one - 4096, (found.group(1), one)
    assert "Traceback" not in output, output[-4000:]

    assert re.findall(r"^file (\S+)$", inspected, re.M) == ["step-00000005.ckpt"], inspected
