"""scripts/bench's scenarios of the later features: stack folders, prune,
rolling updates, plan, Swarm."""
from bench_harness import *  # noqa: F401,F403 (the shared parts, by name)
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

FOLDER_COMPOSE = """services:
  web:
    image: ${REGISTRY}/ktrdr-backend:${IMAGE_TAG}
    command: ["busybox", "httpd", "-f", "-p", "5095", "-h", "/www"]
    volumes:
      - ./files:/www:ro
"""
FOLDER_STACK = 'images = ["ktrdr-backend"]\n\n[health]\nservices = ["web"]\ntimeout = "30s"\n'
FOLDER_STACKS = ("benchbig", "benchone")   # throw-away stacks on node-b (projects ktrdr-benchbig, ...)
ANSIBLE_DEST = "/root/bench-folder-ansible"


def folder_setup():
    """A copy of the lab's stacks plus `benchbig` (compose.yml and 200 files,
    1 MB in all) and `benchone` (compose.yml alone), both on node-b, and the
    inventory that lists them."""
    stacks = WORK / "folder-stacks"
    for st in ("core", "workers"):
        shutil.copytree(REPO / "stacks" / st, stacks / st)
    for st in FOLDER_STACKS:
        (stacks / st).mkdir(parents=True)
        (stacks / st / "compose.yml").write_text(FOLDER_COMPOSE)
        (stacks / st / "stack.toml").write_text(FOLDER_STACK)
    files = stacks / "benchbig/files"
    files.mkdir()
    size = (1 << 20) // 200
    for i in range(200):
        (files / f"f{i:03}.txt").write_bytes(os.urandom(size // 2).hex().encode())
    inv = WORK / "lab-folder.toml"
    text = INV.read_text()
    text = re.sub(r'(?m)^name = ', f'stacks_dir = "{stacks}"\nname = ', text, count=1)
    at = text.index("[nodes.node-b]")
    text = text[:at] + text[at:].replace('stacks = ["workers"]', 'stacks = ["workers", "benchbig", "benchone"]', 1)
    inv.write_text(text)
    return stacks, inv


def folder_clean():
    host = "workers-b.lab.home.arpa"
    script = "; ".join(
        [f"ids=$(docker ps -aq --filter label=com.docker.compose.project={p}); [ -z \"$ids\" ] || docker rm -f $ids >/dev/null"
         for p in ("ktrdr-benchbig", "ktrdr-benchone", "bench-ansible-big")]
        + [f"rm -rf /var/lib/homectl/stacks/{st}" for st in FOLDER_STACKS] + [f"rm -rf {ANSIBLE_DEST}"])
    subprocess.run(["ssh", "-F", str(LAB / "ssh/ssh_config"), host, script], stdout=subprocess.DEVNULL)


def stage_bytes(stderr, stack):
    """The data bytes of the stage step of `stack`, from homectl's debug
    log line `step frames` (src/execution/remote_shell.rs)."""
    total = None
    for line in re.sub(r"\x1b\[[0-9;]*m", "", stderr).splitlines():
        m = re.search(rf"step frames step=stage {stack} script_bytes=(\d+) data_frames=(\d+) data_bytes=(\d+)", line)
        if m:
            total = (total or 0) + int(m.group(3))
    return total


def scenario_folder(lab, runs, S, R):
    """A stack is a folder (docs/stacks.md, "What travels"): the redeploy of
    an unchanged 200-file folder against a 1-file one; the bytes a one-file
    change sends; Ansible's copy of the folder + up -d beside homectl."""
    wait_for_e2e()
    folder_clean()
    stacks, inv = folder_setup()
    tag = lab.tag["node-b"]
    try:
        for st in FOLDER_STACKS:   # first deploys, untimed
            sh(f"{homectl(inv, f'deploy node-b stack:{st} --tag')} {tag}", cwd=REPO, stdout=subprocess.DEVNULL)
        have_ansible = (VENV / "bin/ansible-playbook").exists()
        reg = "10.77.0.1:5000/lab"
        big = stacks / "benchbig"
        contenders_ = {
            "homectl redeploy, 200 files (1 MB)": (homectl(inv, "deploy node-b stack:benchbig --tag"), ["node-b"]),
            "homectl redeploy, 1 file": (homectl(inv, "deploy node-b stack:benchone --tag"), ["node-b"]),
        }
        if have_ansible:
            ans = f"{D / 'ansible_folder.py'} workers-b.lab.home.arpa {big} {ANSIBLE_DEST} bench-ansible-big {reg}"
            sh(f"{ans} {tag}", cwd=REPO, env=dict(os.environ, BENCH_VENV=str(VENV)))   # first copy, untimed
            contenders_["Ansible: copy the folder + up -d, 200 files"] = (ans, ["node-b"])
        r = alternate(lab, contenders_, runs, switch=False)
        hb, h1 = r["homectl redeploy, 200 files (1 MB)"]["median"], r["homectl redeploy, 1 file"]["median"]
        R.append(("folder a: redeploy of an unchanged 200-file (1 MB) stack / of a 1-file stack", hb / h1, "≤ 1.2"))
        if have_ansible:
            R.append(("folder c: redeploy of the 200-file folder, Ansible (copy + up -d) / homectl",
                      r["Ansible: copy the folder + up -d, 200 files"]["median"] / hb, "≥ 3"))
        S.append(("Folder: redeploy of an unchanged stack folder (node-b)", r, "homectl redeploy, 1 file", "homectl redeploy, 200 files (1 MB)",
                  "throw-away stacks on node-b: `benchbig` (compose.yml and files/ with 200 files of 5 KB, bind-mounted) and `benchone` "
                  "(compose.yml alone), same service; Ansible = scripts/bench.d/ansible_folder.py (ansible.builtin.copy of the folder "
                  "to another folder of the node, then `docker compose up -d` there as a command task, another project)"
                  + ("" if have_ansible else "; Ansible was not installed")))

        # (b) one file changes: what the stage step sends.
        sent, changed = [], 0
        for i in range(3):
            wait_for_e2e()
            f = big / "files" / f"f{i:03}.txt"
            f.write_bytes(os.urandom(f.stat().st_size // 2).hex().encode())
            changed = f.stat().st_size
            p = subprocess.run(f"{homectl(inv, 'deploy node-b stack:benchbig --tag')} {tag}", shell=True, cwd=REPO,
                               capture_output=True, text=True, env=dict(os.environ, HOMECTL_LOG="homectl=debug"))
            if p.returncode != 0:
                log(f"  one-file change deploy FAILED:\n{p.stderr[-2000:]}")
            b = stage_bytes(p.stderr, "benchbig")
            log(f"  one-file change {i + 1}/3: stage data {b} bytes (file {changed} bytes)")
            if b is not None:
                sent.append(b)
        value = statistics.median(sent) if sent else "not logged"
        R.append((f"folder b: one {changed}-byte file changed in the 200-file folder: stage step data bytes sent (median of 3)",
                  value, f"≤ {2 * changed + 16384} (2 × file + 16 KB)"))
    finally:
        folder_clean()


def scenario_prune(lab, runs, S, R):
    """Disk used on a node after 10 daily deploys, with prune and without
    (scripts/bench.d/prune_scenario.py)."""
    sys.path.insert(0, str(D))
    import prune_scenario
    R.extend(prune_scenario.run(BIN, REPO, WORK, INV, tags(), log, wait_for_e2e))


# ---------------------------------------------------------------- rolling

NODE_B_IP = "10.77.0.12"
# The published ports of each service group's replicas (stacks/workers/compose.yml).
ROLL_GROUPS = {"backtest-worker": (5003, 5004, 5007), "training-worker": (5005, 5006, 5008)}


def answers(port):
    """Whether a replica answers `GET /version` with 200 (as tests/e2e/rolling.rs asks)."""
    try:
        with socket.create_connection((NODE_B_IP, port), timeout=0.15) as c:
            c.settimeout(0.3)
            c.sendall(b"GET /version HTTP/1.0\r\n\r\n")
            head = c.recv(12)
            return head.startswith(b"HTTP/1.") and head[9:12] == b"200"
    except OSError:
        return False


class Probe:
    """Asks every replica's port every 50 ms while it runs: the longest time
    every replica of a group was down at once (tests/e2e/rolling.rs)."""

    def __init__(self):
        self.stop, self.gap, self.samples, self.down = threading.Event(), 0.0, 0, 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        since = {g: None for g in ROLL_GROUPS}
        while not self.stop.is_set():
            tick = time.monotonic()
            for g, ports in ROLL_GROUPS.items():
                up = any(answers(p) for p in ports)
                if not up:
                    self.down += 1
                    since[g] = since[g] or tick
                elif since[g] is not None:
                    self.gap = max(self.gap, tick - since[g])
                    since[g] = None
            self.samples += 1
            time.sleep(max(0.0, 0.05 - (time.monotonic() - tick)))
        for t in since.values():
            if t is not None:
                self.gap = max(self.gap, time.monotonic() - t)

    def finish(self):
        self.stop.set()
        self.thread.join()
        return self


def rolling_inventory():
    """The lab's stacks with `rolling = true` in the workers' stack.toml (same
    project ktrdr-workers), and the inventory that uses them."""
    stacks = WORK / "rolling-stacks"
    for st in ("core", "workers"):
        shutil.copytree(REPO / "stacks" / st, stacks / st)
    toml = stacks / "workers/stack.toml"
    text = toml.read_text()
    assert "max_scale = 3" in text, f"{toml}: no max_scale = 3 line"
    toml.write_text(text.replace("max_scale = 3", "rolling = true\nmax_scale = 3", 1))
    inv = WORK / "lab-rolling.toml"
    inv.write_text(re.sub(r'(?m)^name = ', f'stacks_dir = "{stacks}"\nname = ', INV.read_text(), count=1))
    return inv


def scenario_rolling(lab, runs, S, R):
    """A deploy of a new tag to node-b's workers at scale 3, rolling
    (docs/stacks.md, "Rolling updates") and not, alternating; the probe
    runs during each."""
    inv = rolling_inventory()
    plain = homectl(INV, "deploy workers node-b --scale 3 --tag")
    roll = homectl(inv, "deploy workers node-b --scale 3 --tag")
    contenders_ = {"homectl, not rolling": plain, "homectl, rolling = true": roll}
    names = list(contenders_)
    raw, gaps = {n: [] for n in names}, {n: [] for n in names}
    wait_for_e2e()
    sh(f"{plain} {lab.tag['node-b']}", cwd=REPO, stdout=subprocess.DEVNULL)   # scale 3, untimed
    try:
        for r in range(runs):
            wait_for_e2e()
            for name in names[r % 2:] + names[:r % 2]:
                tag = lab.other(["node-b"])
                probe = Probe()
                m = measure(f"{contenders_[name]} {tag}")
                probe.finish()
                if m["rc"] == 0:
                    lab.tag["node-b"] = tag
                raw[name].append(m)
                gaps[name].append(probe.gap)
                log(f"  run {r + 1}/{runs} {name:24} {m['wall']:6.2f} s  longest gap {probe.gap * 1000:5.0f} ms"
                    f"  ({probe.down} of {probe.samples} samples with a group all down)" + ("" if m["rc"] == 0 else "  FAILED"))
    finally:
        # Back to the lab's scale 1 and every node on one tag (untimed).
        subprocess.run(f"{homectl(INV, 'deploy workers node-b --scale 1 --tag')} {lab.tag['node-b']}", shell=True, cwd=REPO)
        lab.sync(lab.old)
    for ms in raw.values():
        for m in ms:
            c = cgroup_cpu(m.pop("cg"))
            m["cpu"] = c if c is not None else m["cpu_waited"]
    out = {n: summarize(raw[n]) for n in names}
    p, q = out["homectl, not rolling"]["median"], out["homectl, rolling = true"]["median"]
    R.append(("rolling: deploy of a new tag at scale 3 on node-b, rolling / not rolling", q / p,
              "reported (≈ 3 replicas × a health wait, when the health wait dominates)"))
    R.append(("rolling: each round past the first, (rolling − not rolling) / 2, s (≈ one `up` of a replica + its health wait)",
              (q - p) / 2, "reported (the healthcheck interval is 2 s)"))
    R.append(("rolling: longest gap a group had no replica answering, rolling, ms (max over runs)",
              round(max(gaps["homectl, rolling = true"]) * 1000), "≤ 0"))
    R.append(("rolling: the same, not rolling, ms (median over runs)",
              round(statistics.median(gaps["homectl, not rolling"]) * 1000), "reported (> 0)"))
    S.append(("Rolling: a new tag to node-b's workers at scale 3", out, "homectl, not rolling", None,
              "the lab's workers stack (2 groups of 3 replicas, healthcheck every 2 s) with and without `rolling = true`; "
              "during each run a probe asks every replica's port (`GET /version`) every 50 ms and keeps the longest time "
              "all 3 replicas of a group were down at once"))


# ---------------------------------------------------------------- main

def scenario_plan(lab, runs, S, R):
    """Issue 16: `plan` (what a deploy would change) beside `status`, both
    read-only, both on the 3 nodes: hyperfine, as for preflight."""
    r = hyperfine({
        "plan 3 nodes": homectl(INV, f"plan all --scale 1 --tag {lab.new}"),
        "status 3 nodes": homectl(INV, "status"),
    }, runs)
    R.append(("issue 16: plan on 3 nodes / status on 3 nodes", r["plan 3 nodes"]["median"] / r["status 3 nodes"]["median"], "≤ 1.5"))
    S.append(("Issue 16: plan beside status", r, "plan 3 nodes", None,
              "both read-only (hyperfine); plan: one step on each node asks its state and, at the same time, the "
              "registry's digests of the new tag through the node's engine (no pull), then the deploy's planner; "
              "the secrets resolved once, while the connections open"))


def scenario_swarm(lab, runs, S, R):
    """Issue 19: the swarm workers stack on the lab's Swarm, homectl beside
    the same by hand (scripts/bench.d/swarm_scenario.py)."""
    sys.path.insert(0, str(D))
    import swarm_scenario
    swarm_scenario.run(BIN, REPO, tags(), runs, measure, summarize, cgroup_cpu, log, S, R)
