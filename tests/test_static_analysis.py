"""The bandit gate of the CI: a medium or high finding fails it unless its line says, with the finding's
id, why it is safe. (The gate over lms/ itself is a step of .ci/run.)"""
import subprocess
import sys

from .conftest import PROJECT_ROOT

GATE = PROJECT_ROOT / ".ci" / "bandit_gate.py"
UNSAFE = "import yaml\n\n\ndef load(text):\n    return yaml.load(text, Loader=yaml.Loader){comment}\n"


def _gate(*paths):
    return subprocess.run([sys.executable, str(GATE), *map(str, paths)], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=120, check=False)


def test_only_a_finding_annotated_with_its_id_and_a_reason_passes(tmp_path):
    cases = {
        "unannotated.py": "",
        "bare_nosec.py": "  # nosec",
        "no_reason.py": "  # nosec B506",
        "wrong_id.py": "  # nosec B602: not this finding's id, so it does not count",
        "annotated.py": "  # nosec B506: the text is our own fixture, never user input",
    }
    for name, comment in cases.items():
        (tmp_path / name).write_text(UNSAFE.format(comment=comment))
    result = _gate(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    reported = {name for name in cases if f"/{name}:5: B506" in result.stdout}
    assert reported == set(cases) - {"annotated.py"}, result.stdout
    assert "4 unexplained medium/high finding(s), 1 annotated with a reason" in result.stdout

    assert _gate(tmp_path / "annotated.py").returncode == 0

