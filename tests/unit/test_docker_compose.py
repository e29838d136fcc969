"""docker-compose.yaml and the Dockerfile, checked offline (no Docker engine here).

The compose file against the compose-spec JSON schema; every Airflow service on the project's
image (the Dockerfile's `airflow` stage, FROM the official image of the pinned Airflow);
every service's command an existing Airflow or sandbox command or a script of the
repository, and every bind mount a path of the repository (or a runtime folder under the
git-ignored data/ that airflow-init creates). The requirements split: the image installs
requirements.txt only, and that file covers everything the product imports.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from importlib import metadata, resources
from pathlib import Path

import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-worker",
                    "airflow-triggerer", "airflow-init", "airflow-sandbox-connections"}


def _schema() -> dict:
    ref = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return json.loads(ref.read_text())


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _pinned(name: str, path: Path) -> str:
    for line in path.read_text().splitlines():
        m = re.fullmatch(rf"{re.escape(name)}(?:\[[^\]]*\])?==(\S+)", line.strip(), flags=re.IGNORECASE)
        if m:
            return m.group(1)
    raise AssertionError(f"{name} is not pinned in {path.name}")


def _stages() -> dict[str, list[str]]:
    """The Dockerfile's instructions per stage (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    stages: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if m := re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, flags=re.IGNORECASE):
            current = m.group(2) or m.group(1)
            stages[current] = [line]
        elif current:
            stages[current].append(line)
    return stages


def test_compose_file_is_valid_against_the_compose_spec():
    jsonschema.validate(_compose(), _schema())


def test_schema_catches_a_broken_file():
    broken = _compose()
    broken["services"]["postgres"]["ports"] = {"5432": 5432}  # ports is a list
    broken["volumes"] = ["postgres-db-volume"]  # volumes is a mapping
    errors = list(jsonschema.Draft7Validator(_schema()).iter_errors(broken))
    assert sorted(e.json_path for e in errors) == ["$.services.postgres.ports", "$.volumes"]


def test_dockerfile_base_image_is_the_pinned_airflow_on_python_311():
    version = _pinned("apache-airflow", ROOT / "requirements.txt")
    assert _pinned("apache-airflow", ROOT / "constraints.txt") == version
    stages = _stages()
    assert stages["airflow"][0].split()[1] == f"apache/airflow:{version}-python3.11"
    assert stages["sandbox"][0].split()[1].startswith("python:3.11")


def test_the_airflow_image_has_the_runtime_requirements_and_not_the_sandbox():
    airflow = " ".join(_stages()["airflow"])
    assert "-r /opt/project/requirements.txt" in airflow
    assert "requirements-dev" not in airflow and "requirements-sandbox" not in airflow
    copied = [line.split()[-2] for line in _stages()["airflow"] if line.startswith("COPY")]
    assert "include/support_ops" in copied and not any("sandbox" in c for c in copied)
    sandbox = " ".join(_stages()["sandbox"])
    assert "requirements-sandbox.txt" in sandbox and "requirements.txt " not in sandbox
    for line in _stages()["airflow"] + _stages()["sandbox"]:  # every COPY source exists
        if line.startswith("COPY"):
            for src in [w for w in line.split()[1:-1] if not w.startswith("--")]:
                assert (ROOT / src).exists(), f"Dockerfile copies {src}, which is not in the repository"


def test_every_airflow_service_runs_the_project_image_with_celery_postgres_and_redis():
    services = _compose()["services"]
    assert AIRFLOW_SERVICES | {"postgres", "redis", "sandbox"} <= set(services)
    for name in AIRFLOW_SERVICES:
        service = services[name]
        assert service["build"] == {"context": ".", "dockerfile": "Dockerfile", "target": "airflow"}, name
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:airflow@postgres/")
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://") and "@redis:6379" in env["AIRFLOW__CELERY__BROKER_URL"]
        assert json.loads(env["AIRFLOW_CONN_SUPPORT_WAREHOUSE"])["host"] == "postgres"
        targets = {v.split(":")[1] for v in service["volumes"]}
        assert {"/opt/airflow/dags", "/opt/airflow/plugins", "/opt/airflow/data"} <= targets, name
    assert services["sandbox"]["build"]["target"] == "sandbox"


def test_sandbox_is_an_optional_profile_and_the_connections_point_at_it():
    services = _compose()["services"]
    assert services["sandbox"]["profiles"] == ["sandbox"]
    assert services["airflow-sandbox-connections"]["profiles"] == ["sandbox"]
    assert all("profiles" not in s for n, s in services.items() if n not in ("sandbox", "airflow-sandbox-connections"))
    script = services["sandbox"]["command"][-1]
    assert "SANDBOX_HOST=sandbox python -m sandbox connections --out /sandbox-data/connections.json" in script
    assert services["sandbox"]["environment"]["SANDBOX_TLS_NAMES"] == "sandbox"  # TLS for that name
    assert services["airflow-sandbox-connections"]["command"] == \
        "connections import --overwrite /opt/sandbox-data/connections.json"
    assert "sandbox-data:/opt/sandbox-data:ro" in services["airflow-worker"]["volumes"]
    assert "sandbox-data:/sandbox-data" in services["sandbox"]["volumes"]


def test_sandbox_connections_name_the_sandbox_host(tmp_path):
    """What the sandbox service writes: every URL on host `sandbox`, none on loopback."""
    env = {"SANDBOX_HOST": "sandbox", "SANDBOX_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "sandbox", "connections"], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    text = json.dumps(json.loads(out))
    assert "sandbox:8701" in text and "https://sandbox:8702" in text and "https://sandbox:8703" in text
    assert "127.0.0.1" not in text


def _airflow_subcommands() -> set[str]:
    from airflow.cli.cli_parser import get_parser

    parser = get_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return set(sub.choices)


def _mounted_files(service: dict) -> dict[str, Path]:
    out = {}
    for v in service.get("volumes", []):
        src, target = v.split(":")[:2]
        if src.startswith("./"):
            out[target] = ROOT / src[2:]
    return out


@pytest.mark.slow  # Airflow's CLI parser and two sandbox processes: several seconds
def test_every_command_exists():
    services = _compose()["services"]
    airflow_commands = _airflow_subcommands()
    for name in AIRFLOW_SERVICES:
        command = services[name]["command"]
        if services[name].get("entrypoint") == "/bin/bash":  # a script of the repository, mounted
            script = command[0]
            mounted = _mounted_files(services[name])
            assert script in mounted, f"{name}: {script} is not mounted from the repository"
            assert mounted[script].is_file(), f"{name}: {mounted[script]} does not exist"
            subprocess.run(["bash", "-n", str(mounted[script])], check=True)
        else:  # the image's entrypoint runs `airflow <command>`
            assert command.split()[0] in airflow_commands, f"{name}: airflow {command} does not exist"
    assert "celery" in airflow_commands  # the provider that makes `airflow celery worker` is installed
    script = services["sandbox"]["command"][-1]
    for sub in re.findall(r"python -m sandbox (\w+)", script):
        done = subprocess.run([sys.executable, "-m", "sandbox", sub, "--help"], cwd=ROOT,
                              capture_output=True, text=True)
        assert done.returncode == 0, f"sandbox {sub}: {done.stderr[-500:]}"


def test_every_volume_path_exists_or_is_a_runtime_folder_airflow_init_creates():
    compose = _compose()
    init_lines = (ROOT / "scripts/compose_init.sh").read_text().splitlines()
    owned = " ".join(line for line in init_lines if line.startswith('chown -R "$AIRFLOW_UID:0"')).split()
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    for name, service in compose["services"].items():
        for v in service.get("volumes", []):
            src, target = v.split(":")[:2]
            if not src.startswith("./"):
                assert src in compose["volumes"], f"{name}: named volume {src} is not declared"
                continue
            rel = src[2:]
            if rel.split("/")[0] == "data":  # git-ignored runtime state: created and owned by init
                assert target in owned, f"{name}: {v}: airflow-init does not create and chown {target}"
                continue
            path = ROOT / rel
            assert path.exists(), f"{name}: {src} does not exist in the repository"
            assert any(t == rel or t.startswith(rel.rstrip("/") + "/") for t in tracked), \
                f"{name}: {src} exists here but is not in the repository (git)"


def _closure(requirement_files: list[str]) -> set[str]:
    """Distributions installed by these requirement files, with their dependencies."""
    todo: list[Requirement] = []
    for f in requirement_files:
        for line in (ROOT / f).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-"):
                todo.append(Requirement(line))
    seen: set[str] = set()
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        key = name + "[" + ",".join(sorted(req.extras)) + "]"
        if key in seen:
            continue
        seen.add(key)
        seen.add(name)
        try:
            requires = metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:
            continue
        for dep in map(Requirement, requires):
            extras = req.extras or {""}
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in extras):
                todo.append(dep)
    return {k for k in seen if "[" not in k}


def _imports(*folders: str) -> set[str]:
    names = set()
    for folder in folders:
        assert (ROOT / folder).is_dir(), f"{folder} does not exist: update the test to the layout"
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"support_ops", "sandbox", "__future__"}


@pytest.mark.slow  # reads the metadata of every installed distribution
@pytest.mark.parametrize(("folders", "files"), [
    (("include/support_ops", "dags", "plugins"), ["requirements.txt"]),
    (("sandbox/src/sandbox",), ["requirements-sandbox.txt"]),
])
def test_the_requirements_cover_what_the_code_imports(folders, files):
    """The image's requirements.txt covers the product; the sandbox's file covers the sandbox."""
    dists = metadata.packages_distributions()
    installed = _closure(files)
    missing = {}
    for module in sorted(_imports(*folders)):
        providers = {canonicalize_name(d) for d in dists.get(module, [])}
        assert providers, f"{module} (imported by {folders}) is not installed at all"
        if not providers & installed:
            missing[module] = sorted(providers)
    assert not missing, f"imported by {folders} but not installed by {files}: {missing}"


def test_test_tools_are_not_in_the_image_requirements():
    runtime = _closure(["requirements.txt"])
    for tool in ("pytest", "hypothesis", "ruff", "check-jsonschema", "uvicorn"):
        if tool == "uvicorn" and tool in runtime:  # Airflow's own API server runs on uvicorn
            continue
        assert tool not in runtime, f"{tool} would be installed into the Airflow image"
    dev = (ROOT / "requirements-dev.txt").read_text()
    assert "-r requirements-sandbox.txt" in dev and "pytest==" in dev
