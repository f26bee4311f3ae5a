#!/usr/bin/python3
"""The switch-tag deploy the way many homelab scripts do it: Compose runs on
this machine and drives each node's engine through `DOCKER_HOST=ssh://`,
node after node. Same steps as the others (registry login with a
throw-away Docker config, pull, the migration hook on core, `up -d`, the
health wait, the health URL asked on the node over ssh), but nothing is
copied: Compose reads the compose file here. Every Docker CLI or Compose
call opens its own SSH connection (`docker system dial-stdio` on the node),
which is what this contender costs.

    docker_host.py NODES TAG

This machine's Compose (v2) drives every node, node-c included (its own
Compose v1 is not used: Compose runs here). Docker's ssh helper takes no
`-F`, so a small `ssh` wrapper first on PATH adds the lab's ssh config.
"""
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

nodes, tag = sys.argv[1:3]
inv, entries = common.plan(tag, None if nodes == "all" else nodes.split(","))
reg = inv["registry"]
work = Path(tempfile.mkdtemp(prefix="bench-dockerhost.", dir="/dev/shm"))
os.chmod(work, 0o700)
(work / "bin").mkdir()
wrapper = work / "bin/ssh"
wrapper.write_text(f'#!/bin/sh\nexec /usr/bin/ssh -F {common.SSH_CONFIG} "$@"\n')
wrapper.chmod(0o700)


def run(env, *args, stdin=None):
    return subprocess.run(args, env=env, input=stdin, text=True, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=True)


def deploy(e):
    user = inv["ssh"].get("user", "root")
    config = work / f"config-{e['node']}"        # the throw-away Docker config
    config.mkdir()
    env = {**os.environ, **e["env"], **e["secrets"],
           "PATH": f"{work / 'bin'}:{os.environ['PATH']}", "DOCKER_HOST": f"ssh://{user}@{e['host']}", "DOCKER_CONFIG": str(config)}
    base = ["docker", "compose", "-p", e["project"], "-f", e["compose_file"]]
    try:
        run(env, "docker", "login", "-u", reg["username"], "--password-stdin", reg["server"], stdin=e["registry_password"])
        run(env, *base, "pull", "-q")
    finally:
        shutil.rmtree(config, ignore_errors=True)
    for h in e["st"].get("hooks", {}).get("before_up", []):
        run(env, *base, "run", "--rm", "-T", h["service"], *h["command"])
    run(env, *base, "up", "-d")
    deadline = time.monotonic() + 120
    health = e["st"].get("health", {})
    for s in health.get("services", []):
        while True:
            if time.monotonic() > deadline:
                sys.exit(f"docker_host: {e['node']}: {s} not healthy within 120 s")
            ids = subprocess.run(["docker", "ps", "-q", "--filter", f"label=com.docker.compose.project={e['project']}",
                                  "--filter", f"label=com.docker.compose.service={s}"],
                                 env=env, capture_output=True, text=True).stdout.split()
            st = subprocess.run(["docker", "inspect", "-f", "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}",
                                 *ids[:1]], env=env, capture_output=True, text=True).stdout.strip() if ids else ""
            if st in ("healthy", "running"):
                break
            time.sleep(0.5)
    if health.get("url"):
        # The URL is the node's own (127.0.0.1 there): asked on the node, as the others do.
        probe = f"until curl -fsS -m 2 -o /dev/null {shlex.quote(health['url'])}; do sleep 0.5; done"
        subprocess.run(["timeout", "120", "ssh", "-F", common.SSH_CONFIG, e["host"], probe], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


try:
    for e in entries:
        deploy(e)
except subprocess.CalledProcessError as err:
    sys.exit(f"docker_host: {' '.join(err.cmd[:4])}... failed: {(err.stderr or '').strip()[-500:]}")
finally:
    shutil.rmtree(work, ignore_errors=True)
