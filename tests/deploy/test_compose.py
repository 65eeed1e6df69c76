"""docker-compose.yml has the structure the README promises (no Docker runs here, so it is parsed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from tracegraph import connect
from tracegraph.api.keys import ApiKeys
from tracegraph.cli import app
from tracegraph.errors import Unauthenticated

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    return env if isinstance(env, dict) else dict(item.split("=", 1) for item in env)


def test_neo4j_is_community_5_with_auth_from_the_environment_a_volume_and_a_healthcheck(
        compose: dict[str, Any]) -> None:
    neo4j = compose["services"]["neo4j"]
    assert re.fullmatch(r"neo4j:5(\.\d+)*-community", neo4j["image"])
    auth = _env(neo4j)["NEO4J_AUTH"]
    assert re.fullmatch(r"neo4j/\$\{NEO4J_PASSWORD:\?[^}]+\}", auth)  # required, never a literal password
    volume, _, target = neo4j["volumes"][0].partition(":")
    assert target == "/data" and volume in compose["volumes"]
    check = neo4j["healthcheck"]
    assert "cypher-shell" in " ".join(check["test"]) and "RETURN 1" in " ".join(check["test"])
    assert check["retries"] >= 3 and "interval" in check


def test_tracegraph_services_reach_neo4j_by_service_name_with_the_same_password(compose: dict[str, Any]) -> None:
    for name in ("api", "loader"):
        env = _env(compose["services"][name])
        assert env["TRACEGRAPH_DB"] == "neo4j://neo4j:7687"
        assert env["TRACEGRAPH_NEO4J_PASSWORD"].startswith("${NEO4J_PASSWORD:?")


def test_api_and_loader_start_once_neo4j_is_healthy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("api", "loader"):
        assert services[name]["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert services["api"]["depends_on"]["loader"]["condition"] == "service_completed_successfully"
    assert services["loader"]["restart"] == "no"  # one-shot


def test_api_is_built_from_the_repository_dockerfile_and_published_on_loopback(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["api"]["build"] == "." and (ROOT / "Dockerfile").is_file()
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"pip install .*'\.\[api,neo4j\]'", dockerfile)
    assert '"tracegraph", "serve"' in dockerfile
    for service in services.values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port


def _loader_script(compose: dict[str, Any]) -> str:
    """The loader's shell script as the container runs it (compose turns `$$` into `$`)."""
    return compose["services"]["loader"]["command"][-1].replace("$$", "$")


def test_every_tracegraph_command_the_compose_file_runs_exists(compose: dict[str, Any]) -> None:
    command = typer.main.get_command(app)
    ran = [words.split() for words in re.findall(r"\btracegraph ([\w-]+(?: [\w-]+)?)", _loader_script(compose))]
    assert [w[0] for w in ran] == ["init", "demo", "apikey", "apikey", "apikey"]
    for words in ran:
        group = command.commands[words[0]]  # type: ignore[attr-defined]
        if words[0] == "apikey":
            assert words[1] in group.commands  # type: ignore[attr-defined]


def test_the_loaders_last_line_is_a_working_key_on_every_run(compose: dict[str, Any], tmp_path: Path) -> None:
    """The README reads the key with `docker compose logs --no-log-prefix loader | tail -1`: the loader's
    script is run here as is (on the embedded store), twice, with stdout and stderr in one stream as in the log."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "COLUMNS": "100", "DEMO_SERIALS": "300",
           "TRACEGRAPH_DB": str(tmp_path / "compose.db")}
    keys = []
    for _ in range(2):
        done = subprocess.run(["sh", "-c", _loader_script(compose)], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stdout[-3000:]
        keys.append(done.stdout.splitlines()[-1])
    with connect(env["TRACEGRAPH_DB"], read_only=True) as graph:
        api_keys = ApiKeys(graph.store)
        with pytest.raises(Unauthenticated):
            api_keys.verify(keys[0])  # the first run's key was revoked by the second
        assert api_keys.verify(keys[1]).role.value == "recall_coordinator"
        assert sorted(k.revoked_at is None for k in api_keys.list() if k.name == "compose-demo") == [False, True]


def test_compose_validates_where_a_compose_tool_is_installed() -> None:
    """Docker Compose's own schema check, where the machine has it (the parse above runs everywhere)."""
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose is not installed: the compose file was checked by parsing only")
    env = {**os.environ, "NEO4J_PASSWORD": "not-a-real-one"}
    done = subprocess.run([tool, "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    missing = subprocess.run([tool, "config", "-q"], cwd=ROOT, env={k: v for k, v in env.items()
                                                                      if k != "NEO4J_PASSWORD"},
                             capture_output=True, text=True, timeout=60, check=False)
    assert "NEO4J_PASSWORD" in missing.stderr  # refuses to start without a password
