"""The Kubernetes manifests (deploy/k8s): each overlay renders with kustomize, passes strict schema
validation, and says what the deployment needs (probes, non-root, resources, WebSocket-friendly
ingress, placeholders only in secrets, settings the app really reads)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from api.settings import AppSettings
from channels.slack.settings import SlackSettings
from channels.webchat.settings import WebChatSettings
from channels.wechat.settings import WeChatSettings
from channels.wecom.settings import WeComSettings
from desk.settings import DeskSettings
from knowledge.settings import KnowledgeSettings
from tests.deploy.tools import K8S, KUBERNETES_VERSION, OVERLAYS, documents, of_kind, render, run, tool

PLACEHOLDER = "CHANGE_ME"
# What each component's probes ask, and on which port (the app: api/routes/health.py; Rasa has no
# /healthz, its `/` answers once the model is loaded).
HEALTH = {"app": ("/readyz", "/metrics", 8000), "rasa": ("/", "/", 5005)}


@cache
def rendered(overlay: str) -> str:
    return render(K8S / "overlays" / overlay)


@cache
def resources(overlay: str) -> list[dict[str, Any]]:
    return documents(rendered(overlay))


def by_name(overlay: str, kind: str, name: str) -> dict[str, Any]:
    [found] = [r for r in of_kind(resources(overlay), kind) if r["metadata"]["name"] == name]
    return found


def container_port(pod: dict[str, Any], container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    [number] = [p["containerPort"] for p in container["ports"] if p["name"] == port]
    return int(number)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_passes_strict_schema_validation(overlay: str) -> None:
    result = run([tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, "--quiet", "-"], rendered(overlay))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_rejects_a_field_kubernetes_does_not_know() -> None:
    """The check above can fail: a misspelt field in a rendered Deployment is refused."""
    deployment = by_name("production", "Deployment", "lumio-app")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 3}}
    result = run(
        [tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, "--quiet", "-"], yaml.safe_dump(broken)
    )
    assert result.returncode != 0


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_app_and_rasa_run_as_deployments_with_services_autoscalers_and_budgets(overlay: str) -> None:
    for component in HEALTH:
        name = f"lumio-{component}"
        deployment = by_name(overlay, "Deployment", name)
        assert deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == component
        service = by_name(overlay, "Service", name)
        assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
        autoscaler = by_name(overlay, "HorizontalPodAutoscaler", name)
        assert autoscaler["apiVersion"] == "autoscaling/v2"
        assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        [metric] = autoscaler["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        assert autoscaler["spec"]["minReplicas"] <= deployment["spec"]["replicas"] <= autoscaler["spec"]["maxReplicas"]
        budget = by_name(overlay, "PodDisruptionBudget", name)
        assert budget["spec"]["selector"] == deployment["spec"]["selector"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_probes_its_real_health_path(overlay: str) -> None:
    deployments = of_kind(resources(overlay), "Deployment")
    assert {d["metadata"]["labels"]["app.kubernetes.io/component"] for d in deployments} == set(HEALTH)
    for deployment in deployments:
        readiness_path, liveness_path, port = HEALTH[deployment["metadata"]["labels"]["app.kubernetes.io/component"]]
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        for probe, path in (("readinessProbe", readiness_path), ("livenessProbe", liveness_path)):
            get = container[probe]["httpGet"]
            assert (get["path"], container_port(pod, container, get["port"])) == (path, port), (deployment, probe)
        assert container["startupProbe"]["httpGet"]["path"] in (readiness_path, liveness_path)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_runs_as_non_root_on_a_read_only_root_with_resources(overlay: str) -> None:
    for deployment in of_kind(resources(overlay), "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001  # the uid the Dockerfiles create
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"] + pod.get("initContainers", []):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), (deployment["metadata"]["name"], kind)
            # What the process writes goes to a volume, /tmp included.
            mounts = {mount["mountPath"] for mount in container.get("volumeMounts", [])}
            if container in pod["containers"]:
                assert "/tmp" in mounts


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_app_rebuilds_its_index_on_a_volume_seeded_from_the_image(overlay: str) -> None:
    pod = by_name(overlay, "Deployment", "lumio-app")["spec"]["template"]["spec"]
    config = by_name(overlay, "ConfigMap", config_name(overlay, "lumio-app-config"))["data"]
    [seed] = pod["initContainers"]
    [app] = pod["containers"]
    assert seed["image"] == app["image"]
    index_dir = config["KNOWLEDGE_INDEX_DIR"]
    assert {m["mountPath"] for m in seed["volumeMounts"]} == {index_dir}
    assert index_dir in {m["mountPath"] for m in app["volumeMounts"]}
    assert seed["command"][-1].rstrip("/") == index_dir


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_ingress_keeps_websockets_open_and_sticks_sessions_by_cookie(overlay: str) -> None:
    [ingress] = of_kind(resources(overlay), "Ingress")
    notes = ingress["metadata"]["annotations"]
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(notes["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    assert notes["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"  # event streams
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert notes["nginx.ingress.kubernetes.io/session-cookie-name"]
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] in ingress["spec"]["tls"][0]["hosts"]
    backends = {path["backend"]["service"]["name"] for path in rule["http"]["paths"]}
    assert backends == {"lumio-app"}  # Rasa is never exposed


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_app_reaches_rasa(overlay: str) -> None:
    [policy] = of_kind(resources(overlay), "NetworkPolicy")
    assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "rasa"
    [rule] = policy["spec"]["ingress"]
    [source] = rule["from"]
    assert source["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "app"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_postgresql_and_redis_are_external_services(overlay: str) -> None:
    for name in ("postgres", "redis"):
        service = by_name(overlay, "Service", name)
        assert service["spec"]["type"] == "ExternalName"
        assert service["spec"]["externalName"]


def secret_values(overlay: str) -> dict[str, str]:
    import base64

    values: dict[str, str] = {}
    for secret in of_kind(resources(overlay), "Secret"):
        values |= {key: base64.b64decode(value).decode() for key, value in secret.get("data", {}).items()}
        values |= secret.get("stringData", {})
    return values


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_holds_anything_but_placeholders(overlay: str) -> None:
    for key, value in secret_values(overlay).items():
        assert PLACEHOLDER in value, f"{overlay}: {key} is not a placeholder"
    template = (K8S / "base" / "secret.example.env").read_text()
    for line in template.splitlines():
        if line and not line.startswith("#"):
            assert PLACEHOLDER in line.split("=", 1)[1], line


def test_production_makes_no_secret_and_dev_makes_every_one_the_pods_read() -> None:
    assert of_kind(resources("production"), "Secret") == []  # created beforehand from real values
    template_keys = {
        line.split("=", 1)[0]
        for line in (K8S / "base" / "secret.example.env").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert set(secret_values("dev")) == template_keys
    rasa = by_name("dev", "Deployment", "lumio-rasa")["spec"]["template"]["spec"]["containers"][0]
    assert {e["valueFrom"]["secretKeyRef"]["key"] for e in rasa["env"]} <= template_keys


def config_name(overlay: str, prefix: str) -> str:
    [name] = [
        c["metadata"]["name"]
        for c in of_kind(resources(overlay), "ConfigMap")
        if c["metadata"]["name"].startswith(prefix + "-")
    ]
    return name


def settings_variables() -> set[str]:
    """Every environment variable the app's settings classes read."""
    classes: list[type[BaseSettings]] = [
        AppSettings,
        DeskSettings,
        KnowledgeSettings,
        WebChatSettings,
        WeChatSettings,
        WeComSettings,
        SlackSettings,
    ]
    names: set[str] = set()
    for settings in classes:
        prefix = str(settings.model_config.get("env_prefix", ""))
        for field_name, field in settings.model_fields.items():
            alias = field.validation_alias
            choices = getattr(alias, "choices", None)
            if choices:
                names |= {str(choice) for choice in choices}
            else:
                names.add((prefix + field_name).upper())
    return names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_app_is_configured_only_with_settings_it_reads(overlay: str) -> None:
    known = settings_variables()
    app_config = by_name(overlay, "ConfigMap", config_name(overlay, "lumio-app-config"))["data"]
    unknown = (set(app_config) | set(secret_values(overlay))) - known
    # The Rasa-side secrets share the Secret (rasa-endpoints.yml reads them), the app ignores them.
    assert unknown <= {"RASA_TRACKER_DB_PASSWORD", "REDIS_PASSWORD"}, unknown
    assert app_config["APP_RASA_URL"] == "http://lumio-rasa:5005"
    AppSettings.model_validate(
        {k.removeprefix("APP_").lower(): v for k, v in app_config.items() if k.startswith("APP_")}
        | {"environment": "development"}
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rasas_endpoints_read_only_variables_its_pod_has(overlay: str) -> None:
    endpoints_map = by_name(overlay, "ConfigMap", config_name(overlay, "lumio-rasa-endpoints"))
    text = "\n".join(
        line for line in endpoints_map["data"]["endpoints.yml"].splitlines() if not line.lstrip().startswith("#")
    )
    # Rasa substitutes ${VAR} only in plain scalars: a quoted one would stay literal (endpoints.yml).
    assert not re.search(r"[\"']\$\{", text)
    wanted = set(re.findall(r"\$\{([A-Z0-9_]+)\}", text))
    endpoints = yaml.safe_load(text)
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    assert endpoints["lock_store"]["type"] == "redis"
    pod = by_name(overlay, "Deployment", "lumio-rasa")["spec"]["template"]["spec"]
    [rasa] = pod["containers"]
    rasa_config = by_name(overlay, "ConfigMap", config_name(overlay, "lumio-rasa-config"))["data"]
    given = set(rasa_config) | {e["name"] for e in rasa["env"]}
    assert wanted <= given, wanted - given
    assert "APP_RASA_TOKEN" in given  # rasa_launcher refuses to start without it
    assert rasa_config["ACTION_ENDPOINT_URL"] == "http://lumio-app:8000/webhook"
    [volume] = [v for v in pod["volumes"] if v.get("configMap", {}).get("name") == endpoints_map["metadata"]["name"]]
    [mount] = [m for m in rasa["volumeMounts"] if m["name"] == volume["name"]]
    assert f"--endpoints={mount['mountPath']}/endpoints.yml" in rasa["args"]
