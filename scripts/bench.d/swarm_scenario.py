"""scripts/bench --only swarm (issue 19): the swarm workers stack
(stacks/swarm-workers, inventory/lab-swarm.toml) on the lab's Swarm of 3
nodes, homectl beside the same by hand (scripts/bench.d/swarm_by_hand.py),
alternating round after round:

- tag switch at 6 replicas of each service: every run deploys the tag the
  stack does not run (both tags are on every node: a pull checks the
  registry, downloads nothing), until every task runs healthy at it;
- scale from 2 to 12 replicas (same tag): untimed back to 2 before each run,
  then the time until all 24 tasks run healthy.

`scripts/lab swarm up` first, `swarm down` at the end (run it under the e2e
lock, as scripts/bench is)."""
import json
import subprocess
import time
from pathlib import Path

PROJECT = "ktrdr-swarm-workers"
STACK = "stack:swarm-workers"


def run(bin_, repo, tags_env, runs, measure, summarize, cgroup_cpu, log, S, R):
    d = Path(__file__).resolve().parent
    inv = repo / "inventory/lab-swarm.toml"
    lab = repo / "scripts/lab"
    old, new = tags_env["LAB_TAG_OLD"], tags_env["LAB_TAG_NEW"]
    hc = f"{bin_} -i {inv} -q deploy swarm {STACK}"
    by_hand = f"python3 {d}/swarm_by_hand.py"

    def sh(cmd):
        subprocess.run(cmd, shell=True, check=True, cwd=repo, stdout=subprocess.DEVNULL)

    def rounds(contenders, before=None):
        """contenders: name -> fn() giving the command; `before` runs untimed
        before each timed run."""
        names = list(contenders)
        raw = {n: [] for n in names}
        for r in range(runs):
            for name in names[r % len(names):] + names[:r % len(names)]:
                if before:
                    before()
                m = measure(contenders[name]())
                raw[name].append(m)
                log(f"  run {r + 1}/{runs} {name:10} {m['wall']:6.2f} s  cpu {m['cpu_waited']:5.2f} s" + ("" if m["rc"] == 0 else "  FAILED"))
        for ms in raw.values():
            for m in ms:
                c = cgroup_cpu(m.pop("cg"))
                m["cpu"] = c if c is not None else m["cpu_waited"]
        return {n: summarize(raw[n]) for n in names}

    log("swarm: scripts/lab swarm up")
    sh(f"{lab} swarm up")
    try:
        # Untimed: both tags pulled on every node, the stack at 6 on OLD.
        sh(f"{hc} --tag {new} --scale 6")
        sh(f"{hc} --tag {old}")
        state = {"tag": old}

        def switch(cmd):
            def f():
                state["tag"] = new if state["tag"] == old else old
                return cmd(state["tag"])
            return f

        r = rounds({"homectl": switch(lambda t: f"{hc} --tag {t}"),
                    "by hand": switch(lambda t: f"{by_hand} {t} 6")})
        R.append(("issue 19: swarm tag switch, 6 replicas × 2 services on 3 nodes, homectl / by hand",
                  r["homectl"]["median"] / r["by hand"]["median"], "≤ 1.1"))
        S.append(("Issue 19: swarm tag switch at 6 replicas", r, "by hand", None,
                  "stacks/swarm-workers on the lab's Swarm (node-a manager, node-b, node-c), 6 replicas of each of its 2 services; "
                  "each run deploys the other lab tag until every task runs healthy at its digest (Swarm's rolling update: "
                  "parallelism 1, start-first, 2 s healthchecks). By hand = scripts/bench.d/swarm_by_hand.py: the tag's digest "
                  "from the registry (one HEAD), a pull by digest on the 3 nodes in parallel (throw-away login), "
                  "`docker stack deploy --resolve-image never` on the manager, a wait polling every second"))
        steps(bin_, inv, state, old, new, log, S)

        tag = state["tag"]
        r = rounds({"homectl": lambda: f"{hc} --tag {tag} --scale 12",
                    "by hand": lambda: f"{by_hand} {tag} 12"},
                   before=lambda: sh(f"{hc} --tag {tag} --scale 2"))
        R.append(("issue 19: swarm scale 2 → 12 replicas × 2 services, homectl / by hand",
                  r["homectl"]["median"] / r["by hand"]["median"], "≤ 1.1"))
        S.append(("Issue 19: swarm scale from 2 to 12 replicas", r, "by hand", None,
                  "the same stack and tag, from 2 replicas of each service (untimed, before each run) to 12: the time until "
                  "all 24 tasks run healthy; by hand as above, with replicas 12"))
    finally:
        subprocess.run(["ssh", "-F", "/var/lib/homectl-lab/ssh/ssh_config", "core.lab.home.arpa", "rm -rf /root/bench-swarm"])
        log("swarm: scripts/lab swarm down")
        subprocess.run([str(lab), "swarm", "down"], stdout=subprocess.DEVNULL)


def steps(bin_, inv, state, old, new, log, S):
    """One `--json` tag switch after the timed runs: when each of homectl's
    steps ended, seconds from the start (printed, and kept in the note)."""
    state["tag"] = new if state["tag"] == old else old
    start = time.monotonic()
    p = subprocess.Popen([str(bin_), "-i", str(inv), "--json", "deploy", "swarm", STACK, "--tag", state["tag"]],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    marks = []
    for line in p.stdout:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("status") in ("ok", "failed") and e.get("step"):
            marks.append(f"{e.get('node')} {e['step']} {time.monotonic() - start:.2f}")
    p.wait()
    text = ", ".join(marks) + f", exit at {time.monotonic() - start:.2f}"
    log(f"  homectl steps (s from start): {text}")
    title, r, ref, me, note = S[-1]
    S[-1] = (title, r, ref, me, note + f". One more homectl run with --json, each step's end in seconds from the start: {text}")
