"""Every third-party package that gateway/ imports is declared in pyproject.toml (issue 10.9)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(package: Path) -> dict[str, str]:
    """Top-level names of absolute imports in every module of `package` -> a file using it."""
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra, deps in project.get("optional-dependencies", {}).items():
        if extra != "dev":  # what the daemon imports must not depend on the test tools
            specs += deps
    return {canonical(re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0]) for spec in specs}


def test_every_third_party_import_is_declared() -> None:
    distributions = packages_distributions()
    wanted = declared()
    missing = []
    for module, where in imported_modules(ROOT / "gateway").items():
        if module in sys.stdlib_module_names or module in ("gateway", "__future__"):
            continue
        dists = {canonical(d) for d in distributions.get(module, [])}
        if not dists & wanted:
            missing.append(f"{module} (used in {where}; distribution {sorted(dists) or '?'})")
    assert not missing, "declare in pyproject.toml dependencies: " + ", ".join(missing)


def test_the_check_sees_real_imports() -> None:
    modules = imported_modules(ROOT / "gateway")
    assert {"aiosmtpd", "aiohttp", "lxml", "click"} <= set(modules)
