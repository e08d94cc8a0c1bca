"""The structure holds: the layers contract (import-linter), no import hidden in a function to dodge a
cycle, and no service reading the request or the logged-in user (docs/ARCHITECTURE.md)."""
import ast
import re
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


# What a COMMIT keeps of a transaction that wrote nothing, where a ROLLBACK would not: lms.db_engine ends such a
# transaction with a COMMIT (keep_prepared_statements), so the app must not send any of it. A transaction of SELECTs
# alone is committed without asking the server whether it wrote, so no SELECT may write either (SELECT ... INTO
# creates a table).
KEPT_BY_A_COMMIT = re.compile(r"^\s*(SET\s+(?!LOCAL\b)(SESSION\s+)?[a-z_]+|LISTEN\b|UNLISTEN\b|NOTIFY\b"
                              r"|DECLARE\b.*\bWITH HOLD\b|SELECT\b.*\b(pg_notify|set_config)\("
                              r"|SELECT\b[^;]*\bINTO\s)", re.DOTALL)


def test_no_statement_leaves_what_a_commit_would_keep_of_a_reading_transaction():
    found = [(path.relative_to(PROJECT_ROOT), node.lineno, node.value)
             for path, tree in _modules() for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEPT_BY_A_COMMIT.search(node.value)]
    assert found == []
    assert KEPT_BY_A_COMMIT.search("SET search_path TO x") and KEPT_BY_A_COMMIT.search("NOTIFY jobs")
    assert not KEPT_BY_A_COMMIT.search("SET LOCAL lock_timeout = '1s'")
    assert KEPT_BY_A_COMMIT.search("SELECT set_config('search_path', 'x', false)")
    assert KEPT_BY_A_COMMIT.search("SELECT * INTO copy FROM attempt")
    assert not KEPT_BY_A_COMMIT.search("INSERT INTO attempt SELECT * FROM given")
    assert not KEPT_BY_A_COMMIT.search("Set up an authenticator app first.")  # prose, not a statement
