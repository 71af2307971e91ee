"""Horovod for PyTorch: gradients averaged in the optimizer (hvd.DistributedOptimizer), not by DDP."""

from __future__ import annotations

import horovod.torch as hvd
from torch import nn

from train.pytorch.snapshot_strategy import SnapshotStrategy


class HorovodStrategy(SnapshotStrategy):
    def _wrap(self, model: nn.Module) -> nn.Module:
        # hvd.DistributedOptimizer is a new optimizer over the same parameter groups but with an
        # EMPTY state: carry over what a resumed snapshot loaded into the plain one (momentum).
        wrapped = hvd.DistributedOptimizer(self.optimizer, named_parameters=model.named_parameters())
        wrapped.load_state_dict(self.optimizer.state_dict())
        self.optimizer = wrapped
        # Every rank seeded the same and loaded the same snapshot, so these change nothing on a
        # healthy job; they make "rank 0's weights" the definition, as Horovod's examples do.
        hvd.broadcast_parameters(model.state_dict(), root_rank=0)
        hvd.broadcast_optimizer_state(self.optimizer, root_rank=0)
        return model
