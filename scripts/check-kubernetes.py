#!/usr/bin/env python3
"""Checks deploy/kubernetes/ (run by scripts/test.sh with a venv holding kubernetes-validate):

1. every core resource against the Kubernetes API schemas (kubernetes-validate, strict: unknown fields
   are errors), for the oldest Kubernetes version the manifests support;
2. every custom resource (KEDA ScaledObject and TriggerAuthentication, the RabbitMQ operators'
   RabbitmqCluster and Policy, the Prometheus operator's PodMonitor) against a strict schema of the
   fields these manifests use, written here from the projects' CRDs (keda.sh_scaledobjects.yaml,
   keda.sh_triggerauthentications.yaml, rabbitmq.com_rabbitmqclusters.yaml, rabbitmq.com_policies.yaml,
   monitoring.coreos.com_podmonitors.yaml); `--crds DIR` also validates them against those CRD files
   themselves when they are at hand (NOTES.md, session 10);
3. that names agree with the code: one worker Deployment per job kind (JobKind's raw values), its
   ScaledObject on the queue of that name, the policy pattern matching every queue of the topology,
   ports and health paths the processes serve, the metric the age trigger queries, every TALENT_*
   variable a setting the code reads, and termination grace longer than the drain grace.

Exit 1 with one line per problem.
"""
import argparse
import glob
import os
import re
import sys

import jsonschema
import kubernetes_validate
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFESTS = os.path.join(ROOT, "deploy", "kubernetes")
KUBERNETES_VERSION = "1.30.0"
problems = []


def problem(text):
    problems.append(text)


def source(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def sources():
    text = []
    for path in glob.glob(os.path.join(ROOT, "Sources", "**", "*.swift"), recursive=True):
        with open(path, encoding="utf-8") as f:
            text.append(f.read())
    return "\n".join(text)


# Strict schemas of the custom resources' fields used here (objects reject unknown fields).
def obj(properties, required=()):
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


STRING = {"type": "string"}
INT = {"type": "integer"}
NAME_REF = obj({"name": STRING}, ["name"])
METADATA = {"type": "object", "required": ["name", "namespace"]}
SECRET_TARGET = obj({"parameter": STRING, "name": STRING, "key": STRING}, ["parameter", "name", "key"])
TRIGGER = obj(
    {
        "type": STRING, "name": STRING, "useCachedMetrics": {"type": "boolean"},
        "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
        "metadata": {"type": "object", "additionalProperties": STRING},
        "authenticationRef": obj({"name": STRING, "kind": {"enum": ["TriggerAuthentication", "ClusterTriggerAuthentication"]}}, ["name"]),
    },
    ["type", "metadata"],
)
RESOURCES = obj({"requests": {"type": "object"}, "limits": {"type": "object"}})
CUSTOM_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): obj(
        {
            "apiVersion": STRING, "kind": STRING, "metadata": METADATA,
            "spec": obj(
                {
                    "scaleTargetRef": obj({"name": STRING, "kind": STRING, "apiVersion": STRING, "envSourceContainerName": STRING}, ["name"]),
                    "minReplicaCount": INT, "maxReplicaCount": INT, "idleReplicaCount": INT,
                    "pollingInterval": INT, "cooldownPeriod": INT, "initialCooldownPeriod": INT,
                    "triggers": {"type": "array", "minItems": 1, "items": TRIGGER},
                },
                ["scaleTargetRef", "triggers"],
            ),
        },
        ["apiVersion", "kind", "metadata", "spec"],
    ),
    ("keda.sh/v1alpha1", "TriggerAuthentication"): obj(
        {
            "apiVersion": STRING, "kind": STRING, "metadata": METADATA,
            "spec": obj({"secretTargetRef": {"type": "array", "items": SECRET_TARGET}}),
        },
        ["apiVersion", "kind", "metadata", "spec"],
    ),
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): obj(
        {
            "apiVersion": STRING, "kind": STRING, "metadata": METADATA,
            "spec": obj(
                {
                    "replicas": INT, "image": STRING, "resources": RESOURCES,
                    "persistence": obj({"storage": {"type": ["string", "integer"]}, "storageClassName": STRING}),
                    "rabbitmq": obj(
                        {
                            "additionalPlugins": {"type": "array", "items": STRING},
                            "additionalConfig": STRING, "advancedConfig": STRING, "envConfig": STRING,
                        }
                    ),
                    "affinity": {"type": "object"},
                    "tolerations": {"type": "array"},
                    "override": {"type": "object"},
                },
            ),
        },
        ["apiVersion", "kind", "metadata", "spec"],
    ),
    ("monitoring.coreos.com/v1", "PodMonitor"): obj(
        {
            "apiVersion": STRING, "kind": STRING, "metadata": METADATA,
            "spec": obj(
                {
                    "selector": obj({"matchLabels": {"type": "object", "additionalProperties": STRING}}),
                    "namespaceSelector": {"type": "object"},
                    "podMetricsEndpoints": {
                        "type": "array",
                        "items": obj(
                            {
                                "port": STRING, "path": STRING, "interval": STRING, "scrapeTimeout": STRING,
                                "params": {"type": "object", "additionalProperties": {"type": "array", "items": STRING}},
                            },
                            ["port"],
                        ),
                    },
                },
                ["selector", "podMetricsEndpoints"],
            ),
        },
        ["apiVersion", "kind", "metadata", "spec"],
    ),
    ("rabbitmq.com/v1beta1", "Policy"): obj(
        {
            "apiVersion": STRING, "kind": STRING, "metadata": METADATA,
            "spec": obj(
                {
                    "name": STRING, "vhost": STRING, "pattern": STRING,
                    "applyTo": {"enum": ["queues", "exchanges", "all", "classic_queues", "quorum_queues", "streams"]},
                    "priority": INT, "definition": {"type": "object"},
                    "rabbitmqClusterReference": obj({"name": STRING, "namespace": STRING}, ["name"]),
                },
                ["name", "pattern", "definition", "rabbitmqClusterReference"],
            ),
        },
        ["apiVersion", "kind", "metadata", "spec"],
    ),
}


def crd_schemas(directory):
    """openAPIV3Schema of each CRD file in `directory`, objects made strict (a structural schema prunes
    unknown fields silently; here they are errors)."""

    def strict(node):
        if isinstance(node, dict):
            if (
                node.get("type") == "object" and "properties" in node and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                strict(value)
        elif isinstance(node, list):
            for value in node:
                strict(value)
        return node

    found = {}
    for path in glob.glob(os.path.join(directory, "*.yaml")):
        with open(path, encoding="utf-8") as f:
            crd = yaml.safe_load(f)
        for version in crd["spec"]["versions"]:
            schema = strict(version["schema"]["openAPIV3Schema"])
            schema["properties"]["metadata"] = {"type": "object"}
            found[(crd["spec"]["group"] + "/" + version["name"], crd["spec"]["names"]["kind"])] = schema
    return found


def load():
    documents = []
    for path in sorted(glob.glob(os.path.join(MANIFESTS, "*.yaml"))):
        if os.path.basename(path) == "kustomization.yaml":
            continue
        with open(path, encoding="utf-8") as f:
            for document in yaml.safe_load_all(f):
                if document:
                    documents.append((os.path.basename(path), document))
    return documents


def validate(documents, upstream):
    for path, document in documents:
        key = (document.get("apiVersion"), document.get("kind"))
        label = f"{path}: {key[1]} {document.get('metadata', {}).get('name')}"
        if key in CUSTOM_SCHEMAS:
            for error in jsonschema.Draft7Validator(CUSTOM_SCHEMAS[key]).iter_errors(document):
                problem(f"{label}: {'.'.join(map(str, error.path))}: {error.message}")
            if upstream is not None:
                if key not in upstream:
                    problem(f"{label}: no CRD for {key} in --crds")
                else:
                    for error in jsonschema.Draft7Validator(upstream[key]).iter_errors(document):
                        problem(f"{label} (CRD): {'.'.join(map(str, error.path))}: {error.message}")
            continue
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problem(f"{label}: {'.'.join(map(str, error.path))}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError:
            problem(f"{label}: no Kubernetes {KUBERNETES_VERSION} schema for {key}")


def containers(document):
    return document.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])


def env_value(container, name):
    for entry in container.get("env", []):
        if entry["name"] == name:
            return entry.get("value")
    return None


def check_names(documents):
    code = sources()
    kinds = re.findall(r'case \w+ = "([a-z.]+)"', source("Sources/Domain/TalentCore/Jobs/JobKind.swift"))
    tiers = source("Sources/Jobs/JobQueue/TalentTopology.swift")
    delays = re.search(r"retryDelaysMilliseconds: \[Int64\] = \[([^\]]*)\]", tiers).group(1)
    tier_count = len([d for d in delays.split(",") if d.strip()])
    queues = []
    for kind in kinds:
        queues += [kind, kind + ".dead"] + [f"{kind}.retry.{t}" for t in range(1, tier_count + 1)]
    settings = set(re.findall(r'"(talent\.[a-z.]+)"', code))
    variables = {key.upper().replace(".", "_") for key in settings}
    drain = max(
        int(re.search(r"var drainGrace: Int = (\d+)", source("Sources/Executables/talent-worker/TalentWorker.swift")).group(1)),
        int(re.search(r"var shutdownGrace: Int = (\d+)", source("Sources/Executables/talent-gateway/TalentGatewayCommand.swift")).group(1)),
    )
    served_paths = {"/health/live", "/health/ready", "/metrics"}
    for path in served_paths:
        if f'"{path}"' not in code:
            problem(f"the code serves no {path}")

    by_kind = {}
    names = {(d["kind"], d["metadata"]["name"]) for _, d in documents}
    config = next((d for _, d in documents if d["kind"] == "ConfigMap"), {"data": {}})
    secret = next((d for _, d in documents if d["kind"] == "Secret"), {"stringData": {}})
    for key in list(config.get("data", {})) + [k for k in secret.get("stringData", {}) if k.startswith("TALENT_")]:
        if key not in variables:
            problem(f"config: {key} is not a setting the code reads (talent.* keys: Sources/**)")
    images = set()
    for path, document in documents:
        label = f"{path}: {document['kind']} {document['metadata']['name']}"
        for container in containers(document) if document["kind"] in ("Deployment", "Job") else []:
            images.add(container.get("image"))
            for entry in container.get("env", []):
                if entry["name"].startswith("TALENT_") and entry["name"] not in variables:
                    problem(f"{label}: {entry['name']} is not a setting the code reads")
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["name"] == "talent-secrets" and ref["key"] not in secret.get("stringData", {}):
                    problem(f"{label}: talent-secrets has no key {ref['key']}")
            for source_ref in container.get("envFrom", []):
                ref = source_ref.get("configMapRef")
                if ref and ("ConfigMap", ref["name"]) not in names:
                    problem(f"{label}: no ConfigMap {ref['name']}")
            ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                get = container.get(probe, {}).get("httpGet")
                if get:
                    if get["path"] not in served_paths:
                        problem(f"{label}: {probe} path {get['path']} is not served")
                    if get["port"] not in ports:
                        problem(f"{label}: {probe} port {get['port']} is not a container port")
            command = container.get("command", [])
            if command[:1] == ["/opt/talent/bin/talent-worker"]:
                kind = command[1] if len(command) > 1 else None
                if kind not in kinds:
                    problem(f"{label}: worker kind {kind} is not a job kind ({', '.join(kinds)})")
                by_kind.setdefault(kind, []).append(document["metadata"]["name"])
                if str(ports.get("metrics")) != env_value(container, "TALENT_WORKER_HTTP_PORT"):
                    problem(f"{label}: port metrics {ports.get('metrics')} is not TALENT_WORKER_HTTP_PORT")
                if document["metadata"]["labels"].get("talent.gov.cn/job-kind") != kind:
                    problem(f"{label}: label talent.gov.cn/job-kind is not {kind}")
            if command[:1] == ["/opt/talent/bin/talent-gateway"]:
                if str(ports.get("http")) != env_value(container, "TALENT_HTTP_PORT"):
                    problem(f"{label}: port http {ports.get('http')} is not TALENT_HTTP_PORT")
                if env_value(container, "TALENT_HTTP_HOST") != "0.0.0.0":
                    problem(f"{label}: the gateway must listen on 0.0.0.0 in a pod")
        if document["kind"] == "Deployment":
            pod = document["spec"]["template"]["spec"]
            pause = max([c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0) for c in pod["containers"]])
            grace = pod.get("terminationGracePeriodSeconds", 30)
            if grace <= drain + pause:
                problem(f"{label}: terminationGracePeriodSeconds {grace} is not longer than the {drain} s drain (+ {pause} s preStop)")
            for container in pod["containers"]:
                if not container.get("resources", {}).get("requests") or not container.get("resources", {}).get("limits"):
                    problem(f"{label}: container {container['name']} without resource requests and limits")
        if document["kind"] == "ScaledObject":
            target = document["spec"]["scaleTargetRef"]["name"]
            deployment = next((d for _, d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] == target), None)
            if deployment is None:
                problem(f"{label}: no Deployment {target}")
                continue
            kind = deployment["metadata"]["labels"].get("talent.gov.cn/job-kind")
            types = [t["type"] for t in document["spec"]["triggers"]]
            if types.count("rabbitmq") != 1 or types.count("prometheus") != 1:
                problem(f"{label}: wants one rabbitmq and one prometheus trigger, has {types}")
            for trigger in document["spec"]["triggers"]:
                meta = trigger["metadata"]
                if trigger["type"] == "rabbitmq":
                    if meta.get("queueName") != kind:
                        problem(f"{label}: queueName {meta.get('queueName')} is not the work queue {kind}")
                    ref = trigger.get("authenticationRef", {}).get("name")
                    if ("TriggerAuthentication", ref) not in names:
                        problem(f"{label}: no TriggerAuthentication {ref}")
                if trigger["type"] == "prometheus":
                    query = meta.get("query", "")
                    metric = re.match(r"max\((\w+)\{kind=\"([a-z.]+)\"\}\)", query)
                    if not metric or metric.group(2) != kind:
                        problem(f"{label}: query {query} does not ask for kind {kind}")
                    elif f'"{metric.group(1)}"' not in code:
                        problem(f"{label}: the code exports no metric {metric.group(1)}")
                    for queue in re.findall(r'queue="([^"]+)"', query):
                        if queue != kind:
                            problem(f"{label}: query asks for queue {queue}, not the work queue {kind}")
        if document["kind"] == "Policy":
            pattern = re.compile(document["spec"]["pattern"])
            missing = [q for q in queues if not pattern.search(q)]
            if missing:
                problem(f"{label}: pattern does not match {missing}")
        if document["kind"] == "Service":
            selector = document["spec"]["selector"]
            backing = [
                d for _, d in documents
                if d["kind"] == "Deployment" and all(d["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in selector.items())
            ]
            if not backing:
                problem(f"{label}: selects no Deployment")
            for port in document["spec"]["ports"]:
                if not any(port["targetPort"] in {p["name"] for c in containers(d) for p in c.get("ports", [])} for d in backing):
                    problem(f"{label}: targetPort {port['targetPort']} is no container port")
        if document["kind"] == "PodMonitor" and document["metadata"]["name"] == "talent-processes":
            selector = document["spec"]["selector"]["matchLabels"]
            scraped = {e["port"] for e in document["spec"]["podMetricsEndpoints"]}
            for _, d in documents:
                if d["kind"] != "Deployment" or not all(
                    d["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in selector.items()
                ):
                    continue
                ports = {p["name"] for c in containers(d) for p in c.get("ports", [])}
                if not ports & scraped:
                    problem(f"{label}: scrapes none of {d['metadata']['name']}'s ports {sorted(ports)}")
    for kind in kinds:
        if len(by_kind.get(kind, [])) != 1:
            problem(f"job kind {kind}: wants one worker Deployment, has {by_kind.get(kind, [])}")
    if len(images) != 1:
        problem(f"one image for every process, found {sorted(map(str, images))}")
    addresses = config.get("data", {}).get("TALENT_AMQP_ADDRESSES", "")
    if len([a for a in addresses.split(",") if a.strip()]) != 3:
        problem("config: TALENT_AMQP_ADDRESSES should name the three RabbitMQ nodes")
    with open(os.path.join(MANIFESTS, "kustomization.yaml"), encoding="utf-8") as f:
        listed = set(yaml.safe_load(f)["resources"])
    present = {os.path.basename(p) for p in glob.glob(os.path.join(MANIFESTS, "*.yaml"))}
    for missing in sorted(listed - present):
        problem(f"kustomization.yaml lists {missing}, which does not exist")
    for unlisted in sorted(present - listed - {"kustomization.yaml", "migrate.yaml", "secrets.example.yaml"}):
        problem(f"kustomization.yaml does not list {unlisted}")
    cluster = next((d for _, d in documents if d["kind"] == "RabbitmqCluster"), None)
    if cluster is None or cluster["spec"].get("replicas") != 3:
        problem("RabbitmqCluster with 3 replicas missing")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--crds", help="a folder of the upstream CRD files to validate the custom resources against too")
    arguments = parser.parse_args()
    documents = load()
    validate(documents, crd_schemas(arguments.crds) if arguments.crds else None)
    check_names(documents)
    kinds = sorted({d["kind"] for _, d in documents})
    if problems:
        for text in problems:
            print("deploy/kubernetes: " + text, file=sys.stderr)
        sys.exit(1)
    print(f"deploy/kubernetes: {len(documents)} resources valid ({', '.join(kinds)}); names agree with the code")


if __name__ == "__main__":
    main()
