"""Small models: they must reach useful accuracy in seconds on two CPU cores, not set records."""

from __future__ import annotations

import math

from torch import nn


def build_model(sample_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    if len(sample_shape) == 1:     # digits: 64 features
        return nn.Sequential(
            nn.Linear(sample_shape[0], 128), nn.ReLU(),
            nn.Linear(128, num_classes))
    if len(sample_shape) == 3:     # images, channels first (CIFAR-10, synthetic)
        channels, height, width = sample_shape
        return nn.Sequential(
            nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * math.prod((height // 4, width // 4)), 64), nn.ReLU(),
            nn.Linear(64, num_classes))
    raise ValueError(f"no model for samples of shape {sample_shape}")
