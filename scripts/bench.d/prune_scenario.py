"""scripts/bench --only prune: the disk a node uses after 10 daily deploys
of a stack (10 tags, each its own image with a layer of its own, and a
changed stack file each day), without pruning (inventory keep = 1000: every
version stays) and with homectl's prune after each deploy (keep = 3).
Measured on node-b as `du` of its Docker root folder plus homectl's state
folder, after minus before the 10 deploys. A throw-away stack `benchprune`
on node-b; its images, containers and folder are removed before and after."""
import re
import shutil
import subprocess
from pathlib import Path

LAB = Path("/var/lib/homectl-lab")
HOST = "workers-b.lab.home.arpa"
STACK = "benchprune"
DAYS = 10
LAYER_MB = 20
COMPOSE = """services:
  app:
    image: ${REGISTRY}/ktrdr-backend:${IMAGE_TAG}
    command: ["/app/entry", "db"]
    init: true
    volumes:
      - ./release.txt:/release.txt:ro
"""
STACK_TOML = 'images = ["ktrdr-backend"]\n\n[health]\nservices = ["app"]\ntimeout = "60s"\n'


def on_node(script, stdin=None):
    return subprocess.run(["ssh", "-F", str(LAB / "ssh/ssh_config"), HOST, script], input=stdin,
                          capture_output=True, text=True, check=True).stdout


def build_tags(tags, image, base, user, registry):
    """Each tag its own image: the lab image plus a layer of LAYER_MB random
    bytes; built and pushed with node-b's engine, which keeps none of them."""
    password = (LAB / "registry/password").read_text().splitlines()[0]
    script = (
        "set -e; export DOCKER_CONFIG=$(mktemp -d /dev/shm/bench-build.XXXXXX); trap 'rm -rf $DOCKER_CONFIG' EXIT; "
        f"IFS= read -r pw; printf '%s\\n' \"$pw\" | docker login -u {user} --password-stdin {registry} >/dev/null 2>&1; "
        f"docker pull -q {base} >/dev/null; "
        f"for t in {' '.join(tags)}; do "
        f"printf 'FROM {base}\\nRUN head -c {LAYER_MB}m /dev/urandom >/blob && echo %s >/app/version\\n' \"$t\" | "
        f"docker build -q -t {image}:$t - >/dev/null; docker push -q {image}:$t >/dev/null; docker rmi {image}:$t >/dev/null; done")
    on_node(script, stdin=password + "\n")


def clean(tags, image):
    refs = " ".join(f"{image}:{t}" for t in tags)
    on_node(f"ids=$(docker ps -aq --filter label=com.docker.compose.project=ktrdr-{STACK}); "
            "[ -z \"$ids\" ] || docker rm -f $ids >/dev/null; "
            f"docker rmi {refs} >/dev/null 2>&1; docker image prune -f >/dev/null 2>&1; "
            f"rm -rf /var/lib/homectl/stacks/{STACK}; true")


def disk_kb():
    out = on_node("du -sk \"$(docker info --format '{{.DockerRootDir}}')\" /var/lib/homectl | awk '{s += $1} END {print s}'")
    return int(out.strip())


def setup(work, repo, inv_path, keep):
    stacks = work / f"prune-stacks-{keep}"
    for st in ("core", "workers"):
        if not (stacks / st).exists():
            shutil.copytree(repo / "stacks" / st, stacks / st)
    (stacks / STACK).mkdir(parents=True, exist_ok=True)
    (stacks / STACK / "compose.yml").write_text(COMPOSE)
    (stacks / STACK / "stack.toml").write_text(STACK_TOML)
    text = inv_path.read_text()
    text = re.sub(r'(?m)^name = ', f'stacks_dir = "{stacks}"\nkeep = {keep}\nname = ', text, count=1)
    at = text.index("[nodes.node-b]")
    text = text[:at] + text[at:].replace('stacks = ["workers"]', f'stacks = ["workers", "{STACK}"]', 1)
    inv = work / f"lab-prune-{keep}.toml"
    inv.write_text(text)
    return stacks, inv


def run(bin_, repo, work, inv_path, tags_env, log, wait):
    """Returns the R rows: (what, value, goal)."""
    image = tags_env["LAB_IMAGE"]
    base = f"{image}:{tags_env['LAB_TAG_OLD']}"
    tags = [f"bench-prune-{i:02}" for i in range(1, DAYS + 1)]
    log(f"prune: building and pushing {DAYS} tags ({LAYER_MB} MB layer each) with node-b's engine")
    build_tags(tags, image, base, tags_env["LAB_REGISTRY_USER"], tags_env["LAB_REGISTRY"])
    used = {}
    try:
        for name, keep in (("without prune", 1000), ("with prune", 3)):
            wait()
            clean(tags, image)
            stacks, inv = setup(work, repo, inv_path, keep)
            before = disk_kb()
            for day, tag in enumerate(tags, 1):
                (stacks / STACK / "release.txt").write_text(f"day {day}: {tag}\n")
                p = subprocess.run([str(bin_), "-i", str(inv), "-q", "deploy", "node-b", f"stack:{STACK}", "--tag", tag],
                                   cwd=repo, capture_output=True, text=True)
                if p.returncode != 0:
                    raise SystemExit(f"prune scenario: deploy of {tag} failed:\n{p.stderr[-2000:]}")
            used[name] = (disk_kb() - before) / 1000
            log(f"  {name}: {used[name]:.1f} MB more on node-b after {DAYS} deploys")
    finally:
        clean(tags, image)
    return [
        (f"prune a: disk used on node-b after {DAYS} daily deploys ({DAYS} tags, a {LAYER_MB} MB layer each), without prune (MB)",
         round(used["without prune"], 1), f"about {DAYS} × {LAYER_MB}"),
        (f"prune b: the same with homectl's prune after each deploy, keep 3 (MB)",
         round(used["with prune"], 1), f"about 3 × {LAYER_MB}"),
        ("prune c: disk used with prune / without", used["with prune"] / used["without prune"], "≤ 0.4"),
    ]
