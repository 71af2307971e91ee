"""A stock tf.keras MultiWorkerMirroredStrategy script (scripts/stock_mwms_keras.py) runs unmodified
in the TensorFlow image under the TF_CONFIG Azure writes, empty "ps" list and all.

What makes it work is the image's defaults, not the script: TF_USE_LEGACY_KERAS=1 makes tf.keras
Keras 2 (tf-keras), whose MultiWorkerMirrored model.fit works where Keras 3's fails; and
trainyard_tf_config.pth drops the empty "ps" list at interpreter start, on which TensorFlow 2.18
crashes (segmentation fault after "Task 0 was not defined in sparse job ps", seen here).
"""

from __future__ import annotations

import pytest

from tests.containers import Mount, make_writable, run_container
from tests.image.test_tensorflow import TENSORFLOW_IMAGE, job_script, mwms_cluster, task_exits
from tests.required_image import require_image

pytestmark = pytest.mark.image


@pytest.fixture(scope="module")
def tensorflow_image() -> str:
    return require_image(TENSORFLOW_IMAGE)


def test_image_defaults_make_tf_keras_keras_2(tensorflow_image):
    code = "import tensorflow as tf, tf_keras; print('tf.keras is', tf.keras.Model.__module__, tf_keras.__version__)"
    result = run_container(["python", "-c", code], image=tensorflow_image, timeout=300)
    assert result.returncode == 0, result.tail()
    assert "tf.keras is tf_keras.src.engine.training 2.18" in result.output, result.tail()


def test_image_drops_azures_empty_ps_list_at_interpreter_start(tensorflow_image):
    azure = '{"cluster": {"worker": ["w0:2222", "w1:2222"], "ps": []}, "task": {"type": "worker", "index": 1}}'
    result = run_container(["python", "-c", "import json, os; print(json.loads(os.environ['TF_CONFIG']))"],
                           image=tensorflow_image, timeout=60, env={"TF_CONFIG": azure})
    assert result.returncode == 0, result.tail()
    assert "{'cluster': {'worker': ['w0:2222', 'w1:2222']}, 'task': {'type': 'worker', 'index': 1}}" in result.output


def test_stock_script_two_workers_with_azure_tf_config(tensorflow_image, tmp_path, scripts_mount):
    outputs = make_writable(tmp_path / "outputs")
    script = job_script(mwms_cluster(23400),   # {"worker": [...], "ps": []}, as Azure writes it
                        "python /scripts/stock_mwms_keras.py --model-dir /outputs --epochs 2")
    result = run_container(["bash", "-c", script], image=tensorflow_image, timeout=360,
                           mounts=[scripts_mount, Mount(outputs, "/outputs")])
    assert result.returncode == 0, result.tail()
    assert task_exits(result.output) == {("worker", 0): 0, ("worker", 1): 0}, result.tail()
    assert "saved by worker 0 (tf.keras from tf_keras)" in result.output, result.tail()
    assert "saved by worker 1" in result.output
    assert (outputs / "model" / "saved_model.pb").is_file()
    assert not (outputs / "workertemp_1").exists()
