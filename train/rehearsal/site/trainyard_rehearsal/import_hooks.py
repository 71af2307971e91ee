"""Import hooks that patch a library right after the job imports it (importing them at start would slow
every process, and a process that never imports them is left alone)."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys

# module -> the modules of this package whose apply(module) patches it
ALWAYS = {"mlflow": ("trainyard_rehearsal.mlflow_paths",)}
CPU_FALLBACK = {"torch": ("trainyard_rehearsal.cpu_fallback_torch",),
                "deepspeed": ("trainyard_rehearsal.cpu_fallback_deepspeed",)}


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    def __init__(self, patches: dict[str, tuple[str, ...]]):
        self.patches = patches

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.patches:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        original_exec = spec.loader.exec_module

        def exec_module(module):
            original_exec(module)
            self.apply(fullname, module)

        spec.loader.exec_module = exec_module
        return spec

    def apply(self, name: str, module) -> None:
        for patcher in self.patches[name]:
            importlib.import_module(patcher).apply(module)


def install(cpu_fallback: bool) -> None:
    if any(isinstance(finder, _PatchAfterImport) for finder in sys.meta_path):
        return
    finder = _PatchAfterImport({**ALWAYS, **(CPU_FALLBACK if cpu_fallback else {})})
    for name, module in list(sys.modules.items()):
        if name in finder.patches:
            finder.apply(name, module)
    sys.meta_path.insert(0, finder)
