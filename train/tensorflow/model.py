"""The model: an MLP for flat samples (digits), a small CNN for images (CIFAR-10, synthetic).

Same architecture family as train/pytorch/model.py. Images arrive channel-first (N, 3, 32, 32), as
the shared loaders give them; a Permute layer makes them channel-last, which TensorFlow's CPU
convolutions need.
"""

from __future__ import annotations

import tensorflow as tf


def build_model(sample_shape: tuple[int, ...], num_classes: int) -> tf.keras.Model:
    layers = tf.keras.layers
    if len(sample_shape) == 1:
        body = [layers.Dense(128, activation="relu"), layers.Dense(64, activation="relu")]
    else:
        body = [layers.Permute((2, 3, 1)),
                layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
                layers.Conv2D(64, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
                layers.Flatten(), layers.Dense(128, activation="relu")]
    return tf.keras.Sequential([tf.keras.Input(shape=sample_shape), *body, layers.Dense(num_classes)])


def compile_model(model: tf.keras.Model, learning_rate: float, momentum: float,
                  optimizer: tf.keras.optimizers.Optimizer | None = None, **options: object) -> None:
    model.compile(
        optimizer=optimizer or tf.keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"], **options)


def accuracy(model: tf.keras.Model, x, y, batch_size: int = 256) -> float:
    """Top-1 accuracy of `model` on numpy arrays, computed in this process (no strategy)."""
    logits = model.predict(x, batch_size=batch_size, verbose=0)
    return float((logits.argmax(axis=1) == y).mean())
