#!/usr/bin/python3
"""The redeploy of a stack folder with Ansible, as its users would write it
(scenario `folder` of scripts/bench): `ansible.builtin.copy` of the folder
to the node, then `docker compose up -d` in it as a command task. Defaults
(5 forks, linear), no fact gathering, over the lab's ssh config.

    ansible_folder.py HOST FOLDER DEST PROJECT REGISTRY TAG
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SSH_CONFIG = os.environ.get("BENCH_SSH_CONFIG", "/var/lib/homectl-lab/ssh/ssh_config")
VENV = Path(os.environ.get("BENCH_VENV", "/var/cache/homectl-bench/venv"))


def main():
    host, folder, dest, project, registry, tag = sys.argv[1:7]
    work = Path(tempfile.mkdtemp(prefix="bench-ansible-folder."))
    (work / "hosts.yml").write_text(
        "all:\n  vars:\n    ansible_user: root\n"
        "    ansible_python_interpreter: /usr/bin/python3\n"
        f"    ansible_ssh_common_args: -F {SSH_CONFIG}\n"
        f"  hosts:\n    {host}:\n")
    env_vars = {"REGISTRY": registry, "IMAGE_TAG": tag}
    (work / "deploy.yml").write_text(f"""- hosts: all
  gather_facts: false
  tasks:
    - name: the stack's folder
      ansible.builtin.copy: {{src: {json.dumps(folder.rstrip('/') + '/')}, dest: {json.dumps(dest + '/')}}}
    - name: up -d
      ansible.builtin.command:
        cmd: docker compose -p {project} -f compose.yml up -d
        chdir: {json.dumps(dest)}
      environment: {json.dumps(env_vars)}
""")
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="True", ANSIBLE_SSH_CONTROL_PATH_DIR=str(work / "cp"),
               ANSIBLE_LOCAL_TEMP=str(work / "tmp"), ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")
    rc = subprocess.run([str(VENV / "bin/ansible-playbook"), "-i", str(work / "hosts.yml"), str(work / "deploy.yml")],
                        env=env, stdout=subprocess.DEVNULL if not os.environ.get("BENCH_VERBOSE") else None).returncode
    # A deploy starts cold: end this run's ControlPersist masters.
    for sock in (work / "cp").glob("*"):
        subprocess.run(["ssh", "-O", "exit", "-o", f"ControlPath={sock}", "x"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["rm", "-rf", str(work)])
    return rc


if __name__ == "__main__":
    sys.exit(main())
