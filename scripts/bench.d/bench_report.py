"""scripts/bench's report: docs/benchmarks.md and docs/benchmarks.svg from the
stored figures."""
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

def met(value, goal):
    """'yes' / 'no' for a numeric goal ("≤ 1.10", "≥ 3", "< 1 ..."), else ''."""
    m = re.match(r"^(≤|≥|<|>)\s*([0-9.]+)", goal)
    if not m or not isinstance(value, (int, float)):
        return ""
    op, x = m.group(1), float(m.group(2))
    ok = {"≤": value <= x, "≥": value >= x, "<": value < x, ">": value > x}[op]
    return "yes" if ok else "**no**"


def fmt(v):
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def versions():
    def out(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except Exception:
            return "?"
    return {
        "homectl": out(f"{BIN} --version") + ", target/release/homectl built "
                   + datetime.datetime.fromtimestamp(BIN.stat().st_mtime, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "ansible-core": out(f"{VENV}/bin/ansible --version"),
        "pyinfra": out(f"{VENV}/bin/pyinfra --version"),
        "hyperfine": out("hyperfine --version"),
        "docker engine": out("DOCKER_HOST=unix:///run/homectl-lab/node-a/docker.sock docker version --format '{{.Server.Version}}'"),
        "docker CLI": out("docker version --format '{{.Client.Version}}' 2>/dev/null"),
        "compose v2": out("docker compose version --short"),
        "compose v1": out("docker-compose version --short"),
        "openssh": out("ssh -V 2>&1"),
        "python": out("/usr/bin/python3 --version"),
    }


def machine():
    model = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = int(open("/proc/meminfo").readline().split()[1]) // 1024 // 1024
    return f"{platform.node()}: {os.cpu_count()} cores ({model}), {mem} GB RAM, {platform.platform()}"


def write_report(store):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    groups = [store[g] for g in ORDER if g in store]
    S = [tuple(x) for g in groups for x in g["S"]]
    R = [tuple(x) for g in groups for x in g["R"]]
    when = "; ".join(f"{g}: {store[g]['measured']}, {store[g]['runs']} runs, {store[g]['minutes']:.1f} min (`{store[g]['command']}`)" for g in ORDER if g in store)
    lines = ["# Benchmarks", "",
             f"Written {now} on {machine()}, on the lab (`scripts/lab`, [lab.md](lab.md)). "
             "The machine was shared with other work while it ran (builds and tests): "
             "read ratios measured in one run, not absolute times.", "",
             f"Scenarios measured: {when}.", "",
             "Reproduce: `scripts/bench` as root, after `scripts/lab up` (it installs hyperfine, GNU time, and ansible-core and "
             f"pyinfra from PyPI into {VENV}); `scripts/bench --only SCENARIO` measures one scenario again "
             "and keeps the others' figures (scripts/bench.d/results.json).", "",
             "![chart](benchmarks.svg)", "", "## Ratios", "", "| ratio | value | goal | met |", "|---|---|---|---|"]
    for what, value, goal in R:
        lines.append(f"| {what} | {fmt(value)} | {goal} | {met(value, goal)} |")
    for title, r, ref, me, note in S:
        lines += ["", f"## {title}", "", note, ""]
        hdr = "| contender | median | min | max | / limit | / homectl | CPU (user+sys) | peak RSS | machine CPU |"
        if not me:
            hdr = hdr.replace("| / limit | / homectl |", f"| / {ref} |")
        lines += [hdr, "|" + "---|" * (hdr.count("|") - 1)]
        for name, x in r.items():
            cells = [name, f"{x['median']:.2f} s", f"{x['min']:.2f} s", f"{x['max']:.2f} s", f"{x['median'] / r[ref]['median']:.2f}"]
            if me:
                cells.append(f"{x['median'] / r[me]['median']:.2f}")
            cells += [f"{x['cpu']:.2f} s", f"{x['rss_mb']:.0f} MB" if x.get("rss_mb") else "–",
                      f"{x['machine'] * 100:.0f}%" if x.get("machine") is not None else "–"]
            if x.get("failed"):
                cells[0] += f" ({x['failed']} of {x['runs']} runs failed)"
            lines.append("| " + " | ".join(cells) + " |")
        if any("trips" in x for x in r.values()):
            lines += ["", "Round trips per node and run (SSH connections in brackets):", "",
                      "| contender | " + " | ".join(sorted({h for x in r.values() for h in x.get("trips", {})})) + " |"]
            hosts = sorted({h for x in r.values() for h in x.get("trips", {})})
            lines.append("|---|" + "---|" * len(hosts))
            for name, x in r.items():
                t = x.get("trips", {})
                lines.append(f"| {name} | " + " | ".join(f"{t[h][0]:.0f} ({t[h][1]:.0f})" if h in t else "–" for h in hosts) + " |")
    for g in groups:
        for what, st in g.get("steps", {}).items():
            names = []
            for per in st["steps"].values():
                names += [k for k in per if k not in names]
            lines += ["", f"## Where homectl's time goes: {what}", "",
                      "One `homectl --json deploy` after the timed runs: seconds per step and node (from its events).", "",
                      "| node | " + " | ".join(names) + " | node done at |", "|---|" + "---|" * (len(names) + 1)]
            for node, per in sorted(st["steps"].items()):
                lines.append(f"| {node} | " + " | ".join(f"{per[k]:.2f}" if k in per else "–" for k in names)
                             + f" | {st['total'].get(node, 0):.2f} |")
    lines += ["", "## How it is measured", "",
              "- Every run that changes the nodes is timed by scripts/bench's own loop, alternating: round after round every "
              "contender once, the order rotating each round. Preflight changes nothing and runs with hyperfine.",
              "- Switch tag: every run deploys the lab tag (OLD/NEW) the nodes do not run, so images change each time; both "
              "tags are in every node's engine, so a pull checks the registry but downloads nothing (as on a daily deploy).",
              "- CPU: user+sys of every process the contender started on this machine, daemonized ssh masters included "
              "(one cpuacct cgroup per run); the nodes' side (sshd, docker, compose) is not in it. homectl's own CPU: the same "
              "run's getrusage minus its ssh clients' (an `ssh` shim in front of the real one logs each client's CPU with GNU time). "
              "Peak RSS: the largest single process (getrusage). Machine CPU: share of both cores busy during the run (/proc/stat).",
              "- Contenders: the same remote commands (scripts/bench.d/common.py) for all but homectl: by hand = "
              "scripts/bench.d/by_hand.py (one `op inject`, then per node scp + one ssh session; `parallel` or "
              "`sequential`); Ansible and pyinfra = scripts/bench.d/tool.py (their defaults, no fact gathering, one task "
              "per step, shell tasks; secrets in a 0600 file on the node's tmpfs while it runs).",
              "- Latency: scripts/bench.d/delay_proxy.py as ProxyCommand holds every chunk 25 ms each way (50 ms per round "
              "trip) for every contender alike; it also costs each connection a Python start (about 0.05 s).",
              "- `DOCKER_HOST=ssh://` = scripts/bench.d/docker_host.py (scenario 1 of a full run only): this machine's "
              "Compose v2 drives each node's engine over `docker system dial-stdio`, node after node; nothing is copied, "
              "and every Docker CLI or Compose call opens its own SSH connection.",
              "", "## Versions", ""] + [f"- {k}: {v}" for k, v in versions().items()]
    notes = D / "notes.md"
    if notes.exists():
        lines += ["", notes.read_text().rstrip("\n")]
    (REPO / "docs/benchmarks.md").write_text("\n".join(lines) + "\n")
    (REPO / "docs/benchmarks.svg").write_text(chart(S))
    log("wrote docs/benchmarks.md and docs/benchmarks.svg")


def chart(S):
    """A horizontal bar chart of every contender's median (min-max whisker),
    grouped by scenario; homectl in blue, the limit hatched."""
    rows = []
    for title, r, _, _, _ in S:
        rows.append((title, None))
        rows += [(name, x) for name, x in r.items()]
    longest = max((x["max"] for _, x in rows if x is not None), default=1)
    width, left, bar_h = 900, 300, 16
    height = 20 + len(rows) * (bar_h + 6)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    y = 10
    scale = (width - left - 80) / longest
    for name, x in rows:
        if x is None:
            out.append(f'<text x="4" y="{y + 13}" font-weight="bold">{esc(name)}</text>')
        else:
            w = scale * x["median"]
            color = "#2b7bb9" if name.startswith(("homectl", "deploy", "preflight")) else ("#7fbf7f" if "by hand" in name else "#999")
            out.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{esc(name)}</text>')
            out.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
            out.append(f'<line x1="{left + scale * x["min"]:.1f}" x2="{left + scale * x["max"]:.1f}" y1="{y + bar_h / 2}" y2="{y + bar_h / 2}" stroke="black"/>')
            out.append(f'<text x="{left + scale * x["max"] + 4:.1f}" y="{y + 12}">{x["median"]:.2f} s</text>')
        y += bar_h + 6
    out.append("</svg>")
    return "\n".join(out) + "\n"


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
