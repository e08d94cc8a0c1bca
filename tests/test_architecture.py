"""The structure holds: the layers contract (import-linter), no import hidden in a function to dodge a
cycle, and no service reading the request or the logged-in user (docs/ARCHITECTURE.md)."""
import ast
import subprocess
import sys
import tomllib
from pathlib import Path

from .conftest import PROJECT_ROOT

LMS = PROJECT_ROOT / "lms"
# The web layer and its infrastructure may read the request and the logged-in user; nothing else may.
WEB = {"app.py", "security.py", "session_rules.py"}
WEB_PACKAGES = {"views", "forms"}
REQUEST_NAMES = {("flask", "request"), ("flask", "session"), ("flask", "g"), ("flask_login", "current_user")}


def _modules():
    for path in sorted(LMS.rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def test_the_layers_contract_is_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr  # names the offending import


def test_no_module_of_the_package_is_imported_inside_a_function():
    hidden = []
    for path, tree in _modules():
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and id(node) not in top and (node.module or "").startswith("lms"):
                hidden.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} from {node.module}")
            elif isinstance(node, ast.Import) and id(node) not in top:
                hidden += [f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} import {alias.name}"
                           for alias in node.names if alias.name.startswith("lms")]
    assert hidden == []


def test_services_never_read_the_request_or_the_logged_in_user():
    readers = []
    for path, tree in _modules():
        relative = path.relative_to(LMS)
        if relative.parts[0] in WEB_PACKAGES or str(relative) in WEB:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                readers += [f"lms/{relative}:{node.lineno} {node.module}.{alias.name}" for alias in node.names
                            if (node.module, alias.name) in REQUEST_NAMES]
    assert readers == []


def test_every_page_module_is_in_the_independence_contract():
    contracts = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    independent = {m for c in contracts if c["type"] == "independence" for m in c["modules"]}
    blueprints = {f"lms.views.{path.stem}" for path in (LMS / "views").glob("*.py") if "Blueprint(" in path.read_text()}
    assert blueprints and blueprints == independent
