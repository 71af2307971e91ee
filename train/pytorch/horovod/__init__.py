"""The Horovod + PyTorch entrypoint: `python -m train.horovod --help` (or train.pytorch.horovod).

Same datasets, checkpoints, metrics and FINAL line as train.pytorch (it IS train.pytorch's main(),
given a Horovod group and strategy). Runs under mpirun, as Azure ML's `mpi` distribution starts it,
and under `horovodrun --gloo`; see group.py for how each is recognised.
"""
