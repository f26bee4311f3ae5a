"""What every contender of scripts/bench does on a node, written once so that
they all run the same remote commands: the plan of each node (stack, compose
command, environment, secrets) from the inventory, and the shell snippets of
the steps (registry login with a throw-away Docker config on a tmpfs + pull,
the migration hook, `up -d`, the health wait).

Environment: BENCH_INVENTORY (default inventory/lab.toml), BENCH_SSH_CONFIG
(default the lab's ssh_config; scripts/bench points it at one with the delay
proxy for the latency scenario).
"""
import os
import shlex
import subprocess
import tomllib
from pathlib import Path

LAB = Path("/var/lib/homectl-lab")
REPO = Path(__file__).resolve().parents[2]
SSH_CONFIG = os.environ.get("BENCH_SSH_CONFIG", str(LAB / "ssh/ssh_config"))
INVENTORY = Path(os.environ.get("BENCH_INVENTORY", str(REPO / "inventory/lab.toml")))


def inventory():
    return tomllib.loads(INVENTORY.read_text())


def stacks_dir(inv):
    d = inv.get("stacks_dir")
    return (INVENTORY.parent / d) if d else INVENTORY.parent.parent / "stacks"


def compose_cmd(node):
    """The Compose each node has: v2 everywhere but node-c (v1 only)."""
    return "docker-compose" if node == "node-c" else "docker compose"


def plan(tag, nodes=None):
    """One entry per (node, stack): what a contender needs. Secrets are
    resolved with one `op inject` for all of them."""
    inv = inventory()
    reg = inv["registry"]
    sd = stacks_dir(inv)
    entries = []
    refs = {"REGISTRY_PASSWORD": reg["password"]}
    for node, n in inv["nodes"].items():
        if nodes and node not in nodes:
            continue
        for stack in n.get("stacks", []):
            st = tomllib.loads((sd / stack / "stack.toml").read_text())
            refs.update(st.get("secrets", {}))
            env = {"REGISTRY": f"{reg['server']}/{reg['namespace']}", "IMAGE_TAG": tag, "HOMECTL_NODE": node}
            env.update(st.get("env", {}))
            env.update(n.get("env", {}))
            entries.append({
                "node": node, "host": n["host"], "stack": stack, "st": st, "env": env,
                "secret_names": list(st.get("secrets", {})),
                "project": f"{inv['name']}-{stack}",
                "compose_file": str(sd / stack / "compose.yml"),
                "remote_file": f"/root/bench-{stack}.yml",
                "C": compose_cmd(node),
                "scale": n.get("scale", 1),
            })
    values = resolve(refs)
    for e in entries:
        e["secrets"] = {k: values[k] for k in e["secret_names"]}
        e["registry_password"] = values["REGISTRY_PASSWORD"]
    return inv, entries


def resolve(refs):
    """All op:// references in one `op inject` call, with delimiters."""
    template = "".join(f"@@{k}@@\n{{{{ {v} }}}}\n@@end@@\n" for k, v in refs.items())
    out = subprocess.run(["op", "inject"], input=template, capture_output=True, text=True, check=True).stdout
    values = {}
    for k in refs:
        start = out.index(f"@@{k}@@\n") + len(k) + 5
        values[k] = out[start:out.index("\n@@end@@", start)]
    return values


def env_lines(e):
    """The compose process's environment as shell assignments."""
    env = dict(e["env"])
    env.update(e["secrets"])
    return "".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items())


def steps(e, inv):
    """name -> shell snippet (POSIX sh, run on the node). The snippets expect
    the compose environment to be set (see env_lines) and, for "pull", the
    registry password in $REG_PW."""
    reg = inv["registry"]
    C, F, P = e["C"], e["remote_file"], e["project"]
    base = f"{C} -p {P} -f {F}"
    out = {}
    # The Docker CLI also looks for the Compose plugin in $DOCKER_CONFIG; the
    # lab's plugin is system-wide, so a throw-away config hides nothing.
    out["pull"] = (
        'D=$(mktemp -d /dev/shm/bench-login.XXXXXX); trap \'rm -rf "$D"\' EXIT; '
        f'printf %s "$REG_PW" | DOCKER_CONFIG=$D docker login -u {shlex.quote(reg["username"])} --password-stdin {reg["server"]} >/dev/null 2>&1 && '
        f'DOCKER_CONFIG=$D {base} pull -q; rc=$?; rm -rf "$D"; exit $rc')
    hooks = e["st"].get("hooks", {}).get("before_up", [])
    if hooks:
        out["hook"] = " && ".join(
            f"{base} run --rm -T {h['service']} " + " ".join(shlex.quote(a) for a in h["command"]) + " >/dev/null"
            for h in hooks)
    out["up"] = f"{base} up -d"
    health = e["st"].get("health", {})
    wait = []
    for s in health.get("services", []):
        wait.append(
            f"while :; do i=$(docker ps -q --filter label=com.docker.compose.project={P} "
            f"--filter label=com.docker.compose.service={s} | head -n1); "
            "st=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' $i 2>/dev/null); "
            '{ [ "$st" = healthy ] || [ "$st" = running ]; } && break; sleep 0.5; done')
    if health.get("url"):
        wait.append(f"until curl -fsS -m 2 -o /dev/null {shlex.quote(health['url'])}; do sleep 0.5; done")
    out["health"] = "; ".join(wait) or "true"
    return out


def one_session_script(e, inv):
    """Every step in one shell session (by hand, the shell loop): the
    environment and the registry password arrive on stdin with the script."""
    s = steps(e, inv)
    lines = ["set -e", "set -a", env_lines(e).rstrip("\n"), "set +a", f"REG_PW={shlex.quote(e['registry_password'])}"]
    lines.append(f"( {s['pull']} )")
    if "hook" in s:
        lines.append(s["hook"])
    lines.append(s["up"])
    lines.append(s["health"])
    return "\n".join(lines) + "\n"
