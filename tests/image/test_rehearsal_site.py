"""What a rehearsal adds inside the images (train/rehearsal/site), checked in the images themselves.

- CPU_FALLBACK=1: the CUDA-only calls stock GPU scripts make run on the CPU (scripts/cuda_only_calls.py).
- Always: MLflow's local store takes `log_model(model, "./model")` as Azure's store does; without the
  rehearsal's site the image's MLflow refuses it (so the test shows the patch is what makes it work).
- A job that sets its own PYTHONPATH, or has a module named `train`, still gets the hooks, and its
  `train` stays its own.
"""

from __future__ import annotations

import pytest

from tests.containers import PYTORCH_IMAGE, TENSORFLOW_IMAGE, Mount, make_writable, run_container
from tests.required_image import require_image

pytestmark = pytest.mark.image

SITE = "/opt/trainyard/train/rehearsal/site"
LOG_MODEL = ("import mlflow, torch; mlflow.log_metric('a', 1); mlflow.pytorch.log_model(torch.nn.Linear(2, 2), './model'); "
             "import glob; print('artifacts:', glob.glob('/tmp/mlruns/*/*/artifacts/model/MLmodel'))")


def test_cuda_only_calls_run_on_the_cpu_under_cpu_fallback(scripts_mount):
    image = require_image(PYTORCH_IMAGE)
    result = run_container(["python", "/scripts/cuda_only_calls.py"], image=image, timeout=180, mounts=[scripts_mount],
                           env={"PYTHONPATH": f"{SITE}:/opt/trainyard", "TRAINYARD_CPU_FALLBACK": "1"})
    assert result.returncode == 0 and "ALL OK" in result.output, result.tail()
    assert "trainyard CPU_FALLBACK: this host has no GPU" in result.output


def test_a_relative_artifact_path_is_refused_by_mlflow_alone_and_taken_in_a_rehearsal():
    image = require_image(PYTORCH_IMAGE)
    env = {"MLFLOW_TRACKING_URI": "file:///tmp/mlruns"}
    plain = run_container(["python", "-c", LOG_MODEL], image=image, timeout=180, env=env)
    assert plain.returncode != 0 and "Invalid artifact path: './model'" in plain.output, plain.tail()
    rehearsed = run_container(["python", "-c", LOG_MODEL], image=image, timeout=180,
                              env={**env, "PYTHONPATH": f"{SITE}:/opt/trainyard"})
    assert rehearsed.returncode == 0 and "artifacts: ['/tmp/mlruns/" in rehearsed.output, rehearsed.tail()


def test_a_jobs_own_pythonpath_and_train_module_are_left_alone(tmp_path):
    image = require_image(TENSORFLOW_IMAGE)
    code = make_writable(tmp_path / "code")
    (code / "train.py").write_text("WHO = 'the job'\n")
    probe = ("import sys, train; print('train is', train.WHO); "
             "print('hooks', any(type(f).__name__ == '_PatchAfterImport' for f in sys.meta_path))")
    result = run_container(["python", "-c", probe], image=image, timeout=120, workdir="/code",
                           mounts=[Mount(code, "/code", read_only=True)], env={"PYTHONPATH": f"{SITE}:/code"})
    assert result.returncode == 0, result.tail()
    assert "train is the job" in result.output and "hooks True" in result.output, result.tail()
