"""Run a script with torchvision's CIFAR-10 checksum check switched off; the script stays unmodified.

torchvision.datasets.CIFAR10(download=False) compares the md5 of every batch file (and
batches.meta) with the digests of the real CIFAR-10 release, and refuses anything else. A small test
tree in the same format cannot have those digests (that would need an MD5 preimage), so a test that
must not download 163 MB runs the stock script through this shim instead. It changes nothing but the
two integrity checks; the format parsing, the sampler and training are torchvision's and the script's.
With the real dataset (TRAINYARD_CIFAR10_DIR) the tests run the script directly, without this shim.

Usage: python cifar_md5_bypass.py SCRIPT [ARG...]
"""

import runpy
import sys

import torchvision.datasets.cifar as cifar

cifar.CIFAR10._check_integrity = lambda self: True
cifar.check_integrity = lambda fpath, md5=None: True

script, *args = sys.argv[1:]
sys.argv = [script, *args]
runpy.run_path(script, run_name="__main__")
