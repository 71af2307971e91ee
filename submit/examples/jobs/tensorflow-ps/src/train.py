"""ParameterServerStrategy with the TF_CONFIG Azure writes: ps and worker tasks, and no coordinator (chief).

TensorFlow 2 drives parameter-server training from a coordinator task, so worker 0 is also the
coordinator: it starts its own worker server as a child process and coordinates, at the first port
above worker 0's. The ps and the other worker serve until the coordinator has come and gone.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits

WAIT_SECONDS = 300


def split(address):
    host, _, port = address.rpartition(":")
    return host, int(port)


def with_coordinator(cluster):
    host, port = split(cluster["worker"][0])
    used = {split(a)[1] for addresses in cluster.values() for a in addresses if split(a)[0] == host}
    port += 1
    while port in used:
        port += 1
    return {**cluster, "chief": [f"{host}:{port}"]}


def reachable(address):
    try:
        with socket.create_connection(split(address), timeout=2):
            return True
    except OSError:
        return False


def serve(cluster, task_type, index):
    """Serve this task until the coordinator has been up and is gone, then exit."""
    tf.distribute.Server(tf.train.ClusterSpec(cluster), job_name=task_type, task_index=index, start=True)
    print(f"{task_type} {index}: serving", flush=True)
    coordinator, seen, deadline = cluster["chief"][0], False, time.monotonic() + WAIT_SECONDS
    while True:
        up = reachable(coordinator)
        if seen and not up:
            print(f"{task_type} {index}: the coordinator is gone; done", flush=True)
            os._exit(0)   # TensorFlow's server has no clean stop
        seen = seen or up
        if not seen and time.monotonic() > deadline:
            print(f"{task_type} {index}: no coordinator after {WAIT_SECONDS} s", flush=True)
            os._exit(1)
        time.sleep(1)


def build_model():
    model = tf.keras.Sequential([tf.keras.Input(shape=(64,)), tf.keras.layers.Dense(64, activation="relu"),
                                 tf.keras.layers.Dense(10)])
    model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def coordinate(cluster, epochs, model_dir):
    deadline = time.monotonic() + WAIT_SECONDS
    while not all(reachable(a) for kind in ("ps", "worker") for a in cluster[kind]):
        if time.monotonic() > deadline:
            sys.exit(f"coordinator: the ps and workers are not all up after {WAIT_SECONDS} s")
        time.sleep(1)
    os.environ["TF_CONFIG"] = json.dumps({"cluster": cluster, "task": {"type": "chief", "index": 0}})
    strategy = tf.distribute.ParameterServerStrategy(tf.distribute.cluster_resolver.TFConfigClusterResolver())
    digits = load_digits()
    features, labels = (digits.data / 16.0).astype(np.float32), digits.target

    def dataset_fn(context):
        return (tf.data.Dataset.from_tensor_slices((features, labels))
                .shard(context.num_input_pipelines, context.input_pipeline_id)
                .shuffle(2000, seed=0).repeat().batch(32))

    with strategy.scope():
        model = build_model()
    model.fit(tf.keras.utils.experimental.DatasetCreator(dataset_fn), epochs=epochs, steps_per_epoch=40, verbose=2)
    plain = build_model()
    plain.set_weights(model.get_weights())
    accuracy = float(np.mean(np.argmax(plain.predict(features, verbose=0), axis=1) == labels))
    print(f"coordinator: accuracy {accuracy:.3f} with {len(cluster['worker'])} workers and "
          f"{len(cluster['ps'])} parameter server(s)", flush=True)
    os.makedirs(model_dir, exist_ok=True)
    plain.save(os.path.join(model_dir, "model.keras"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--model-dir", default="outputs")
    parser.add_argument("--serve-worker-0", action="store_true", help="(internal) worker 0's own server")
    args = parser.parse_args()

    tf_config = json.loads(os.environ["TF_CONFIG"])
    cluster = with_coordinator(tf_config["cluster"])
    task_type, index = tf_config["task"]["type"], int(tf_config["task"]["index"])
    if args.serve_worker_0 or (task_type, index) != ("worker", 0):
        serve(cluster, task_type, index)
    # Worker 0's own server, as a child: it stops by itself once this process (the coordinator) has ended.
    subprocess.Popen([sys.executable, *sys.argv, "--serve-worker-0"])
    coordinate(cluster, args.epochs, args.model_dir)


if __name__ == "__main__":
    main()
