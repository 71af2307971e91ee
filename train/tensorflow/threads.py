"""TensorFlow's op threads from this node's share of the cores (train.common.cpu_share).

Only the intra-op pool is sized: it is the one that runs an op's arithmetic on every core it is
told of. The inter-op pool stays TensorFlow's: a collective op blocks one of its threads while it
waits for peers, so a pool of one could wait on itself. Call before TensorFlow runs its first op.
"""

from __future__ import annotations

from train.common.cpu_share import CpuShare, threads_per_process


def limit_cpu_threads(local_processes: int) -> CpuShare:
    import tensorflow as tf

    share = threads_per_process(local_processes)
    tf.config.threading.set_intra_op_parallelism_threads(share.threads)
    return share
