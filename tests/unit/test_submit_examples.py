"""The two one-page demo scripts run their dry run offline."""

import subprocess
import sys

import pytest

REPOSITORY_ROOT = __file__.rsplit("/tests/", 1)[0]


@pytest.mark.parametrize("example, image", [
    ("submit_pytorch", "myacr.azurecr.io/trainyard/pytorch:0.1"),
    ("submit_tensorflow", "myacr.azurecr.io/trainyard/tensorflow:0.1"),
])
def test_example_dry_run(tmp_path, example, image):
    # Run in tmp_path so build/azure/example-* lands there, with the repository importable;
    # a PATH without docker keeps the local daemon (digest pinning) out of the test.
    completed = subprocess.run(
        [sys.executable, "-m", f"submit.examples.{example}", "--image", image, "--dry-run"],
        cwd=tmp_path, env={"PYTHONPATH": REPOSITORY_ROOT, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert "type: command" in completed.stdout
    compute = (tmp_path / "build" / "azure" / f"example-{example.split('_')[1]}" / "compute.yaml").read_text()
    assert "size: Standard_NC24ads_A100_v4" in compute  # the current default, not a retired size
    assert (tmp_path / "build" / "azure" / f"example-{example.split('_')[1]}" / "job.yaml").is_file()


def test_example_takes_a_vm_size_and_refuses_a_retired_one(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "submit.examples.submit_pytorch", "--image", "myacr.azurecr.io/trainyard/pytorch:0.1",
         "--vm-size", "Standard_NC6s_v3", "--dry-run"],
        cwd=tmp_path, env={"PYTHONPATH": REPOSITORY_ROOT, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 2
    assert "Standard_NC6s_v3 was retired" in completed.stderr and "Standard_NC24ads_A100_v4" in completed.stderr
