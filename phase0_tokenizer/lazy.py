"""Lazy package re-exports (PEP 562), shared by the phase packages.

A package `__init__` that imported its modules eagerly would load, say,
`phase0_tokenizer.corpus` before `python -m phase0_tokenizer.corpus` runs it as
`__main__`, and runpy warns about exactly that. Instead each package lists
`name -> module` and resolves a name on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable, Callable]:
    """(__getattr__, __dir__) for a package whose public names live in `exports` (name -> module)."""
    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name]), name)

    def __dir__() -> list[str]:
        return sorted(set(vars(importlib.import_module(package))) | set(exports))

    return __getattr__, __dir__
