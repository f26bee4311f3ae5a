"""scripts/bench's scenarios against the other tools: fan-out, tag switch,
CPU, redeploy, latency, scale."""
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

def scenario_fanout(lab, runs, S, R):
    """Issues 3 and 4: preflight and deploy fan out; one node against the
    same steps by hand; SSH connections and op calls per deploy."""
    old = lab.old
    r = hyperfine({
        "preflight 3 nodes": homectl(INV, f"preflight --tag {old}"),
        "preflight node-a": homectl(INV, f"preflight node-a --tag {old}"),
        "preflight node-b": homectl(INV, f"preflight node-b --tag {old}"),
        "preflight node-c": homectl(INV, f"preflight node-c --tag {old}"),
        "by hand, 3 nodes": f"{D / 'by_hand_preflight.py'} all {old}",
        "by hand, node-c": f"{D / 'by_hand_preflight.py'} node-c {old}",
    }, runs)
    slowest = max(r[f"preflight node-{x}"]["median"] for x in "abc")
    R.append(("issue 3: preflight on 3 nodes / on the slowest single node", r["preflight 3 nodes"]["median"] / slowest, "≤ 1.3"))
    R.append(("issue 3: the same checks by hand in parallel: 3 nodes / node-c alone (the machine's own fan-out)",
              r["by hand, 3 nodes"]["median"] / r["by hand, node-c"]["median"], "reference"))
    S.append(("Issue 3: preflight fan-out", r, "preflight 3 nodes", None, "every check on each node; the secrets once (hyperfine, blocks of runs: preflight changes nothing); "
              "by hand: the same checks over one ssh session a node (scripts/bench.d/by_hand_preflight.py)"))

    r = alternate(lab, {
        "deploy 3 nodes": (homectl(INV, "deploy all --scale 1 --tag"), NODES3),
        "deploy node-a": (homectl(INV, "deploy node-a --tag"), ["node-a"]),
        "deploy node-b": (homectl(INV, "deploy node-b --scale 1 --tag"), ["node-b"]),
        "deploy node-c": (homectl(INV, "deploy node-c --scale 1 --tag"), ["node-c"]),
        # The same fan-out done by hand: what the machine itself allows
        # (its 2 cores run every node's Docker).
        "by hand, 3 nodes": (f"{D / 'by_hand.py'} parallel node-a,node-b,node-c", NODES3),
        "by hand, node-c": (f"{D / 'by_hand.py'} parallel node-c", ["node-c"]),
    }, runs)
    slowest = max(r[f"deploy node-{x}"]["median"] for x in "abc")
    R.append(("issue 4: deploy to 3 nodes / to the slowest node alone (switch tag)", r["deploy 3 nodes"]["median"] / slowest, "≤ 1.2"))
    R.append(("issue 4: the same, by hand in parallel: 3 nodes / node-c alone (the machine's own fan-out)", r["by hand, 3 nodes"]["median"] / r["by hand, node-c"]["median"], "reference"))
    S.append(("Issue 4: deploy fan-out (switch tag)", r, "deploy 3 nodes", None, "core on node-a, workers on node-b (Compose v2) and node-c (Compose v1)"))

    r = alternate(lab, {
        "homectl deploy core": (homectl(INV, "deploy core --tag"), ["node-a"]),
        "by hand over ssh": (f"{D / 'by_hand.py'} parallel node-a", ["node-a"]),
    }, runs)
    R.append(("issue 4: deploy on one node / the same steps by hand (switch tag)", r["homectl deploy core"]["median"] / r["by hand over ssh"]["median"], "≤ 1.15"))
    S.append(("Issue 4: one node, homectl against the same steps by hand (switch tag)", r, "by hand over ssh", "homectl deploy core", "login, pull, migration hook, up -d, health wait"))

    r = alternate(lab, {
        "homectl redeploy core": (homectl(INV, "deploy core --tag"), ["node-a"]),
        "by hand redeploy": (f"{D / 'by_hand.py'} parallel node-a", ["node-a"]),
    }, runs, switch=False)
    R.append(("issue 4: redeploy of what runs on one node / the same by hand", r["homectl redeploy core"]["median"] / r["by hand redeploy"]["median"], "≤ 1.2"))
    S.append(("Issue 4: redeploy of what already runs (node-a)", r, "by hand redeploy", "homectl redeploy core", "nothing to change"))

    wait_for_e2e()
    before_c, before_op = connections(), op_calls()
    tag = lab.other(NODES3)
    sh(f"{homectl(INV, 'deploy all --scale 1 --tag')} {tag}", cwd=REPO, stdout=subprocess.DEVNULL)
    for n in NODES3:
        lab.tag[n] = tag
    after_c, after_op = connections(), op_calls()
    R.append(("issue 4: SSH connections per node per deploy (sshd logs)", max(after_c[n] - before_c[n] for n in after_c), "1"))
    R.append(("issue 4: op call-log lines per deploy", after_op - before_op, "1 inject (+ whoami)"))


def scenario_switch(lab, runs, S, R, quick=False):
    # DOCKER_HOST=ssh:// (15-40 s a run) only in the full run, scenario 1.
    r = alternate(lab, contenders(INV, NODES3, TOOLS if quick else TOOLS + ("DOCKER_HOST=ssh://, sequential",)), runs)
    lim, h = r[LIMIT]["median"], r["homectl"]["median"]
    best_other = min(v["median"] for k, v in r.items() if k not in ("homectl", LIMIT))
    R.append(("1: switch tag, homectl / parallel-by-hand limit", h / lim, "≤ 1.10"))
    R.append(("1: switch tag, homectl / fastest other tool", h / best_other, "< 1 (below every contender)"))
    S.append(("Scenario 1: switch tag on 3 nodes", r, LIMIT, "homectl",
              "copy the compose file, registry login (throw-away config on a tmpfs), pull, migration hook on core, up -d, health wait; node-a core, node-b and node-c workers (Compose v2, v2, v1)"))
    return r


def homectl_steps(lab, inv=INV, nodes=NODES3, switch=True):
    """One homectl deploy with --json: each node's steps and their times."""
    wait_for_e2e()
    tag = lab.other(nodes) if switch else lab.tag[nodes[0]]
    p = subprocess.run(f"{BIN} -i {inv} --json deploy all --scale 1 --tag {tag}", shell=True, cwd=REPO,
                       capture_output=True, text=True)
    if p.returncode == 0:
        for n in nodes:
            lab.tag[n] = tag
    steps, total = {}, {}
    for line in p.stdout.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("status") in ("ok", "skipped", "failed") and e.get("step") != "done":
            name = e["step"].split()[0] if e.get("step") else "?"
            steps.setdefault(e["node"], {})
            steps[e["node"]][name] = steps[e["node"]].get(name, 0) + (e.get("elapsed_ms") or 0) / 1000
            if e.get("status") == "skipped":
                steps[e["node"]][name + " (skipped)"] = 0
        if e.get("t_ms") is not None and e.get("node"):
            total[e["node"]] = max(total.get(e["node"], 0), e["t_ms"] / 1000)
    return {"steps": steps, "total": total, "rc": p.returncode}


def scenario_redeploy(lab, runs, S, R):
    r = alternate(lab, contenders(INV, NODES3), runs, switch=False)
    h = r["homectl"]["median"]
    R.append(("2: redeploy, Ansible / homectl", r["Ansible"]["median"] / h, "≥ 3"))
    R.append(("2: redeploy, pyinfra / homectl", r["pyinfra"]["median"] / h, "≥ 1.5"))
    R.append(("2: redeploy, homectl / parallel-by-hand (which runs every step)", h / r[LIMIT]["median"], "reported"))
    S.append(("Scenario 2: redeploy of what already runs, 3 nodes", r, LIMIT, "homectl",
              "the tag every node already runs: the other contenders run every step again"))


def scenario_cpu(lab, s1, S, R):
    """homectl's own CPU, without its ssh clients: an `ssh` in front of the
    real one on PATH that logs each client's CPU with GNU time."""
    shim = WORK / "shim"
    shim.mkdir(parents=True, exist_ok=True)
    logf = WORK / "ssh-cpu.log"
    (shim / "ssh").write_text(f'#!/bin/sh\nexec /usr/bin/time -a -o {logf} -f "%U %S" /usr/bin/ssh "$@"\n')
    os.chmod(shim / "ssh", 0o755)
    own, total, rss = [], [], []
    for _ in range(3):
        logf.write_text("")
        wait_for_e2e()
        tag = lab.other(NODES3)
        env = dict(os.environ, PATH=f"{shim}:{os.environ['PATH']}")
        m = measure(f"{homectl(INV, 'deploy all --scale 1 --tag')} {tag}", env)
        cgroup_cpu(m.pop("cg"))
        if m["rc"] == 0:
            for n in NODES3:
                lab.tag[n] = tag
        ssh_cpu = sum(float(a) + float(b) for a, b in (l.split()[:2] for l in logf.read_text().splitlines() if re.match(r"^[0-9.]+ [0-9.]+$", l)))
        own.append(m["cpu_waited"] - ssh_cpu)
        total.append(m["cpu_waited"])
        rss.append(m["rss_mb"])
    h = s1["homectl"]
    R.append(("3: homectl's own CPU per 3-node switch, without its ssh clients, s (median of 3)", statistics.median(own), "≤ 0.5"))
    R.append(("3: homectl + its ssh clients (master included), CPU per 3-node switch, s (median of scenario 1)", h["cpu"], "≤ the by-hand clients"))
    R.append(("3: parallel by hand (ssh/scp clients + Python), CPU per switch, s (median of scenario 1)", s1[LIMIT]["cpu"], "reference"))
    R.append(("3: homectl peak memory (largest process), MB", max(rss), "reported"))
    STEPS["switch tag, 3 nodes"] = homectl_steps(lab)
    STEPS["redeploy, 3 nodes"] = homectl_steps(lab, switch=False)


def scenario_latency(lab, runs, S, R):
    cfg = delayed_ssh_config()
    inv = write_inventory(WORK / "lab-delay.toml", ssh_config=cfg)
    plog = {}

    def env_for(name):
        plog.setdefault(name, WORK / f"proxy-{re.sub(r'[^a-z]', '_', name.lower())}.log")
        return dict(os.environ, BENCH_SSH_CONFIG=str(cfg), BENCH_PROXY_LOG=str(plog[name]), BENCH_DELAY_MS="50")

    def trips():
        out = {}
        for name, f in plog.items():
            per = {}
            for line in f.read_text().splitlines() if f.exists() else []:
                host, turns, *_ = line.split()
                c = per.setdefault(host, [0, 0])
                c[0] += int(turns)
                c[1] += 1
            out[name] = per
            f.unlink(missing_ok=True)
        return out

    for title, switch, key in (("switch tag", True, "4a"), ("redeploy", False, "4b")):
        c = contenders(inv, NODES3, ("homectl", "by hand, parallel", "Ansible", "pyinfra"))
        r = alternate(lab, c, runs, switch=switch, env_for=env_for, lab_args=(inv,))
        t = trips()
        for name, per in t.items():
            n_runs = r[name]["runs"]
            r[name]["trips"] = {h.split(".")[0]: (v[0] / n_runs, v[1] / n_runs) for h, v in per.items()}
        h = r["homectl"]["median"]
        R.append((f"{key}: {title} +50 ms RTT, homectl / parallel-by-hand limit", h / r[LIMIT]["median"], "≤ 1.1" if switch else "reported"))
        if not switch:
            R.append((f"{key}: {title} +50 ms RTT, Ansible / homectl", r["Ansible"]["median"] / h, "≥ 3 (as 2)"))
            R.append((f"{key}: {title} +50 ms RTT, pyinfra / homectl", r["pyinfra"]["median"] / h, "≥ 1.5 (as 2)"))
        S.append((f"Scenario 4{key[1]}: {title} on 3 nodes, 50 ms added to every SSH round trip", r, LIMIT, "homectl",
                  "every contender's ssh (and pyinfra's paramiko) goes through scripts/bench.d/delay_proxy.py as ProxyCommand; "
                  "round trips are the proxy's count of client→server→client turns, per node and run (connections in brackets)"))


def scenario_scale(lab, runs, S, R):
    n = 16
    log(f"scale: scripts/lab up --workers {n}")
    lab_up(n)
    inv = write_inventory(WORK / f"lab-{n}.toml", workers=n)
    nodes = ["node-a"] + [f"node-{chr(ord('b') + i)}" for i in range(n)]
    # Both tags on every new node first (untimed), then every node on OLD.
    lab.sync(lab.new, inv, nodes)
    lab.sync(lab.old, inv, nodes)
    plan_beside_ansible(lab, inv, n, runs, S, R)
    # One untimed preflight first: a failing check is shown, and measured anyway.
    first = subprocess.run(f"{BIN} -i {inv} preflight --tag {lab.old}", shell=True, cwd=REPO, capture_output=True, text=True)
    if first.returncode != 0:
        log(f"preflight with {n} workers failed:\n{first.stdout[-4000:]}{first.stderr[-2000:]}")
        PREFLIGHT_FAIL.append(first.stdout[-3000:] + first.stderr[-1000:])
    curve = curve_ssh_config()
    inv_c = write_inventory(WORK / f"lab-{n}-curve25519.toml", workers=n, ssh_config=curve)
    inv2_c = write_inventory(WORK / "lab-2-curve25519.toml", ssh_config=curve)
    p = hyperfine({
        f"preflight, {n} workers": homectl(inv, f"preflight --tag {lab.old}"),
        "preflight, 2 workers": homectl(INV, f"preflight --tag {lab.old}"),
        f"preflight, {n} workers, curve25519": homectl(inv_c, f"preflight --tag {lab.old}"),
        "preflight, 2 workers, curve25519": homectl(inv2_c, f"preflight --tag {lab.old}"),
    }, runs, ignore_failure=True)
    R.append((f"5: preflight({n}) / preflight(2)", p[f"preflight, {n} workers"]["median"] / p["preflight, 2 workers"]["median"], "≤ 2"))
    R.append((f"5: the same with KexAlgorithms curve25519-sha256 in the ssh config",
              p[f"preflight, {n} workers, curve25519"]["median"] / p["preflight, 2 workers, curve25519"]["median"], "reported"))
    note = ("node-a and 16 or 2 worker nodes; 'curve25519': the ssh config sets KexAlgorithms curve25519-sha256 "
            "instead of OpenSSH's default sntrup761x25519-sha512 (docs/inventory.md)")
    if PREFLIGHT_FAIL:
        note += (f"; **preflight with {n} workers exited 1** (timed anyway), its table:\n\n```\n"
                 + PREFLIGHT_FAIL[0].strip() + "\n```")
    S.append((f"Scenario 5a: preflight with {n} worker nodes", p, "preflight, 2 workers", None, note))
    r = alternate(lab, contenders(inv, nodes, ("homectl", "Ansible", "pyinfra")), runs, lab_args=(inv, nodes))
    h = r["homectl"]["median"]
    for k in ("Ansible", "pyinfra"):
        R.append((f"5: switch tag on {n} workers + core, {k} / homectl", r[k]["median"] / h, "reported"))
    S.append((f"Scenario 5b: switch tag on node-a + {n} worker nodes", r, "homectl", None,
              "the machine's two cores do every node's Docker work: 'machine CPU' is the share of both cores busy during a run"))


def plan_beside_ansible(lab, inv, n, runs, S, R):
    """With every node on OLD: `homectl plan` of the switch to NEW beside
    the Ansible playbook of the switch run with `--check --diff`."""
    ours, theirs = f"homectl plan, {n} workers + core", f"Ansible --check --diff, {n} workers + core"
    p = hyperfine({
        ours: homectl(inv, f"plan all --scale 1 --tag {lab.new}"),
        theirs: f"BENCH_INVENTORY={inv} {D / 'tool.py'} ansible-check all {lab.new}",
    }, runs)
    R.append((f"16: Ansible --check --diff / homectl plan, switch tag on {n} workers + core",
              p[theirs]["median"] / p[ours]["median"], "reported"))
    S.append((f"Scenario 5c: what the switch on node-a + {n} workers would change", p, ours, None,
              "read-only both: `homectl plan` asks every node and the registry (digests, files, env, scale); "
              "Ansible's check mode diffs the copied compose file and skips the shell tasks (pull, up, health), "
              "so it cannot say which images or services would change"))


def back_to_two(lab):
    log("scale: back to scripts/lab up --workers 2")
    lab_up(2)
    lab.sync(lab.old)


# ---------------------------------------------------------------- folder
