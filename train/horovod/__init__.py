"""`python -m train.horovod`: the name the README and Azure's `mpi` jobs use for Horovod + PyTorch,
which lives in train.pytorch.horovod (it builds on train.pytorch)."""
