#!/usr/bin/env python3
"""The swarm workers stack deployed by hand, as an operator would without
homectl (scripts/bench --only swarm): the digest of the tag from the
registry (one HEAD request), a pull by that digest on every node in
parallel (a throw-away login on the node's tmpfs, the password on stdin),
then on the manager `docker stack deploy --resolve-image never` of the
pinned file (the file homectl deployed last, copied once to
/root/bench-swarm/, its image and replicas replaced), the API key exported
from stdin, and a wait until every task runs healthy at that digest.

    swarm_by_hand.py TAG REPLICAS
"""
import base64
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

LAB = Path("/var/lib/homectl-lab")
SSH = ["ssh", "-F", str(LAB / "ssh/ssh_config")]
MANAGER = "core.lab.home.arpa"
NODES = [MANAGER, "workers-b.lab.home.arpa", "workers-c.lab.home.arpa"]
REGISTRY, REPO = "10.77.0.1:5000", "lab/ktrdr-backend"
PROJECT = "ktrdr-swarm-workers"
SERVICES = ["backtest-worker", "training-worker"]
DIR = "/root/bench-swarm"


def op_read(ref):
    return subprocess.run([str(LAB / "bin/op"), "read", "-n", ref], capture_output=True, text=True, check=True).stdout


def on(host, script, stdin=""):
    return subprocess.run(SSH + [host, script], input=stdin, capture_output=True, text=True, check=True).stdout


def digest(tag, password):
    req = urllib.request.Request(f"http://{REGISTRY}/v2/{REPO}/manifests/{tag}", method="HEAD", headers={
        "Accept": "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
        "Authorization": "Basic " + base64.b64encode(f"lab-ci:{password}".encode()).decode()})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.headers["Docker-Content-Digest"]


PULL = ("set -e; export DOCKER_CONFIG=$(mktemp -d /dev/shm/byhand.XXXXXX); trap 'rm -rf $DOCKER_CONFIG' EXIT; "
        "IFS= read -r pw; printf '%s\\n' \"$pw\" | docker login -u lab-ci --password-stdin " + REGISTRY + " >/dev/null; "
        "docker pull -q {image} >/dev/null")

# On the manager: the file with the new image and replicas, the deploy with
# the key from stdin, then every second: each service's tasks meant to run
# are REPLICAS, all Running at the image, and no update in progress.
DEPLOY = """set -e
IFS= read -r KTRDR_API_KEY; export KTRDR_API_KEY KTRDR_API_URL=http://core.lab.home.arpa:8000
[ -d {dir} ] || cp -r /var/lib/homectl/swarm/{project} {dir}
sed -E -i 's#(image: ).*@sha256:[0-9a-f]+#\\1{image}#; s#(replicas: )[0-9]+#\\1{replicas}#' {dir}/compose.yml
cd {dir} && docker stack deploy --resolve-image never -c compose.yml {project} >/dev/null
while :; do
  done_=1
  for s in {services}; do
    st=$(docker service inspect --format '{{{{if .UpdateStatus}}}}{{{{.UpdateStatus.State}}}}{{{{end}}}}' {project}_$s)
    case $st in updating|rollback_started) done_=0; continue ;; esac
    ok=$(docker service ps {project}_$s --no-trunc --filter desired-state=running --format '{{{{.Image}}}} {{{{.CurrentState}}}}' |
      awk -v img={image} -v n={replicas} '$1 == img && $2 == "Running" {{ ok++ }} $1 != img {{ bad++ }} END {{ print (ok == n && !bad) }}')
    [ "$ok" = 1 ] || done_=0
  done
  [ $done_ = 1 ] && break
  sleep 1
done
"""


def main():
    tag, replicas = sys.argv[1], int(sys.argv[2])
    password = op_read("op://homelab/registry/password")
    image = f"{REGISTRY}/{REPO}@{digest(tag, password)}"
    with ThreadPoolExecutor(len(NODES)) as pool:
        list(pool.map(lambda h: on(h, PULL.format(image=image), password + "\n"), NODES))
    key = op_read("op://homelab/ktrdr-api/key")
    script = DEPLOY.format(dir=DIR, project=PROJECT, image=image, replicas=replicas, services=" ".join(SERVICES))
    start = time.monotonic()
    on(MANAGER, script, key + "\n")
    print(f"converged in {time.monotonic() - start:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
