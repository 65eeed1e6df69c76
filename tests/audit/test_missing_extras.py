"""A missing optional extra is a MissingExtra naming what to install, never a bare ImportError.

Each case runs in a child process whose import system really refuses one module
(``sys.modules[name] = None``), as on a machine where that extra was not installed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tracegraph

DATA = Path(__file__).resolve().parents[1] / "standards" / "data"

CASES = {
    "identify": ("biip", "standards", "tracegraph.connect(DB).identify('(01)09506000134352(10)L1')"),
    "module identify": ("biip", "standards", "tracegraph.identify('(01)09506000134352')"),
    "load epcis": ("biip", "standards",
                   f"tracegraph.connect(DB).load_epcis([{str(DATA / 'openepcis' / 'epcisDocWithAllGS1Keys.json')!r}])"),
    "load gudid": ("biip", "standards", f"tracegraph.connect(DB).load_gudid({str(DATA / 'openfda' / 'test.xml')!r})"),
    "gudid xml": ("lxml", "standards", f"tracegraph.connect(DB).load_gudid({str(DATA / 'openfda' / 'test.xml')!r})"),
    "neo4j url": ("neo4j", "neo4j", "tracegraph.connect('neo4j://localhost:7687')"),
    "to_pandas": ("pandas", "notebook", "import tracegraph.notebook; tracegraph.notebook.trace_frames(None)"),
}


def _child(blocked: str, code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent(f"""
        import sys
        sys.modules[{blocked!r}] = None  # the import system now refuses it, as if never installed
        import tracegraph
        DB = {str(tmp_path / 't.db')!r}
        try:
            {code}
        except tracegraph.MissingExtra as exc:
            print(exc.code, exc)
        else:
            print("no error")
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", list(CASES))
def test_a_missing_extra_is_a_domain_error_naming_it(case: str, tmp_path: Path) -> None:
    blocked, extra, code = CASES[case]
    done = _child(blocked, code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("MISSING_EXTRA "), done.stdout + done.stderr
    assert f"pip install 'tracegraph[{extra}]'" in done.stdout and repr(blocked) in done.stdout


@pytest.mark.parametrize(("blocked", "extra", "args"), [
    ("uvicorn", "api", ["serve"]),
    ("biip", "standards", ["identify", "(01)09506000134352"]),
    ("neo4j", "neo4j", ["--db", "bolt://localhost:7687", "counts"]),
])
def test_the_cli_says_which_extra_to_install(blocked: str, extra: str, args: list[str], tmp_path: Path) -> None:
    script = f"import sys; sys.modules[{blocked!r}] = None; from tracegraph.cli import app; app()"
    tracegraph.connect(str(tmp_path / "t.db")).close()  # an empty store to open
    argv = args if args[0] == "--db" else ["--db", str(tmp_path / "t.db"), *args]
    done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "MISSING_EXTRA" in done.stderr and f"pip install 'tracegraph[{extra}]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_module_of_no_extra_still_raises(tmp_path: Path) -> None:
    """Only an extra's own modules become MissingExtra; anything else missing is a bug and stays visible."""
    done = _child("tracegraph.loaders.gudid", "tracegraph.connect(DB).load_gudid('x.xml')", tmp_path)
    assert done.returncode == 1 and "ModuleNotFoundError" in done.stderr
