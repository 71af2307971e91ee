"""End to end: the TensorFlow fake clusters (compose.tensorflow.yaml: MultiWorkerMirrored, 2 workers;
compose.tensorflow-ps.yaml: 1 ps + 2 workers) train and exit 0, as `docker-compose up` runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.containers import TENSORFLOW_IMAGE, make_writable
from tests.e2e.compose_cluster import REPOSITORY_ROOT, ComposeCluster, compose_command
from tests.required_image import require_image

UP_TIMEOUT = 600


@pytest.fixture(autouse=True)
def _tensorflow_image_built() -> None:
    require_image(TENSORFLOW_IMAGE)


class TensorFlowCluster(ComposeCluster):
    """ComposeCluster over one TensorFlow compose file instead of compose.yaml."""

    def __init__(self, outputs: Path, compose_file: str) -> None:
        super().__init__(outputs)
        self._base = [*compose_command(), "--project-name", self.project,
                      "-f", str(REPOSITORY_ROOT / compose_file)]


def _up(tmp_path: Path, compose_file: str, args: str = "") -> tuple[str, Path]:
    outputs = make_writable(tmp_path / "outputs")
    with TensorFlowCluster(outputs, compose_file) as cluster:
        cluster.set_args(args)
        result = cluster.run("up", "--abort-on-container-exit", "--exit-code-from", "worker-0",
                             timeout=UP_TIMEOUT)
    assert result.returncode == 0, f"compose up exited {result.returncode}:\n{result.stdout[-6000:]}"
    return result.stdout, outputs


def test_mwms_two_workers_train_and_exit_zero(tmp_path: Path) -> None:
    log, outputs = _up(tmp_path, "compose.tensorflow.yaml")
    final = re.search(r"FINAL world_size=(\d+) accuracy=([0-9.]+)", log)
    assert final, f"the chief printed no FINAL line:\n{log[-6000:]}"
    assert (int(final.group(1)), float(final.group(2)) >= 0.9) == (2, True), final.group(0)
    assert "MultiWorkerMirroredStrategy: 2 workers" in log, log[-6000:]
    assert log.count("FINAL ") == 1, "only the chief reports"
    assert (outputs / "model.keras").is_file()
    assert not list(outputs.glob("workertemp_*")), "a non-chief worker left its model behind"
    assert (outputs / "mlflow.db").is_file()


def test_parameter_server_job_trains_and_exits_zero(tmp_path: Path) -> None:
    # Through ARGS, as `make up-tensorflow-ps ARGS=...`: 40 steps show the cluster trains, 5 epochs add nothing.
    log, outputs = _up(tmp_path, "compose.tensorflow-ps.yaml", args="--max-steps 40")
    assert "ParameterServerStrategy: 2 workers, 1 ps" in log, log[-6000:]
    assert re.search(r"FINAL world_size=2 accuracy=[0-9.]+ .*steps=40\b", log), log[-6000:]
    assert (outputs / "model.keras").is_file()


@pytest.mark.parametrize("compose_file, service, task", [
    ("compose.tensorflow.yaml", "worker-1", {"type": "worker", "index": 1}),
    ("compose.tensorflow-ps.yaml", "ps-0", {"type": "ps", "index": 0}),
])
def test_each_node_gets_the_tf_config_azure_writes(tmp_path: Path, compose_file, service, task) -> None:
    outputs = make_writable(tmp_path / "outputs")
    with TensorFlowCluster(outputs, compose_file) as cluster:
        # Through sh, not Python: the image's trainyard_tf_config.pth rewrites TF_CONFIG (drops the
        # empty "ps" list) in every Python process, and this test checks what the node was given.
        result = cluster.run("run", "--rm", "--no-deps", "-T", service, "sh", "-c",
                             'printf "%s\\n" "$TF_CONFIG"', timeout=180)
    assert result.returncode == 0, result.stdout
    config = json.loads(result.stdout.strip().splitlines()[-1])
    assert config["task"] == task
    assert config["environment"] == "cloud"
    assert config["cluster"]["worker"] == ["worker-0:2222", "worker-1:2222"]
    expected_ps = ["ps-0:2222"] if "ps" in compose_file else []
    assert config["cluster"]["ps"] == expected_ps
