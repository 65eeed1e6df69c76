"""docker-compose.yml has the structure the README promises (no Docker runs here, so it is parsed)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from tracegraph.cli import app

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


def test_every_tracegraph_command_the_compose_file_runs_exists(compose: dict[str, Any]) -> None:
    command = typer.main.get_command(app)
    script = compose["services"]["loader"]["command"][-1]
    ran = [shlex.split(line.strip().removeprefix("if ! "))[1:3] for line in script.splitlines()
           if "tracegraph " in line]
    assert len(ran) == 4
    for words in ran:
        group = command.commands[words[0]]  # type: ignore[attr-defined]
        if words[0] == "apikey":
            assert words[1] in group.commands  # type: ignore[attr-defined]


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
