"""Datasets as in-memory numpy arrays, and the per-rank sharding of their indices."""

from train.common.data.arrays import ArrayDataset, DatasetError
from train.common.data.registry import load_dataset
from train.common.data.sharding import ShardPlan

__all__ = ["ArrayDataset", "DatasetError", "ShardPlan", "load_dataset"]
