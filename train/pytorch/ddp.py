"""PyTorch DistributedDataParallel: gradients averaged across ranks during backward()."""

from __future__ import annotations

from torch import nn
from torch.nn.parallel import DistributedDataParallel

from train.pytorch.snapshot_strategy import SnapshotStrategy


class DDPStrategy(SnapshotStrategy):
    def _wrap(self, model: nn.Module) -> nn.Module:
        if self.group.world_size == 1:   # nothing to average
            return model
        on_gpu = self.group.device.type == "cuda"
        return DistributedDataParallel(model, device_ids=[self.group.device] if on_gpu else None)
