#!/usr/bin/python3
"""The same steps as `homectl deploy`, done the way a careful operator would
by hand: the secrets from `op` (one `op inject`), then per node the compose
file copied with scp and one ssh session that logs in with a throw-away
Docker config on a tmpfs, pulls, runs the migration hook (core), `up -d`, and
waits for health (the script, the environment and the secrets travel on
ssh's stdin, never in argv).

    by_hand.py parallel NODES TAG     every node at once (the physical limit)
    by_hand.py sequential NODES TAG   node after node (a shell loop over ssh)

NODES: comma-separated node names, or "all" (every node of the inventory).
The remote steps are common.py's, shared with the other contenders.
"""
import subprocess
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

mode, nodes, tag = sys.argv[1:4]
inv, entries = common.plan(tag, None if nodes == "all" else nodes.split(","))
failed = []


def run(e):
    ssh = ["-F", common.SSH_CONFIG]
    r = subprocess.run(["scp", "-q", *ssh, e["compose_file"], f"{e['host']}:{e['remote_file']}"])
    if r.returncode == 0:
        r = subprocess.run(["ssh", *ssh, e["host"], "sh -s"], input=common.one_session_script(e, inv),
                           text=True, stdout=subprocess.DEVNULL)
    if r.returncode != 0:
        failed.append(e["node"])


if mode == "parallel":
    threads = [threading.Thread(target=run, args=(e,)) for e in entries]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
else:
    for e in entries:
        run(e)
if failed:
    sys.exit(f"by_hand: failed on {', '.join(failed)}")
