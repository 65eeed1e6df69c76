"""``--db`` is accepted before or after the command, as ``--db URL`` or ``--db=URL``, on every command.

The commands run through the real CLI (typer's CliRunner on the app, and the installed console script)
in a folder without the default ``tracegraph.db``, so an ignored ``--db`` cannot go unnoticed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from canonical import write_csv
from test_cli_contract import tables  # the same small plant as the CLI contract
from typer.testing import CliRunner

from tracegraph.cli import app

EXE = Path(sys.executable).with_name("tracegraph")


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding the tables and no default database; TRACEGRAPH_DB unset."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACEGRAPH_DB", raising=False)
    write_csv(tmp_path / "tables", tables().rows)
    return tmp_path


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_load_with_db_after_the_subcommand_writes_to_that_store(here: Path) -> None:
    code, out = cli("load", "tables", "tables", "--db", "after.db")
    assert code == 0, out
    assert (here / "after.db").exists() and not (here / "tracegraph.db").exists()
    code, out = cli("counts", "--json", "--db=after.db")
    assert code == 0, out
    assert json.loads(out)["Serial"] == 2


@pytest.mark.parametrize("command", [
    ["counts", "--json"],
    ["trace", "forward", "--lot", "R1", "--json"],
    ["trace", "backward", "--serial", "S1", "--json"],
    ["explain", "Customer:CUST-B", "--lot", "R1", "--json"],
    ["supplier-exposure", "SUP-A", "--json"],
    ["identify", "--json", "S1"],
], ids=lambda c: " ".join(c[:2]))
def test_db_after_the_command_gives_the_same_answer_as_before_it(here: Path, command: list[str]) -> None:
    assert cli("--db", "t.db", "load", "tables", "tables")[0] == 0
    before = cli("--db", "t.db", *command)
    assert before[0] == 0, before[1]
    assert cli(*command, "--db", "t.db") == before
    assert cli(*command, "--db=t.db") == before
    assert cli(command[0], "--db", "t.db", *command[1:]) == before


def test_console_script_takes_db_after_a_nested_command(here: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(EXE), *args], cwd=here, capture_output=True, text=True, timeout=120, check=False,
                              env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "NO_COLOR": "1"})
    assert run("load", "tables", "tables", "--db=sp.db").returncode == 0
    result = run("trace", "forward", "--lot", "R1", "--json", "--db", "sp.db")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["customers"] == ["CUST-A", "CUST-B"]


def test_the_last_db_wins_wherever_it_stands(here: Path) -> None:
    assert cli("--db", "t.db", "load", "tables", "tables")[0] == 0
    code, out = cli("--db", "absent.db", "counts", "--json", "--db", "t.db")
    assert code == 0 and json.loads(out)["Serial"] == 2
    code, out = cli("--db", "t.db", "counts", "--db", "absent.db")
    assert code == 2 and "no database at absent.db" in out


def test_double_dash_ends_the_options(here: Path) -> None:
    assert cli("--db", "t.db", "load", "tables", "tables")[0] == 0
    result = CliRunner().invoke(app, ["identify", "--json", "--db", "t.db", "--", "--db"])
    assert result.exit_code == 2
    assert "error (NOT_FOUND): no product, lot, serial or container in the store matches '--db'" in result.stderr
    data = json.loads(result.stdout)  # the text after --, read as a plain key (looked up in t.db), not as the option
    assert (data["text"], data["format"], data["records_looked_up"]) == ("--db", "plain", True)


def test_db_without_a_value_after_the_command_is_a_usage_error(here: Path) -> None:
    code, out = cli("counts", "--db")
    assert code == 2
    assert "'--db'" in out and "needs a value" in out


def test_no_subcommand_gives_db_another_meaning() -> None:
    """The precondition of moving --db to the front: no command below the root declares it."""
    def options(command: typer.core.TyperCommand | typer.core.TyperGroup, path: str) -> list[tuple[str, str]]:
        found = [(path, name) for p in command.params for name in p.opts + p.secondary_opts]
        for name, sub in getattr(command, "commands", {}).items():
            found += options(sub, f"{path} {name}")
        return found
    root = typer.main.get_command(app)
    below = [(path, name) for path, name in options(root, "tracegraph") if path != "tracegraph"]
    assert len({path for path, _ in below}) > 20  # the walk reached the commands
    assert [(path, name) for path, name in below if name == "--db"] == []
