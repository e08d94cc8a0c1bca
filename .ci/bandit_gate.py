"""Static analysis gate: bandit over the application, failing on any medium or high finding that is not
annotated, on its line, with the finding's id and the reason it is safe:

    yaml.load(text, Loader=SafeSubclass)  # nosec B506: a SafeLoader subclass, no arbitrary objects

A bare `# nosec` (no id, or no reason) does not count. Low findings are listed as a count only.
Usage: .venv/bin/python .ci/bandit_gate.py [PATH ...]   (default: lms)
"""
import json
import re
import subprocess  # nosec B404: runs bandit itself, by this interpreter, without a shell
import sys
from pathlib import Path

GATING = {"MEDIUM", "HIGH"}
ANNOTATION = re.compile(r"#\s*nosec\s+(?P<ids>B\d+(?:\s*,\s*B\d+)*)\s*:\s*(?P<reason>\S.*)")


def annotated_ids(line: str) -> set[str]:
    """The test ids a line excuses with a reason (`# nosec B603, B607: why`)."""
    match = ANNOTATION.search(line)
    if match is None or len(match.group("reason").strip()) < 10:
        return set()
    return {part.strip() for part in match.group("ids").split(",")}


def run_bandit(paths: list[str]) -> dict:
    """Bandit's JSON report over ``paths``, every finding included (annotations are judged here)."""
    command = [sys.executable, "-m", "bandit", "-r", *paths, "-f", "json", "-q", "--ignore-nosec"]
    result = subprocess.run(  # nosec B603: this interpreter, a fixed argument list, no shell
        command, capture_output=True, text=True, check=False)
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        sys.exit(f"bandit did not run (exit status {result.returncode}):\n{result.stderr}")


def unexplained(report: dict) -> tuple[list[dict], int, int]:
    """(gating findings without a reasoned annotation, gating findings excused, low findings)."""
    failures, excused, low = [], 0, 0
    for finding in report["results"]:
        if finding["issue_severity"] not in GATING:
            low += 1
            continue
        lines = Path(finding["filename"]).read_text().splitlines()
        span = finding.get("line_range") or [finding["line_number"]]
        if any(finding["test_id"] in annotated_ids(lines[n - 1]) for n in span if 0 < n <= len(lines)):
            excused += 1
        else:
            failures.append(finding)
    return failures, excused, low


def main(argv: list[str]) -> int:
    """Run the gate; print each unexplained finding and a one-line summary; 1 if any, else 0."""
    report = run_bandit(argv or ["lms"])
    for error in report.get("errors", []):
        print(f"bandit could not scan {error['filename']}: {error['reason']}")
    failures, excused, low = unexplained(report)
    for finding in failures:
        print(f"{finding['filename']}:{finding['line_number']}: {finding['test_id']} "
              f"({finding['issue_severity'].lower()}) {finding['issue_text']}")
    if failures:
        print("Fix each, or if it is a false positive say why on its line: `# nosec BXXX: reason`.")
    print(f"bandit: {len(failures)} unexplained medium/high finding(s), {excused} annotated with a reason, "
          f"{low} low (not gating).")
    return 1 if failures or report.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
