#!/usr/bin/python3
"""The switch-tag deploy with Ansible or pyinfra, as their users would write
it: one task per step (copy the compose file, login + pull, the migration
hook on core, `up -d`, the health wait), command/shell tasks driving the
Compose each node has (v2, v1 on node-c), not Ansible's compose module.
Both tools run with their defaults (Ansible: 5 forks, linear strategy,
ControlMaster with a fresh ControlPath per run and its masters ended after
the run, no pipelining; pyinfra: every
host in parallel), but without fact gathering (not needed by these tasks).

    tool.py ansible|ansible-check|pyinfra NODES TAG

`ansible-check` runs the same playbook with `--check --diff`: what an
Ansible user has in place of `homectl plan` (check mode diffs the copied
compose file and skips the shell tasks, so it cannot tell which images
or services would change).

The secrets are resolved with one `op inject` and handed to the compose
steps the way each tool's users would: Ansible's `environment:` (inside the
module payload it copies to the node), pyinfra's `_env` (exported in the
remote command line, so visible in the node's process list while it runs:
a leak homectl must not have, accepted here for a contender).
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

VENV = Path(os.environ.get("BENCH_VENV", "/var/cache/homectl-bench/venv"))
tool, nodes, tag = sys.argv[1:4]
inv, entries = common.plan(tag, None if nodes == "all" else nodes.split(","))
work = Path(tempfile.mkdtemp(prefix="bench-tool.", dir="/dev/shm"))
os.chmod(work, 0o700)


def host_vars(e):
    s = common.steps(e, inv)
    env = dict(e["env"])
    env.update(e["secrets"])
    v = {
        "compose_src": e["compose_file"], "compose_dest": e["remote_file"],
        "step_pull": "( " + s["pull"] + " )", "step_up": s["up"], "step_health": s["health"],
    }
    if "hook" in s:
        v["step_hook"] = s["hook"]
    return v, env


def ansible(check=False):
    hosts = []
    for e in entries:
        v, env = host_vars(e)
        lines = [f"    {e['host']}:"]
        # !unsafe: the steps hold Go templates ({{...}}) that Jinja must not
        # touch, and the secrets are data.
        lines += [f"      {k}: !unsafe {json.dumps(x)}" for k, x in v.items()]
        lines += ["      compose_env:"] + [f"        {k}: !unsafe {json.dumps(x)}" for k, x in env.items()]
        lines += ["      pull_env:"] + [f"        {k}: !unsafe {json.dumps(x)}" for k, x in env.items()]
        lines += [f"        REG_PW: !unsafe {json.dumps(e['registry_password'])}"]
        hosts.append("\n".join(lines))
    (work / "hosts.yml").write_text("all:\n  vars:\n    ansible_user: root\n"
                                    "    ansible_python_interpreter: /usr/bin/python3\n"
                                    f"    ansible_ssh_common_args: -F {common.SSH_CONFIG}\n"
                                    "  hosts:\n" + "\n".join(hosts) + "\n")
    (work / "deploy.yml").write_text("""- hosts: all
  gather_facts: false
  tasks:
    - name: compose file
      copy: {src: "{{ compose_src }}", dest: "{{ compose_dest }}"}
    - name: registry login (throw-away config on a tmpfs) and pull
      shell: "{{ step_pull }}"
      environment: "{{ pull_env }}"
    - name: migration hook
      shell: "{{ step_hook }}"
      environment: "{{ compose_env }}"
      when: step_hook is defined
    - name: up -d
      shell: "{{ step_up }}"
      environment: "{{ compose_env }}"
    - name: health
      shell: "{{ step_health }}"
""")
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="True", ANSIBLE_SSH_CONTROL_PATH_DIR=str(work / "cp"),
               ANSIBLE_LOCAL_TEMP=str(work / "tmp"), ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")
    mode = ["--check", "--diff"] if check else []
    rc = subprocess.run([str(VENV / "bin/ansible-playbook"), *mode, "-i", str(work / "hosts.yml"), str(work / "deploy.yml")],
                        env=env, stdout=subprocess.DEVNULL if not os.environ.get("BENCH_VERBOSE") else None).returncode
    # A daily deploy starts cold: end the ControlPersist masters of this run
    # (they would otherwise linger 60 s, and serve the next run).
    for sock in (work / "cp").glob("*"):
        subprocess.run(["ssh", "-O", "exit", "-o", f"ControlPath={sock}", "x"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return rc


def pyinfra():
    hosts = []
    for e in entries:
        v, env = host_vars(e)
        v.update(compose_env=env, pull_env=dict(env, REG_PW=e["registry_password"]), ssh_user="root", ssh_key=str(common.LAB / "ssh/id_ed25519"),
                 ssh_known_hosts_file=str(common.LAB / "ssh/known_hosts"), ssh_config_file=common.SSH_CONFIG,
                 ssh_strict_host_key_checking="yes")
        hosts.append((e["host"], v))
    (work / "inventory.py").write_text(f"nodes = {hosts!r}\n")
    (work / "deploy.py").write_text("""from pyinfra import host
from pyinfra.operations import files, server

d = host.data
files.put(name="compose file", src=d.compose_src, dest=d.compose_dest)
server.shell(name="registry login and pull", commands=[d.step_pull], _env=d.pull_env)
if d.get("step_hook"):
    server.shell(name="migration hook", commands=[d.step_hook], _env=d.compose_env)
server.shell(name="up -d", commands=[d.step_up], _env=d.compose_env)
server.shell(name="health", commands=[d.step_health])
""")
    return subprocess.run([str(VENV / "bin/pyinfra"), "-y", str(work / "inventory.py"), str(work / "deploy.py")],
                          cwd=work, stdout=subprocess.DEVNULL if not os.environ.get("BENCH_VERBOSE") else None).returncode


try:
    rc = {"ansible": ansible, "ansible-check": lambda: ansible(check=True), "pyinfra": pyinfra}[tool]()
finally:
    shutil.rmtree(work, ignore_errors=True)
sys.exit(rc)
