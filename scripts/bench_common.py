"""What the bench and fault scripts share: scripts/bench-load, loaded as a module.

scripts/bench-load is a program (no .py suffix, run by its shebang); the other
scripts reuse its sandbox, SIPp, app and relay helpers through `load_bench_load()`.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def load_bench_load():
    """scripts/bench-load as the module `bench_load` (registered in sys.modules, where
    dataclasses look their module up)."""
    if "bench_load" in sys.modules:
        return sys.modules["bench_load"]
    path = REPO / "scripts" / "bench-load"
    loader = importlib.machinery.SourceFileLoader("bench_load", str(path))
    spec = importlib.util.spec_from_loader("bench_load", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = module
    loader.exec_module(module)
    return module
