"""scripts/bench's shared parts: the lab's tags, the contenders, running and
measuring them side by side (alternating rounds, hyperfine), CPU by cgroup."""
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

REPO = Path(__file__).resolve().parents[2]
D = REPO / "scripts/bench.d"
LAB = Path("/var/lib/homectl-lab")
BIN = REPO / "target/release/homectl"
INV = REPO / "inventory/lab.toml"
VENV = Path("/var/cache/homectl-bench/venv")
WORK = Path(tempfile.mkdtemp(prefix="homectl-bench."))
RESULTS = D / "results.json"        # every scenario's latest figures: --only S replaces S's
ORDER = ["fanout", "switch", "cpu", "redeploy", "latency", "scale", "folder", "prune", "rolling", "plan", "swarm"]
STEPS = {}                          # homectl's per-step times (--json), by workload
NODES3 = ["node-a", "node-b", "node-c"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True, text=True, **kw)


def tags():
    out = {}
    for line in (LAB / "tags.env").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out[k] = v.strip('"')
    return out


def holds_e2e_lock():
    """Whether this process or an ancestor holds the e2e lock (run as
    `flock /run/lock/homectl-e2e.lock scripts/bench`): then an end-to-end
    test can only be waiting for it, not running on the lab."""
    try:
        inode = os.stat("/run/lock/homectl-e2e.lock").st_ino
        holders = {int(f[4]) for f in (l.split() for l in open("/proc/locks"))
                   if len(f) > 5 and f[1] == "FLOCK" and f[5].rsplit(":", 1)[-1] == str(inode)}
    except (OSError, ValueError):
        return False
    pid = os.getpid()
    while pid > 1:
        if pid in holders:
            return True
        try:
            pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
    return False


def wait_for_e2e():
    """The lab is shared: never measure while an end-to-end test runs."""
    if holds_e2e_lock():
        return
    while subprocess.run(["pgrep", "-f", "target/debug/deps/e2e-"], stdout=subprocess.DEVNULL).returncode == 0:
        log("waiting for an end-to-end test to finish ...")
        time.sleep(10)


# ---------------------------------------------------------------- set-up

def setup(build=True):
    missing = [p for p, tool in [("hyperfine", "hyperfine"), ("time", "/usr/bin/time")] if not shutil.which(tool)]
    if missing:
        sh("apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q " + " ".join(missing) + " >/dev/null")
    if not (VENV / "bin/ansible-playbook").exists() or not (VENV / "bin/pyinfra").exists():
        log(f"installing ansible-core and pyinfra 3.x from PyPI into {VENV}")
        if not (VENV / "bin/pip").exists():
            sh(["/usr/bin/python3", "-m", "venv", str(VENV)])
        sh([str(VENV / "bin/pip"), "install", "-q", "ansible-core", "pyinfra>=3,<4"])
    if build or not BIN.exists():
        sh(["cargo", "build", "--release", "--quiet"], cwd=REPO)
    os.environ["PATH"] = f"{LAB}/bin:{os.environ['PATH']}"
    os.environ["NO_COLOR"] = "1"
    os.environ["BENCH_VENV"] = str(VENV)
    # Ansible and pyinfra as on an operator's machine: with bytecode caches
    # (this sandbox's environment turns them off, which costs every run).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([str(VENV / "bin/python"), "-m", "compileall", "-q", str(VENV / "lib")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def lab_up(workers):
    wait_for_e2e()
    sh([str(REPO / "scripts/lab"), "up", "--workers", str(workers)], stdout=subprocess.DEVNULL)


def write_inventory(path, workers=None, ssh_config=None):
    """The lab inventory, with every worker node of `scripts/lab up
    --workers N` (node-b, node-c, node-d, ...) and/or another ssh_config."""
    text = INV.read_text()
    if ssh_config:
        text = re.sub(r'(?m)^config = .*$', f'config = "{ssh_config}"', text)
    text = re.sub(r'(?m)^name = ', f'stacks_dir = "{REPO / "stacks"}"\nname = ', text, count=1)
    if workers:
        for i in range(3, workers + 1):
            n = chr(ord("a") + i)
            text += (f'\n[nodes.node-{n}]\nhost = "workers-{n}.lab.home.arpa"\ngroups = ["workers"]\n'
                     f'stacks = ["workers"]\nscale = 1\n'
                     f'env = {{ WORKER_PUBLIC_BASE_URL = "http://workers-{n}.lab.home.arpa:5003" }}\n')
    path.write_text(text)
    return path


def delayed_ssh_config():
    cfg = WORK / "ssh_config.delay"
    text = (LAB / "ssh/ssh_config").read_text()
    text = re.sub(r"(?m)^(Host .*)$", rf"\1\n    ProxyCommand {D / 'delay_proxy.py'} %h %p", text)
    cfg.write_text(text)
    return cfg


def curve_ssh_config():
    """The lab's ssh_config with the classical key exchange instead of
    OpenSSH's default post-quantum one (docs/inventory.md, "the key
    exchange"): what an operator with many nodes may choose."""
    cfg = WORK / "ssh_config.curve25519"
    text = (LAB / "ssh/ssh_config").read_text()
    text, n = re.subn(r"(?m)^(Host .*)$", r"\1\n    KexAlgorithms curve25519-sha256", text)
    assert n > 0, f"no Host line in {LAB / 'ssh/ssh_config'}: the curve25519 figures would be the default's"
    cfg.write_text(text)
    return cfg


# ---------------------------------------------------------------- runners

def machine_cpu():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = f[3] + f[4]
    return sum(f) - idle, sum(f)


CG = Path("/sys/fs/cgroup/cpuacct/homectl-bench")
_cg_seq = [0]


def new_cgroup():
    """A cpuacct cgroup (v1 here) per run: it counts the CPU of every process
    the contender starts, daemonized ssh masters included."""
    if not Path("/sys/fs/cgroup/cpuacct/cpuacct.usage").exists():
        return None
    _cg_seq[0] += 1
    cg = CG / f"{os.getpid()}-{_cg_seq[0]}"
    try:
        cg.mkdir(parents=True)
    except OSError:
        return None
    return cg


def cgroup_cpu(cg):
    """CPU seconds of a run's cgroup, read once its processes are gone (an
    ssh master may linger a few seconds after the run); then removed."""
    if cg is None:
        return None
    for _ in range(150):
        if not (cg / "cgroup.procs").read_text().strip():
            break
        time.sleep(0.1)
    v = int((cg / "cpuacct.usage").read_text()) / 1e9
    try:
        cg.rmdir()
    except OSError:
        pass
    return v


def measure(cmd, env=None):
    """Runs a shell command; wall time, CPU (user+sys of it and every child it
    waited for), peak RSS of its largest process, machine CPU use, and the
    run's cgroup (read later with cgroup_cpu)."""
    cg = new_cgroup()

    def enter():
        if cg is not None:
            (cg / "cgroup.procs").write_text(str(os.getpid()))

    b0, t0c = machine_cpu()
    t0 = time.monotonic()
    p = subprocess.Popen(["bash", "-c", cmd], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=enter)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    b1, t1c = machine_cpu()
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        log(f"  FAILED ({rc}): {cmd}\n{err.decode(errors='replace')[-2000:]}")
    return {"wall": wall, "cpu_waited": ru.ru_utime + ru.ru_stime, "rss_mb": ru.ru_maxrss / 1024, "rc": rc,
            "machine": (b1 - b0) / max(1, t1c - t0c), "cg": cg}


class Lab:
    """The tag each node runs, so that every switch really changes images."""

    def __init__(self, old, new):
        self.old, self.new = old, new
        self.tag = {}

    def other(self, nodes):
        cur = {self.tag.get(n) for n in nodes}
        assert len(cur) == 1, f"nodes out of step: {self.tag}"
        return self.new if cur == {self.old} else self.old

    def sync(self, tag, inv=INV, nodes=NODES3):
        """Every node on `tag` (untimed). The lab is shared: another deploy
        may hold a node's lock for a while, so try again."""
        for attempt in range(10):
            wait_for_e2e()
            if subprocess.run(f"{BIN} -i {inv} -q deploy all --scale 1 --tag {tag}", shell=True, cwd=REPO).returncode == 0:
                break
            log("sync failed, trying again in 5 s")
            time.sleep(5)
        else:
            raise SystemExit("cannot bring the nodes to one tag")
        for n in nodes:
            self.tag[n] = tag


def alternate(lab, contenders, runs, switch=True, env_for=None, lab_args=()):
    """contenders: name -> (shell command that gets the tag appended, nodes).
    Round after round every contender once, rotating the order. Returns
    name -> summary."""
    names = list(contenders)
    raw = {n: [] for n in names}
    for r in range(runs):
        wait_for_e2e()
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            cmd, nodes = contenders[name]
            if switch and len({lab.tag.get(n) for n in nodes}) > 1:
                # A single-node contender ran since: bring its nodes back in step (untimed).
                lab.sync(lab.tag[nodes[0]], *lab_args)
            tag = lab.other(nodes) if switch else lab.tag[nodes[0]]
            env = env_for(name) if env_for else None
            m = measure(f"{cmd} {tag}", env)
            if m["rc"] == 0:
                for n in nodes:
                    lab.tag[n] = tag
            raw[name].append(m)
            log(f"  run {r + 1}/{runs} {name:32} {m['wall']:6.2f} s  cpu {m['cpu_waited']:5.2f} s  rss {m['rss_mb']:5.0f} MB  machine {m['machine'] * 100:3.0f}%"
                + ("" if m["rc"] == 0 else "  FAILED"))
            if m["rc"] != 0:
                # Put every node back in step before the next run.
                lab.sync(lab.tag[nodes[0]] or lab.old, *lab_args)
    for ms in raw.values():
        for m in ms:
            c = cgroup_cpu(m.pop("cg"))
            m["cpu"] = c if c is not None else m["cpu_waited"]
    return {n: summarize(raw[n]) for n in names}


def summarize(ms):
    ok = [m for m in ms if m["rc"] == 0] or ms
    walls = [m["wall"] for m in ok]
    return {"median": statistics.median(walls), "min": min(walls), "max": max(walls),
            "cpu": statistics.median(m["cpu"] for m in ok), "rss_mb": max(m["rss_mb"] for m in ok),
            "machine": statistics.median(m["machine"] for m in ok), "runs": len(ms), "failed": len(ms) - len(ok) if ok is not ms else len(ms)}


PREFLIGHT_FAIL = []


def hyperfine(commands, runs, ignore_failure=False):
    """Commands that change nothing (preflight): hyperfine, in blocks."""
    out_json = WORK / "hyperfine.json"
    cmd = ["hyperfine", "--shell=bash", "--runs", str(runs), "--export-json", str(out_json), "--style", "basic"]
    if ignore_failure:
        cmd.append("--ignore-failure")
    for name, c in commands.items():
        cmd += ["--command-name", name, c]
    wait_for_e2e()
    sh(cmd, cwd=REPO, stdout=sys.stderr)
    out = {}
    for r in json.load(open(out_json))["results"]:
        t = r["times"]
        out[r["command"]] = {"median": statistics.median(t), "min": min(t), "max": max(t),
                             "cpu": r.get("user", 0.0) + r.get("system", 0.0), "rss_mb": None, "machine": None,
                             "runs": len(t), "failed": 0}
    return out


def count_lines(path, needle):
    try:
        return Path(path).read_text(errors="replace").count(needle)
    except FileNotFoundError:
        return 0


def connections(nodes=NODES3):
    return {n: count_lines(LAB / f"nodes/{n}/sshd.log", "Accepted publickey") for n in nodes}


def op_calls():
    return sum(1 for _ in open(LAB / "op/calls.log")) if (LAB / "op/calls.log").exists() else 0


# ---------------------------------------------------------------- contenders

def homectl(inv=INV, extra=""):
    return f"{BIN} -i {inv} -q {extra}"


TOOLS = ("homectl", "by hand, parallel", "shell loop, sequential", "Ansible", "pyinfra")


def contenders(inv, nodes, which=TOOLS):
    """The switch-tag deploy of every node of `inv`, by each contender."""
    env = f"BENCH_INVENTORY={inv}"
    all_ = {
        "homectl": (homectl(inv, "deploy all --scale 1 --tag"), nodes),
        "by hand, parallel": (f"{env} {D / 'by_hand.py'} parallel all", nodes),
        "shell loop, sequential": (f"{env} {D / 'by_hand.py'} sequential all", nodes),
        "Ansible": (f"{env} {D / 'tool.py'} ansible all", nodes),
        "pyinfra": (f"{env} {D / 'tool.py'} pyinfra all", nodes),
        "DOCKER_HOST=ssh://, sequential": (f"{env} {D / 'docker_host.py'} all", nodes),
    }
    return {k: v for k, v in all_.items() if k in which}


LIMIT = "by hand, parallel"


# ---------------------------------------------------------------- scenarios
