"""bandit finds no medium or high severity issue in the project's code (tests,
migrations and the virtualenv excluded)."""

import json
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
CODE = ["accounts", "sites", "placements", "mentoring", "interviews", "ipcop", "manage.py"]


def test_bandit_reports_no_medium_or_high_finding():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", *CODE, "-x", "*/tests/*,*/migrations/*",
         "--severity-level", "medium", "--confidence-level", "low", "-f", "json", "-q"],
        cwd=BASE_DIR, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    report = json.loads(result.stdout)
    findings = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
    ]
    assert findings == []
    assert report["metrics"]["_totals"]["loc"] > 1000  # it did scan the code
    assert not report["errors"], report["errors"]
