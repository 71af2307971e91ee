"""Imported by Python at start in every process of a rehearsal (this folder is first on PYTHONPATH).

It installs the import hooks of trainyard_rehearsal (beside it) (see train/rehearsal/__init__.py), then runs the
sitecustomize it shadows (the distribution's, if any), so nothing else changes.
"""

import importlib.machinery
import importlib.util
import os
import sys


def _run_the_shadowed_sitecustomize() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    path = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


from trainyard_rehearsal.import_hooks import install  # noqa: E402 - beside this file, on PYTHONPATH

install(cpu_fallback=os.environ.get("TRAINYARD_CPU_FALLBACK") == "1")
_run_the_shadowed_sitecustomize()
