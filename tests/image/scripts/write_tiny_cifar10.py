"""Write a small CIFAR-10 tree in the release's "python version" format: cifar-10-batches-py/.

Usage: python write_tiny_cifar10.py OUT_DIR [IMAGES_PER_BATCH]   (runs inside the image: needs numpy)

Faithful to the release files, which Python 2 pickled: dict keys and the array's raw data are Python 2
`str` (BINSTRING opcodes), so torchvision's `pickle.load(f, encoding="latin1")` sees str keys
("data", "labels") and `pickle.load(f, encoding="bytes")` sees b"data", b"labels", as with the real
files. Python 3's pickler would write bytes objects instead, which only the second reader accepts.
Images are class-dependent colour plus noise, so a model can learn something from them.
"""

import pickle
import struct
import sys
from pathlib import Path

import numpy as np

LABEL_NAMES = ["airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck"]


class Python2StrPickler(pickle._Pickler):   # the pure-Python pickler lets us replace one opcode
    dispatch = pickle._Pickler.dispatch.copy()

    def save_python2_str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_python2_str


def dump(obj: object, path: Path) -> None:
    with path.open("wb") as f:
        Python2StrPickler(f, protocol=2).dump(obj)


def batch(rng: np.random.Generator, n: int, label: bytes) -> dict:
    labels = rng.integers(0, 10, size=n)
    colours = np.linspace(0, 255, 10)[labels][:, None]
    data = np.clip(colours + rng.normal(0, 40, size=(n, 3072)), 0, 255).astype(np.uint8)
    return {b"batch_label": label, b"labels": [int(v) for v in labels], b"data": data,
            b"filenames": [b"img_%05d.png" % i for i in range(n)]}


def main(out_dir: str, per_batch: int = 200) -> None:
    folder = Path(out_dir) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(1, 6):
        dump(batch(rng, per_batch, b"training batch %d of 5" % i), folder / f"data_batch_{i}")
    dump(batch(rng, per_batch, b"testing batch 1 of 1"), folder / "test_batch")
    dump({b"label_names": [name.encode() for name in LABEL_NAMES], b"num_cases_per_batch": per_batch,
          b"num_vis": 3072}, folder / "batches.meta")
    print(f"wrote {folder} ({per_batch} images per batch)")


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:3]))
