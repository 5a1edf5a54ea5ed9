"""manifests/base: every resource passes ``kubernetes-validate --strict`` offline; the two
Prometheus Operator resources (CRDs, which it has no schema for) are checked here by structure
and their rules by promtool (test_alert_rules.py); the resources refer to each other correctly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy import tools
from tron_staking import settings

# Kinds kubernetes-validate has no schema for, and where they are checked instead.
CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}
NOT_LISTED = {"kustomization.yaml", "secret.example.yaml"}
APP = {"app.kubernetes.io/name": "tron-staking"}

Resource = dict[str, Any]


def _resource_files() -> list[Path]:
    return sorted(p for p in tools.BASE.glob("*.yaml") if p.name != "kustomization.yaml")


def _load(path: Path) -> Resource:
    (document,) = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def resources() -> dict[str, Resource]:
    """Every resource of manifests/base by kind (one of each)."""
    by_kind: dict[str, Resource] = {}
    for path in _resource_files():
        resource = _load(path)
        assert resource["kind"] not in by_kind, f"two {resource['kind']} in manifests/base"
        by_kind[resource["kind"]] = resource
    return by_kind


def _service_variables() -> set[str]:
    names: set[str] = set()
    for field in settings.Settings.model_fields.values():
        group = field.annotation
        assert isinstance(group, type)
        for variables in settings.variables(group).values():
            names.update(variables)
    return names


def test_kubernetes_validate_strict_passes_every_resource() -> None:
    files = _resource_files()
    result = tools.run(tools.tool("kubernetes-validate"), "--strict", *map(str, files))
    assert result.returncode == 0, tools.explain(result)
    output = result.stdout + result.stderr
    for path in files:
        kind = _load(path)["kind"]
        if kind in CRD_KINDS:
            assert f"Couldn't find schema for kind {kind}" in output
        else:
            assert f"INFO {path} passed" in output, tools.explain(result)


def test_kubernetes_validate_strict_rejects_an_unknown_field(tmp_path: Path) -> None:
    broken = _load(tools.BASE / "deployment.yaml")
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    path = tmp_path / "deployment.yaml"
    path.write_text(yaml.safe_dump(broken))
    result = tools.run(tools.tool("kubernetes-validate"), "--strict", str(path))
    assert result.returncode != 0
    assert "livenessProbes" in result.stdout + result.stderr


def test_kustomization_lists_every_resource_but_the_secret_example() -> None:
    kustomization = _load(tools.BASE / "kustomization.yaml")
    listed = set(kustomization["resources"])
    present = {p.name for p in tools.BASE.glob("*.yaml")} - NOT_LISTED
    assert listed == present
    assert [image["name"] for image in kustomization["images"]] == ["tron-staking"]


def test_deployment_runs_three_probed_non_root_replicas(resources: dict[str, Resource]) -> None:
    deployment = resources["Deployment"]
    assert deployment["spec"]["replicas"] == 3
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["startupProbe"]["httpGet"]["path"] == "/health/live"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532
    anti = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert anti[0]["podAffinityTerm"]["labelSelector"]["matchLabels"] == APP
    assert pod["terminationGracePeriodSeconds"] > 20  # the service drains for up to 20 s


def test_selectors_pick_the_deployments_pods(resources: dict[str, Resource]) -> None:
    pod_labels = resources["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert resources["Deployment"]["spec"]["selector"]["matchLabels"] == APP
    assert resources["Service"]["spec"]["selector"].items() <= pod_labels.items()
    assert resources["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == APP
    assert resources["NetworkPolicy"]["spec"]["podSelector"]["matchLabels"] == APP
    target = resources["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "tron-staking")
    assert resources["HorizontalPodAutoscaler"]["spec"]["minReplicas"] == 3


def test_service_monitor_scrapes_the_services_metrics_port(
    resources: dict[str, Resource],
) -> None:
    monitor = resources["ServiceMonitor"]
    service = resources["Service"]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    # The alert rules select job="tron-staking": the Operator names the job after the Service.
    assert service["metadata"]["name"] == "tron-staking"
    assert "jobLabel" not in monitor["spec"]


def test_prometheus_rule_carries_the_unit_tested_rule_file(
    resources: dict[str, Resource],
) -> None:
    rule = resources["PrometheusRule"]
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    rule_file = yaml.safe_load((tools.RULES / "staking.rules.yml").read_text(encoding="utf-8"))
    assert rule["spec"] == {"groups": rule_file["groups"]}, (
        "manifests/base/prometheusrule.yaml and manifests/rules/staking.rules.yml differ"
    )


def test_configuration_names_only_variables_the_service_reads(
    resources: dict[str, Resource],
) -> None:
    known = _service_variables()
    assert set(resources["ConfigMap"]["data"]) <= known
    (container,) = resources["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert {variable["name"] for variable in container["env"]} <= known
    (source,) = container["envFrom"]
    assert source["configMapRef"]["name"] == resources["ConfigMap"]["metadata"]["name"]


def test_secret_example_holds_placeholders_for_every_key_the_deployment_reads(
    resources: dict[str, Resource],
) -> None:
    secret = resources["Secret"]
    values = secret["stringData"]
    assert all("REPLACE" in value for value in values.values())
    pod = resources["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    read = {
        variable["valueFrom"]["secretKeyRef"]["key"]
        for variable in container["env"]
        if "secretKeyRef" in variable.get("valueFrom", {})
    }
    mounted = {
        item["key"]
        for volume in pod["volumes"]
        if "secret" in volume
        for item in volume["secret"]["items"]
    }
    assert read | mounted == set(values)
    kek_path = resources["ConfigMap"]["data"]["STAKING_KEK_FILE"]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "kek"]
    assert kek_path == f"{mount['mountPath']}/kek"
