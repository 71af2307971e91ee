"""`python -m train.horovod`: runs train.pytorch.horovod (see train/horovod/__init__.py)."""

import sys

from train.pytorch.horovod.__main__ import run

if __name__ == "__main__":
    sys.exit(run())
