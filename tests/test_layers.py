"""Dependencies point downwards only, and the core runs without Textual.

See docs/ARCHITECTURE.md, 'Layers'.
"""

import ast
import subprocess
import sys
from pathlib import Path

import backoffice_tui

PACKAGE = Path(backoffice_tui.__file__).parent

# Which layers each layer may import. Top-level modules (resources) are shared.
ALLOWED = {
    "domain": {"domain"},
    "config": {"config", "domain"},
    "store": {"store", "domain"},
    "services": {"services", "store", "domain", "config"},
    "sync": {"sync", "services", "store", "domain", "config"},
    "io": {"io", "services", "domain", "config"},
    "demo": {"demo", "services", "store", "domain", "config"},
    "cli": {"cli", "services", "domain", "config", "io", "tui", "demo", "gateway"},
    "tui": {"tui", "services", "sync", "domain", "config", "io"},
    # console sessions behind the SSH gateway: above the console, below nothing but cli
    "gateway": {"gateway", "cli", "tui", "services", "config", "domain", "sync", "io"},
}
# The shared foundations at the top of services/; everything else is a concept package.
FOUNDATIONS = {"connection", "context", "events", "identity", "permissions"}
CORE = ["domain", "config", "store", "services", "sync", "io", "demo"]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_layers_import_downwards_only() -> None:
    violations = []
    for layer, allowed in ALLOWED.items():
        for path in (PACKAGE / layer).rglob("*.py"):
            for name in _imports(path):
                parts = name.split(".")
                if parts[0] != "backoffice_tui" or len(parts) < 2:
                    continue
                target = parts[1]
                if target in ALLOWED and target not in allowed:
                    violations.append(f"{path.relative_to(PACKAGE)} imports {name}")
                if layer in ("cli", "tui") and target == "store":
                    violations.append(f"{path.relative_to(PACKAGE)} touches the store directly")
    assert violations == []


def test_cli_and_tui_never_use_sqlalchemy() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for layer in ("cli", "tui", "gateway")
        for path in (PACKAGE / layer).rglob("*.py")
        if any(name.split(".")[0] == "sqlalchemy" for name in _imports(path))
    ]
    assert offenders == []


def test_the_core_imports_with_textual_blocked() -> None:
    script = f"""
import importlib, pkgutil, sys

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "textual":
            raise ImportError("textual is blocked in the core: " + name)
        return None

sys.meta_path.insert(0, Blocker())
import backoffice_tui
for layer in {CORE!r}:
    package = importlib.import_module("backoffice_tui." + layer)
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".migrations" not in module.name:  # run by Alembic, not importable alone
            importlib.import_module(module.name)
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_services_are_concept_packages_over_shared_foundations() -> None:
    services = PACKAGE / "services"
    loose = sorted(
        path.stem
        for path in services.glob("*.py")
        if path.stem != "__init__" and path.stem not in FOUNDATIONS
    )
    assert loose == []
    for package in (path for path in services.iterdir() if (path / "__init__.py").exists()):
        assert ast.get_docstring(ast.parse((package / "__init__.py").read_text())), package.name
