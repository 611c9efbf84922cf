#!/usr/bin/python3
"""Checks that deploy/'s image, compose file, Kubernetes manifests and systemd unit agree.

Parses every YAML file under deploy/ with a real YAML parser (python3-yaml), then checks that
they name the same image, the same ports and the same health probes as deploy/Containerfile,
and (when systemd-analyze exists) verifies the systemd unit.

Usage: check_deploy_files.py REPO_ROOT [LARDER_BINARY]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

GRPC_PORT = 6570  # the server's default --addr port (server/server_config.h)
HTTP_PORT = 6572  # --http-addr: /healthz, /readyz, /metrics
PROBE = "/usr/local/bin/larder-probe"
IMAGE = "localhost/larder:dev"
NON_ROOT_UID = 10001

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def containerfile(root):
    """The Containerfile's instructions as (KEYWORD, argument) pairs, continuations joined."""
    with open(os.path.join(root, "deploy/Containerfile"), encoding="utf-8") as f:
        text = re.sub(r"\\\n", " ", f.read())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, argument = line.partition(" ")
            instructions.append((keyword.upper(), argument.strip()))
    return instructions


def check_containerfile(root):
    instructions = containerfile(root)
    stages = [a for k, a in instructions if k == "FROM"]
    check(len(stages) >= 2, "Containerfile: expected a multi-stage build")
    check(stages and stages[0].startswith("debian:bookworm"), "Containerfile: build stage is not Debian bookworm")
    check(stages and stages[-1] == "debian:bookworm-slim", "Containerfile: runtime stage is not debian:bookworm-slim")
    runtime = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM"):]
    users = [a for k, a in runtime if k == "USER"]
    check(users and users[-1].split(":")[0] == str(NON_ROOT_UID),
          f"Containerfile: runtime USER is not the numeric non-root {NON_ROOT_UID}")
    exposed = {int(p.split("/")[0]) for k, a in runtime if k == "EXPOSE" for p in a.split()}
    check(exposed == {GRPC_PORT, HTTP_PORT}, f"Containerfile: EXPOSE {sorted(exposed)}")
    health = [a for k, a in runtime if k == "HEALTHCHECK"]
    check(health and PROBE in health[0], "Containerfile: HEALTHCHECK does not run the probe")
    copies = " ".join(a for k, a in runtime if k == "COPY")
    check("larder-probe" in copies and "/usr/local/bin/" in copies,
          "Containerfile: the probe is not copied to /usr/local/bin")
    entry = [a for k, a in runtime if k == "ENTRYPOINT"]
    check(entry and "/usr/local/bin/larder" in entry[0], "Containerfile: ENTRYPOINT is not larder")
    envs = " ".join(a for k, a in runtime if k == "ENV")
    check(f"LARDER_ADDR=0.0.0.0:{GRPC_PORT}" in envs, "Containerfile: LARDER_ADDR does not listen on the gRPC port")


def check_compose(root):
    (compose,) = load_all(os.path.join(root, "deploy/compose.yaml"))
    services = compose["services"]
    larders = {n: s for n, s in services.items() if s.get("image") == IMAGE and s.get("command") != ["migrate"]}
    check(len(larders) >= 2, f"compose: expected two Larder replicas of {IMAGE}, found {sorted(larders)}")
    check("postgres" in services and "healthcheck" in services["postgres"], "compose: PostgreSQL without a health check")
    host_ports = set()
    for name, service in larders.items():
        test = service.get("healthcheck", {}).get("test", [])
        check(PROBE in test, f"compose: {name}'s health check does not run {PROBE}")
        for mapping in service.get("ports", []):
            host, _, container = str(mapping).rpartition(":")
            check(int(container) == GRPC_PORT, f"compose: {name} publishes container port {container}")
            check(host not in host_ports, f"compose: host port {host} published twice")
            host_ports.add(host)
        check(service["environment"]["LARDER_DB"].startswith("postgresql://"), f"compose: {name} does not use PostgreSQL")
        for volume in service.get("volumes", []):
            check(volume.split(":")[0] in compose.get("volumes", {}), f"compose: {name}'s volume {volume} is not declared")
        check(service.get("depends_on", {}).get("migrate", {}).get("condition") == "service_completed_successfully",
              f"compose: {name} does not wait for the migration")
    check(services.get("migrate", {}).get("image") == IMAGE, "compose: the migrate service runs another image")
    for volume in services["postgres"].get("volumes", []):
        check(volume.split(":")[0] in compose.get("volumes", {}), "compose: postgres volume not declared")


def check_kubernetes(root):
    base = os.path.join(root, "deploy/kubernetes/base")
    (kustomization,) = load_all(os.path.join(base, "kustomization.yaml"))
    listed = set(kustomization["resources"])
    present = {f for f in os.listdir(base) if f.endswith(".yaml") and f != "kustomization.yaml"}
    check(listed == present, f"kustomization lists {sorted(listed)}, directory has {sorted(present)}")
    failures_before = len(failures)
    docs = {}
    for name in sorted(listed):
        for doc in load_all(os.path.join(base, name)):
            docs.setdefault(doc["kind"], []).append(doc)
    for kind in ("Deployment", "Service", "PodDisruptionBudget", "Secret", "ConfigMap"):
        check(len(docs.get(kind, [])) == 1, f"kubernetes base: expected one {kind}")
    if len(failures) > failures_before:
        return
    deployment, service, pdb = docs["Deployment"][0], docs["Service"][0], docs["PodDisruptionBudget"][0]
    spec = deployment["spec"]
    check(spec["replicas"] == 3, "Deployment: replicas is not 3")
    pod_labels = spec["template"]["metadata"]["labels"]
    selector = spec["selector"]["matchLabels"]
    check(selector.items() <= pod_labels.items(), "Deployment: selector does not match its pods")
    check(service["spec"]["selector"].items() <= pod_labels.items(), "Service: selector does not match the pods")
    check(pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items(), "PDB: selector does not match the pods")
    check(pdb["spec"].get("minAvailable", 0) < spec["replicas"], "PDB: minAvailable leaves no room for disruption")
    pod = spec["template"]["spec"]
    check(pod["securityContext"].get("runAsNonRoot") is True, "Deployment: runAsNonRoot is not set")
    check(pod["securityContext"].get("runAsUser") == NON_ROOT_UID, "Deployment: runAsUser differs from the image's")
    (container,) = pod["containers"]
    check(container["image"] == IMAGE, f"Deployment: image {container['image']} is not {IMAGE}")
    check(any(i.get("name") == IMAGE.split(":")[0] for i in kustomization.get("images", [])),
          "kustomization: images does not name the Deployment's image")
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    check(ports == {"grpc": GRPC_PORT, "http": HTTP_PORT}, f"Deployment: container ports {ports}")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        grpc_probe = container.get(probe, {}).get("grpc")
        check(grpc_probe is not None and grpc_probe.get("port") == GRPC_PORT,
              f"Deployment: {probe} is not a gRPC probe on {GRPC_PORT}")
    check(any(a.startswith("--http-addr=") and a.endswith(f":{HTTP_PORT}") for a in container["args"]),
          "Deployment: the http port is declared but --http-addr does not serve it")
    hardening = container["securityContext"]
    check(hardening.get("allowPrivilegeEscalation") is False and hardening.get("readOnlyRootFilesystem") is True
          and hardening.get("capabilities", {}).get("drop") == ["ALL"], "Deployment: container not hardened")
    refs = {(k, ref[k]["name"]) for ref in container["envFrom"] for k in ref}
    check(("configMapRef", docs["ConfigMap"][0]["metadata"]["name"]) in refs, "Deployment: ConfigMap not used")
    check(("secretRef", docs["Secret"][0]["metadata"]["name"]) in refs, "Deployment: Secret not used")
    check(docs["ConfigMap"][0]["data"]["LARDER_ADDR"].endswith(f":{GRPC_PORT}"), "ConfigMap: LARDER_ADDR port")
    check("LARDER_DB" in docs["Secret"][0].get("stringData", {}), "Secret: no LARDER_DB")
    for port in service["spec"]["ports"]:
        check(port["targetPort"] in ports, f"Service: targetPort {port['targetPort']} is not a container port")
        check(port["port"] == ports.get(port["targetPort"]), f"Service: port {port['port']} differs from the container's")

    # The optional ServiceMonitor scrapes a port the Service has, with labels the Service carries.
    monitor_dir = os.path.join(root, "deploy/kubernetes/servicemonitor")
    (component,) = load_all(os.path.join(monitor_dir, "kustomization.yaml"))
    check(component["kind"] == "Component", "servicemonitor: not a kustomize Component")
    for name in component["resources"]:
        for monitor in load_all(os.path.join(monitor_dir, name)):
            check(monitor["kind"] == "ServiceMonitor", f"servicemonitor/{name}: not a ServiceMonitor")
            service_labels = dict(service["metadata"].get("labels", {}))
            for label in kustomization.get("labels", []):
                service_labels.update(label["pairs"])
            check(monitor["spec"]["selector"]["matchLabels"].items() <= service_labels.items(),
                  "ServiceMonitor: selector does not match the Service's labels")
            for endpoint in monitor["spec"]["endpoints"]:
                check(endpoint["port"] in {p["name"] for p in service["spec"]["ports"]},
                      f"ServiceMonitor: port {endpoint['port']} is not a Service port")

    (job,) = load_all(os.path.join(root, "deploy/kubernetes/migrate-job.yaml"))
    (job_container,) = job["spec"]["template"]["spec"]["containers"]
    check(job_container["image"] == IMAGE and job_container["args"] == ["migrate"], "migrate Job: image or args")
    check(any(r.get("secretRef", {}).get("name") == docs["Secret"][0]["metadata"]["name"]
              for r in job_container["envFrom"]), "migrate Job: does not read the database Secret")


def check_every_yaml_parses(root):
    count = 0
    for directory, _, files in os.walk(os.path.join(root, "deploy")):
        for name in files:
            if name.endswith((".yaml", ".yml")):
                path = os.path.join(directory, name)
                try:
                    check(load_all(path), f"{path}: empty")
                    count += 1
                except yaml.YAMLError as error:
                    check(False, f"{path}: {error}")
    check(count >= 9, f"expected the compose file and the manifests, parsed {count} YAML files")


def check_systemd(root, larder_binary):
    unit = os.path.join(root, "deploy/systemd/larder.service")
    with open(unit, encoding="utf-8") as f:
        text = f.read()
    check("ExecStart=/usr/local/bin/larder serve" in text, "systemd: ExecStart is not /usr/local/bin/larder serve")
    for setting in ("NoNewPrivileges=yes", "ProtectSystem=strict", "DynamicUser=yes", "CapabilityBoundingSet="):
        check(setting in text, f"systemd: {setting} missing")
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        print("SKIPPED: systemd-analyze verify (not installed)")
        return
    # verify insists the ExecStart binary exists: point it at the one just built.
    binary = os.path.abspath(larder_binary) if larder_binary and os.path.exists(larder_binary) else "/bin/true"
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "larder.service")
        with open(copy, "w", encoding="utf-8") as f:
            f.write(text.replace("/usr/local/bin/larder", binary))
        result = subprocess.run([analyze, "verify", copy], capture_output=True, text=True)
        check(result.returncode == 0 and not result.stderr.strip(),
              f"systemd-analyze verify: {result.stderr.strip() or result.returncode}")


def main():
    root = sys.argv[1]
    larder_binary = sys.argv[2] if len(sys.argv) > 2 else None
    check_every_yaml_parses(root)
    check_containerfile(root)
    check_compose(root)
    check_kubernetes(root)
    check_systemd(root, larder_binary)
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print("deploy files consistent")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
