"""A stock MultiWorkerMirroredStrategy script, written the way Azure ML's TensorFlow examples are.

Nothing trainyard-specific: `tf.keras`, the strategy built from TF_CONFIG as Azure sets it, a
global batch of per-worker batch x workers, `model.fit` inside the strategy's scope, and the usual
"every worker saves, only the chief keeps it" ending. The data are random arrays instead of MNIST
(no download offline); the shapes are MNIST's.

Usage: python stock_mwms_keras.py --model-dir DIR [--epochs N] [--steps-per-epoch N]
"""

import argparse
import json
import os

import numpy as np
import tensorflow as tf


def mnist_dataset(batch_size):
    rng = np.random.default_rng(0)
    x_train = rng.random((2048, 28, 28), dtype=np.float32)
    y_train = rng.integers(0, 10, size=2048)
    return tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(2048).repeat().batch(batch_size)


def build_and_compile_cnn_model():
    model = tf.keras.Sequential([
        tf.keras.layers.InputLayer(input_shape=(28, 28)),
        tf.keras.layers.Reshape(target_shape=(28, 28, 1)),
        tf.keras.layers.Conv2D(8, 3, activation="relu"),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(32, activation="relu"),
        tf.keras.layers.Dense(10),
    ])
    model.compile(loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=tf.keras.optimizers.SGD(learning_rate=0.001), metrics=["accuracy"])
    return model


def _is_chief(task_type, task_id):
    return task_type is None or task_type == "chief" or (task_type == "worker" and task_id == 0)


def _get_temp_dir(dirpath, task_id):
    temp_dir = os.path.join(dirpath, "workertemp_" + str(task_id))
    tf.io.gfile.makedirs(temp_dir)
    return temp_dir


def write_filepath(filepath, task_type, task_id):
    dirpath = os.path.dirname(filepath)
    base = os.path.basename(filepath)
    if not _is_chief(task_type, task_id):
        dirpath = _get_temp_dir(dirpath, task_id)
    return os.path.join(dirpath, base)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--steps-per-epoch", type=int, default=10)
    parser.add_argument("--per-worker-batch-size", type=int, default=64)
    args = parser.parse_args()

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    tf_config = json.loads(os.environ["TF_CONFIG"])
    num_workers = len(tf_config["cluster"]["worker"])
    global_batch_size = args.per_worker_batch_size * num_workers
    multi_worker_dataset = mnist_dataset(global_batch_size)

    with strategy.scope():
        multi_worker_model = build_and_compile_cnn_model()
    multi_worker_model.fit(multi_worker_dataset, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch)

    task_type, task_id = strategy.cluster_resolver.task_type, strategy.cluster_resolver.task_id
    write_model_path = write_filepath(os.path.join(args.model_dir, "model"), task_type, task_id)
    multi_worker_model.save(write_model_path)
    if not _is_chief(task_type, task_id):
        tf.io.gfile.rmtree(os.path.dirname(write_model_path))
    print(f"saved by {task_type} {task_id} (tf.keras from {tf.keras.Model.__module__.split('.')[0]})",
          flush=True)


if __name__ == "__main__":
    main()
