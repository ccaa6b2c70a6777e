"""Package boundaries: metrics is pure maths, data and transforms know no engine, features knows no engine.

Two checks per package. At run time: a fresh interpreter imports every module of the
package, one after another, and after each import looks in ``sys.modules`` for the
packages it must not load (the first module that brings one in is named). Statically:
every ``import`` statement of the package's files, those inside functions included,
resolved to an absolute module name, must stay outside the forbidden packages. (One
interpreter per package rather than per module: each start costs an import of torch,
and the module-by-module check names the culprit all the same.)
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import vistakit

SRC = Path(vistakit.__file__).parent

# package -> the vistakit packages it must not import
FORBIDDEN = {
    "metrics": ("vistakit.models", "vistakit.engine", "vistakit.features", "vistakit.cli"),
    "data": ("vistakit.engine", "vistakit.features", "vistakit.cli"),
    "transforms": ("vistakit.engine", "vistakit.features", "vistakit.cli"),
    "features": ("vistakit.engine", "vistakit.cli"),
}


def modules_of(package: str) -> list[str]:
    """Every module of ``vistakit.<package>`` (the package itself first), from its files."""
    root = SRC / package
    names = [f"vistakit.{package}"]
    for f in sorted(root.rglob("*.py")):
        parts = f.relative_to(SRC.parent).with_suffix("").parts
        if parts[-1] != "__init__":
            names.append(".".join(parts))
    return names


def imported_modules(source: str, module: str, *, is_package: bool = False) -> list[tuple[int, str]]:
    """``(line, absolute module name)`` of every import in ``source``, relative ones resolved
    against ``module`` (nested imports included; ``from x import y`` counts ``x`` and ``x.y``)."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - (node.level - 1)] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{a.name}") for a in node.names]
    return found


def _is_in(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_import_resolution_sees_relative_lazy_and_absolute_imports():
    src = (
        "from ..models import create_model\n"
        "def f():\n    from .. import engine\n    import vistakit.cli._main\n"
        "from ._generation import frechet_distance\n"
    )
    names = [n for _, n in imported_modules(src, "vistakit.metrics._x")]
    assert "vistakit.models" in names and "vistakit.engine" in names and "vistakit.cli._main" in names
    assert "vistakit.metrics._generation" in names
    init = [n for _, n in imported_modules("from ._io import load_images\n", "vistakit.metrics", is_package=True)]
    assert "vistakit.metrics._io" in init
    assert [n for n in names if _is_in(n, FORBIDDEN["metrics"])]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_forbidden_import_statements(package):
    bad = []
    for f in sorted((SRC / package).rglob("*.py")):
        module = ".".join(f.relative_to(SRC.parent).with_suffix("").parts)
        is_package = f.name == "__init__.py"
        if is_package:
            module = module.rsplit(".", 1)[0]
        for line, name in imported_modules(f.read_text(encoding="utf-8"), module, is_package=is_package):
            if _is_in(name, FORBIDDEN[package]):
                bad.append(f"{f.relative_to(SRC.parent)}:{line} imports {name}")
    assert not bad, f"vistakit.{package} must not import {', '.join(FORBIDDEN[package])}:\n" + "\n".join(bad)


_PROBE = """
import importlib, json, sys
forbidden = tuple(sys.argv[2].split(","))
for name in sys.argv[1].split(","):
    importlib.import_module(name)
    loaded = sorted(m for m in sys.modules if any(m == p or m.startswith(p + ".") for p in forbidden))
    if loaded:
        print(json.dumps({"module": name, "loaded": loaded}))
        break
else:
    print(json.dumps({"module": None, "loaded": []}))
"""


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_importing_each_module_loads_no_forbidden_package(package):
    modules = modules_of(package)
    assert len(modules) > 1
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, ",".join(modules), ",".join(FORBIDDEN[package])],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(SRC.parent)},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["module"] is None, f"importing {result['module']} loaded {result['loaded'][:5]}"
