"""netcore/ knows nothing about cases: it never imports the cases app."""

import ast
from pathlib import Path

NETCORE = Path(__file__).resolve().parents[2] / "netcore"


def test_no_netcore_module_imports_cases():
    offenders = []
    for path in NETCORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "cases"]

    assert offenders == []
