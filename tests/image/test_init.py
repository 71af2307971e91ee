"""PID 1 of a plain `docker run` (no --init) is the images' tini: `docker stop` ends a command at
once, even before it sets a SIGTERM handler; a training run checkpoints and exits 143; orphaned
processes are reaped. With python as PID 1 the early stop waited out docker's grace period and was
killed (137), and an orphan stayed a zombie.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.containers import PYTORCH_IMAGE, TENSORFLOW_IMAGE, Container, Mount, docker, make_writable, run_container
from tests.required_image import require_image

pytestmark = pytest.mark.image

GRACE = 20           # docker stop --time: long enough that a SIGKILL shows in the elapsed time
EXIT_STOPPED = 143   # 128 + SIGTERM
ZOMBIES = ("import os, subprocess, time\n"
           "subprocess.run(['sh', '-c', 'sleep 0.3 & exit 0'], check=True)  # the sleep is orphaned\n"
           "time.sleep(2)\n"
           "def state(pid):\n"
           "    try:\n"
           "        return open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[0]\n"
           "    except OSError:\n"
           "        return '-'\n"
           "print('pid 1 is', open('/proc/1/comm').read().strip())\n"
           "print('zombies', sum(state(p) == 'Z' for p in os.listdir('/proc') if p.isdigit()))\n")


def _wait_for(container: Container, pattern: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not re.search(pattern, container.logs()):
        assert time.monotonic() < deadline, f"no {pattern!r} in {seconds} s:\n{container.logs()[-3000:]}"
        time.sleep(0.2)


def _stop(container: Container) -> tuple[int, float, str]:
    started = time.monotonic()
    docker("stop", "--time", str(GRACE), container.name, timeout=GRACE + 30)
    seconds = time.monotonic() - started
    result = container.wait(timeout=30)
    return result.returncode, seconds, result.output


@pytest.mark.parametrize("image_name", [PYTORCH_IMAGE, TENSORFLOW_IMAGE], ids=["pytorch", "tensorflow"])
def test_docker_stop_ends_a_command_that_set_no_handler(image_name: str) -> None:
    image = require_image(image_name)
    sleeper = ["python", "-c", "import time; print('started', flush=True); time.sleep(300)"]
    with Container(sleeper, image=image) as run:
        _wait_for(run, "started", 60)
        returncode, seconds, output = _stop(run)
    assert returncode == EXIT_STOPPED, f"exit {returncode} after {seconds:.1f}s:\n{output}"
    assert seconds < GRACE / 2, f"docker stop took {seconds:.1f}s: SIGTERM was not delivered"


def test_docker_stop_mid_training_writes_a_checkpoint_and_exits_143(tmp_path) -> None:
    image = require_image(PYTORCH_IMAGE)
    outputs = make_writable(tmp_path / "outputs")
    train = ["python", "-m", "train.pytorch", "--dataset", "digits", "--epochs", "2", "--print-freq", "1",
             "--checkpoint-every", "50", "--step-delay", "0.3", "--model-dir", "/outputs"]
    with Container(train, image=image, mounts=[Mount(outputs, "/outputs")]) as run:
        _wait_for(run, r"step 5/", 120)
        returncode, seconds, output = _stop(run)
    assert returncode == EXIT_STOPPED, f"exit {returncode} after {seconds:.1f}s:\n{output[-3000:]}"
    assert re.search(r"stopped by SIGTERM after step \d+, checkpoint written", output), output[-3000:]
    assert list((outputs / "checkpoints").glob("step-*.ckpt")), f"no checkpoint: {sorted(outputs.rglob('*'))}"


def test_orphaned_processes_are_reaped() -> None:
    result = run_container(["python", "-c", ZOMBIES], image=require_image(PYTORCH_IMAGE), timeout=60)
    assert result.returncode == 0, result.tail()
    assert "pid 1 is tini" in result.output and "zombies 0" in result.output, result.output
