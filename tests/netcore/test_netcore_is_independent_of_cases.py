"""netcore/ knows nothing about cases: it works in a project where the cases app cannot even be
imported (tests/netcore/netcore_alone.py), not merely without import lines naming it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_netcore_works_where_cases_cannot_be_imported():
    result = subprocess.run(
        [sys.executable, "-m", "tests.netcore.netcore_alone"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "netcore alone: 3 records" in result.stdout
