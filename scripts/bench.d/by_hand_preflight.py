#!/usr/bin/python3
"""The checks of `homectl preflight` done by hand, one ssh session a node,
every node at once: the machine's own fan-out for preflight (issue 3's
reference, as by_hand.py is for deploy). Per node: `docker info` (engine,
Compose v2 plugin), Compose v1's version from dpkg on node-c, registry login
with a throw-away Docker config on a tmpfs and the image's manifest (in the
background), the compose file validated by the node's Compose, curl present.
The secrets come from one `op inject`; the password travels on ssh's stdin.

    by_hand_preflight.py NODES TAG     NODES: comma-separated, or "all"
"""
import shlex
import subprocess
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

nodes, tag = sys.argv[1:3]
inv, entries = common.plan(tag, None if nodes == "all" else nodes.split(","))
reg = inv["registry"]
failed = []


def script(e):
    ref = f"{reg['server']}/{reg['namespace']}/{e['st']['images'][0]}:{tag}"
    validate = ("dpkg-query -W docker-compose >/dev/null; SETUPTOOLS_USE_DISTUTILS=stdlib docker-compose"
                if e["C"] == "docker-compose" else "docker compose")
    return "\n".join([
        "set -e",
        f"PW={shlex.quote(e['registry_password'])}",
        "F=$(mktemp /dev/shm/bench-pf.XXXXXX); D=$(mktemp -d /dev/shm/bench-pf.XXXXXX); trap 'rm -rf \"$F\" \"$D\"' EXIT",
        f"cat > \"$F\" <<'BENCH_EOF'\n{Path(e['compose_file']).read_text()}BENCH_EOF",
        "docker info --format '{{.ServerVersion}}|{{range .ClientInfo.Plugins}}{{.Version}}{{end}}' >/dev/null",
        f"( printf %s \"$PW\" | DOCKER_CONFIG=$D docker login -u {shlex.quote(reg['username'])} --password-stdin {reg['server']} >/dev/null 2>&1"
        f" && DOCKER_CONFIG=$D docker manifest inspect --insecure {shlex.quote(ref)} >/dev/null ) & login=$!",
        "set -a", common.env_lines(e).rstrip("\n"), "set +a",
        f"{validate} -p {e['project']} -f \"$F\" config -q",
        "command -v curl >/dev/null",
        "wait $login",
    ]) + "\n"


def run(e):
    r = subprocess.run(["ssh", "-F", common.SSH_CONFIG, e["host"], "sh -s"], input=script(e), text=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        failed.append(f"{e['node']}: {r.stderr.strip()[-300:]}")


threads = [threading.Thread(target=run, args=(e,)) for e in entries]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failed:
    sys.exit("by_hand_preflight: failed on " + "; ".join(failed))
