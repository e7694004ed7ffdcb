"""Services and models have no widgets (import-linter cannot name PySide6.QtWidgets itself)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "litdesk"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["services", "models", "domain"])
def test_no_widgets_below_the_views(package: str) -> None:
    offenders = {str(path.relative_to(ROOT)): sorted(n for n in _imports(path) if "QtWidgets" in n)
                 for path in (ROOT / package).rglob("*.py")}
    assert {path: names for path, names in offenders.items() if names} == {}
    assert offenders, f"no modules found under {package}"
