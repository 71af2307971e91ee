"""`python -m train.deepspeed`: runs train.pytorch.deepspeed (see train/deepspeed/__init__.py)."""

import sys

from train.pytorch.deepspeed.__main__ import run

if __name__ == "__main__":
    sys.exit(run())
