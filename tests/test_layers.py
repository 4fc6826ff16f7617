"""How the apps lean on each other: helpers every app uses live on the ground floor (core),
so no app reaches into another app's private modules or private names."""

from __future__ import annotations

import ast
from pathlib import Path

import edcoop

ROOT = Path(edcoop.__file__).parent


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) for every import in the file, function-local ones included."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, a.name, []) for a in node.names)
    return out


def test_no_app_imports_another_apps_private_modules_or_names() -> None:
    problems = []
    for path in sorted(ROOT.rglob("*.py")):
        app = path.relative_to(ROOT).parts[0]
        for line, module, names in _imports(path):
            parts = module.split(".")
            if parts[0] != "edcoop" or len(parts) < 2 or parts[1] == app:
                continue
            private = [p for p in parts[2:] if p.startswith("_") and not p.startswith("__")]
            private += [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private:
                where = path.relative_to(ROOT)
                problems.append(f"{where}:{line} takes {', '.join(private)} from {module}")
    assert problems == [], "move what several apps share to edcoop.core:\n" + "\n".join(problems)
