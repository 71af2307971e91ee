"""What must import without torch or TensorFlow: launch detection, the entrypoints' flag parsers and
run plans, and submit (they run on the host, in `--help`, and before a framework is loaded).

They are imported in a fresh interpreter in which importing torch, tensorflow, deepspeed or horovod
raises, so the test fails on a host that has them installed too, naming the file that pulled one in.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("torch", "tensorflow", "deepspeed", "horovod")
PACKAGES = ("train.launch_env", "submit", "submit.rehearsal")
MODULES = (
    "train.env", "train.launch", "train.common.common_flags", "train.common.faults.entrypoint",
    "train.rehearsal.site.trainyard_rehearsal.import_hooks",
    "train.pytorch.backend", "train.pytorch.__main__", "train.pytorch.horovod.__main__",
    "train.pytorch.deepspeed.__main__", "train.pytorch.deepspeed.flags", "train.pytorch.deepspeed.support",
    "train.pytorch.deepspeed.launch", "train.tensorflow.__main__", "train.tensorflow.cluster",
    "train.tensorflow.roles", "train.tensorflow.parameter_server",
)
BLOCKER = f"""
import importlib.abc, sys, traceback
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {FRAMEWORKS!r}:
            who = [f.filename for f in traceback.extract_stack() if "/train/" in f.filename or "/submit/" in f.filename]
            raise ImportError(f"{{name}} imported by {{who[-1] if who else '?'}}")
sys.meta_path.insert(0, Block())
import importlib
for module in sys.argv[1:]:
    try:
        importlib.import_module(module)
    except ImportError as exc:
        print(f"{{module}}: {{exc}}")
"""


def _pure_modules() -> list[str]:
    found = list(MODULES)
    for package in PACKAGES:
        path = ROOT.joinpath(*package.split("."))
        found += [package] + [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(path)])
                              if m.name != "examples"]
    return found


def test_pure_modules_import_without_a_framework() -> None:
    modules = _pure_modules()
    assert len(modules) > 30, modules
    result = subprocess.run([sys.executable, "-c", BLOCKER, *modules], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == "", "imported a framework:\n" + result.stdout


def test_the_blocker_catches_a_framework_import() -> None:
    result = subprocess.run([sys.executable, "-c", BLOCKER, "train.pytorch.process_group"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert "torch imported by" in result.stdout and "process_group.py" in result.stdout, result.stdout
