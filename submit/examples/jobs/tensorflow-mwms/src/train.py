"""Keras under MultiWorkerMirroredStrategy as TensorFlow's multi-worker tutorial writes it.

The strategy reads TF_CONFIG (Azure writes one per worker); worker 0 is the chief and saves the model
to --model-dir, the others save to a scratch folder of their own, as the tutorial says they must.
"""

import argparse
import json
import os
import tempfile

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits


def dataset(global_batch_size):
    digits = load_digits()
    features = (digits.data / 16.0).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices((features, digits.target)).shuffle(2000, seed=0).repeat().batch(
        global_batch_size)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--steps-per-epoch", type=int, default=40)
    parser.add_argument("--per-worker-batch-size", type=int, default=32)
    parser.add_argument("--model-dir", default="outputs")
    args = parser.parse_args()

    tf_config = json.loads(os.environ["TF_CONFIG"])
    workers = len(tf_config["cluster"]["worker"])
    task_type, task_index = tf_config["task"]["type"], tf_config["task"]["index"]
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    with strategy.scope():
        model = tf.keras.Sequential([tf.keras.Input(shape=(64,)), tf.keras.layers.Dense(64, activation="relu"),
                                     tf.keras.layers.Dense(10)])
        model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
                      loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(dataset(args.per_worker_batch_size * workers), epochs=args.epochs,
                        steps_per_epoch=args.steps_per_epoch, verbose=2)
    print(f"worker {task_index}: accuracy {history.history['accuracy'][-1]:.3f}", flush=True)
    chief = task_type == "worker" and task_index == 0
    target = args.model_dir if chief else tempfile.mkdtemp(prefix=f"worker-{task_index}-")
    model.save(os.path.join(target, "model.keras"))


if __name__ == "__main__":
    main()
