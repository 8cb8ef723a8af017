"""The agreement test: the service table, the entry points, the fleet, compose, Caddy and
Kubernetes name the same services with the same ports and prefixes.

The committed files are read back and checked against the table directly (not against
the generator), and they must equal what `waddlebot deploy render` writes, so a table
change without a re-render, a hand edit, or a generator bug each fail here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from flask_core import service_table
from waddlebot_cli import deploy, fleet, serve

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "k8s" / "base"
INFRA = {"postgres", "redis", "migrate", "caddy"}


def installed_rows() -> list[service_table.Service]:
    present = service_table.installed()
    return [s for s in service_table.SERVICES if s.prefix in present]


def dns(prefix: str) -> str:
    return prefix.replace("_", "-")


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def k8s_docs() -> list[dict[str, Any]]:
    return [doc for path in sorted(BASE.glob("*.yaml")) for doc in load_all(path)]


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in k8s_docs() if d["kind"] == kind}


def test_committed_files_are_what_the_table_gives() -> None:
    assert deploy.stale(ROOT) == [], "run `uv run waddlebot deploy render` and commit the result"


def test_a_hand_edit_is_reported(tmp_path: Path) -> None:
    for path, text in deploy.render().items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    assert deploy.stale(tmp_path) == []
    compose = tmp_path / "docker-compose.yml"
    compose.write_text(compose.read_text().replace("'8100'", "'8199'"))
    (tmp_path / "deploy/k8s/base/pdb.yaml").unlink()
    assert deploy.stale(tmp_path) == ["docker-compose.yml", "deploy/k8s/base/pdb.yaml"]
    check = subprocess.run(
        [sys.executable, "-m", "waddlebot_cli.main", "deploy", "render", "--check", "--root", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert check.returncode == 1 and "out of date: docker-compose.yml" in check.stderr


def test_every_installed_service_has_an_entry_point_and_a_fleet_process() -> None:
    rows = installed_rows()
    assert rows, "no service is installed"
    for row in rows:
        serve.check_prefix(row.prefix)  # `waddlebot serve <prefix>` accepts it
    assert [s.prefix for s in fleet.fleet_services()] == [s.prefix for s in rows]
    ports, held = fleet.plan_ports(rows, auto=True)
    try:
        env = fleet.service_env({}, ports)
        assert {k for k in env if k.endswith("_URL")} == {f"{s.prefix.upper()}_URL" for s in rows}
    finally:
        for sock in held:
            sock.close()


def test_compose_has_every_service_with_its_port_health_check_and_the_migration_first() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    rows = installed_rows()
    assert set(services) == INFRA | {dns(s.prefix) for s in rows}
    for row in rows:
        svc = services[dns(row.prefix)]
        assert svc["command"] == ["serve", row.prefix]
        assert svc["environment"]["PORT"] == str(row.port)
        assert svc["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert f":{row.port}/healthz" in " ".join(svc["healthcheck"]["test"])
        for other in rows:  # every service finds every other one on its table port
            assert (
                svc["environment"][f"{other.prefix.upper()}_URL"]
                == f"http://{dns(other.prefix)}:{other.port}"
            )
        assert "ports" not in svc  # one public port: the proxy's
    assert [name for name, svc in services.items() if "ports" in svc] == ["caddy"]
    assert services["migrate"]["command"] == ["migrate"]
    assert "--appendonly" in services["redis"]["command"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    assert all("healthcheck" in services[n] for n in services if n not in ("migrate", "caddy"))


def test_caddy_routes_every_prefix_to_its_service() -> None:
    text = (ROOT / "deploy/caddy/Caddyfile").read_text()
    for row in installed_rows():
        assert f"@{row.prefix} path /{row.prefix} /{row.prefix}/*" in text
        block = text.split(f"handle @{row.prefix} {{", 1)[1].split("}", 1)[0]
        assert block.strip() == f"reverse_proxy {dns(row.prefix)}:{row.port}"


def test_kubernetes_has_a_deployment_service_and_ingress_path_per_service_on_its_port() -> None:
    deployments, services = by_kind("Deployment"), by_kind("Service")
    (ingress,) = by_kind("Ingress").values()
    paths = {p["path"]: p["backend"]["service"] for p in ingress["spec"]["rules"][0]["http"]["paths"]}
    rows = installed_rows()
    assert set(deployments) == set(services) == {dns(s.prefix) for s in rows}
    config = by_kind("ConfigMap")["waddlebot-config"]["data"]
    for row in rows:
        pod = deployments[dns(row.prefix)]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["args"] == ["serve", row.prefix]
        assert container["ports"][0]["containerPort"] == row.port
        assert {"name": "PORT", "value": str(row.port)} in container["env"]
        assert services[dns(row.prefix)]["spec"]["ports"][0]["port"] == row.port
        assert paths[f"/{row.prefix}"] == {"name": dns(row.prefix), "port": {"number": row.port}}
        assert config[f"{row.prefix.upper()}_URL"] == f"http://{dns(row.prefix)}:{row.port}"
    scaled = {s.prefix for s in rows if s.prefix == "router" or s.kind in ("collector", "ai")}
    assert set(by_kind("HorizontalPodAutoscaler")) == {dns(p) for p in scaled}
    assert set(by_kind("PodDisruptionBudget")) == {dns(s.prefix) for s in rows}
    (job,) = by_kind("Job").values()
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]


def test_the_spa_at_root_goes_to_portal_api_which_the_image_gives_the_built_spa() -> None:
    """ARCHITECTURE §12: `/` is portal_api's (Ingress, Caddy); the image carries dist."""
    (ingress,) = by_kind("Ingress").values()
    paths = ingress["spec"]["rules"][0]["http"]["paths"]
    portal = next(s for s in installed_rows() if s.prefix == "portal")
    assert paths[-1] == {  # the last, least specific path: every prefix is matched before it
        "path": "/", "pathType": "Prefix",
        "backend": {"service": {"name": "portal", "port": {"number": portal.port}}},
    }  # fmt: skip
    caddy = (ROOT / "deploy/caddy/Caddyfile").read_text()
    assert caddy.rsplit("handle {", 1)[1].split("}", 1)[0].strip() == f"reverse_proxy portal:{portal.port}"
    dockerfile = (ROOT / "Dockerfile").read_text()
    node, python = dockerfile.split("FROM python:3.13-slim AS build", 1)
    assert "FROM node:20-slim AS portal" in node and "npm ci" in node and "vite build" in node
    assert (
        "COPY --from=portal --chown=root:root /src/portal_frontend/dist /app/portal_frontend/dist" in python
    )
    assert "PORTAL_DIST_DIR=/app/portal_frontend/dist" in python
    assert "portal_frontend/dist" in (ROOT / ".dockerignore").read_text().split()  # built in the image


def test_every_container_is_hardened_probed_and_drains_before_it_is_killed() -> None:
    pods = [d["spec"]["template"]["spec"] for d in k8s_docs() if d["kind"] in ("Deployment", "Job")]
    for pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}} in pod["volumes"]
        for c in pod["containers"]:
            sc = c["securityContext"]
            assert sc["runAsNonRoot"] and sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"]
            assert sc["capabilities"] == {"drop": ["ALL"]}
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
            assert set(c["resources"]) == {"requests", "limits"}
            assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]
            if "ports" in c:
                assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
                assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
                assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
                drain = float(by_kind("ConfigMap")["waddlebot-config"]["data"]["SERVE_GRACEFUL_TIMEOUT"])
                assert (
                    pod["terminationGracePeriodSeconds"]
                    > drain + c["lifecycle"]["preStop"]["sleep"]["seconds"]
                )


def test_network_policies_allow_exactly_the_edges_of_the_table() -> None:
    policies = by_kind("NetworkPolicy")
    rows = installed_rows()
    here = {s.prefix for s in rows}
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for row in rows:
        spec = policies[dns(row.prefix)]["spec"]
        allowed_out = {
            (
                rule["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"],
                rule["ports"][0]["port"],
            )
            for rule in spec["egress"]
            if "to" in rule
        }
        wanted_out = {
            (dns(p), service_table.service(p).port) for p in service_table.callees(row.prefix) if p in here
        }
        assert allowed_out == wanted_out, row.prefix
        callers = {
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
            for rule in spec["ingress"]
            for peer in rule["from"]
            if "podSelector" in peer
        }
        assert callers == {dns(s.prefix) for s in rows if row.prefix in service_table.callees(s.prefix)}
        assert all(rule["ports"] == [{"protocol": "TCP", "port": row.port}] for rule in spec["ingress"])
    # the router reaches every installed collector and module; memories answers only the router
    assert ("twitch", 8110) in {
        (r["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"], r["ports"][0]["port"])
        for r in policies["router"]["spec"]["egress"]
        if "to" in r
    }


def test_a_new_row_in_the_table_reaches_every_file() -> None:
    extra = service_table.Service("quiz", "interaction", 8139, calls=("router",))
    files = deploy.render([*installed_rows(), extra])
    compose = yaml.safe_load(files["docker-compose.yml"])
    assert compose["services"]["quiz"]["command"] == ["serve", "quiz"]
    assert "reverse_proxy quiz:8139" in files["deploy/caddy/Caddyfile"]
    kinds = {
        (d["kind"], d["metadata"]["name"])
        for path, text in files.items()
        if path.startswith("deploy/k8s")
        for d in yaml.safe_load_all(text)
        if d
    }
    assert {
        ("Deployment", "quiz"),
        ("Service", "quiz"),
        ("NetworkPolicy", "quiz"),
        ("PodDisruptionBudget", "quiz"),
    } <= kinds
    assert "path: /quiz" in files["deploy/k8s/base/ingress.yaml"]
    router_policy = next(
        d
        for d in yaml.safe_load_all(files["deploy/k8s/base/networkpolicies.yaml"])
        if d["metadata"]["name"] == "router"
    )
    assert {"protocol": "TCP", "port": 8139} in [r["ports"][0] for r in router_policy["spec"]["egress"]]


@pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl is not installed (make k8s-check needs it)"
)
def test_every_overlay_builds_without_warnings() -> None:
    for overlay in ("dev", "prod"):
        built = subprocess.run(
            ["kubectl", "kustomize", str(ROOT / "deploy/k8s/overlays" / overlay)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert built.returncode == 0 and built.stderr == "", built.stderr
        docs = [d for d in yaml.safe_load_all(built.stdout) if d]
        assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == {"waddlebot"}
