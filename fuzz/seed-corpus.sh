#!/usr/bin/env bash
# Writes the seed inputs of every fuzz target into fuzz/seeds/<target>/,
# from the repository's own files: tests/corpus/{broken,valid}/* and the
# reference inventory/ and stacks/. `cargo fuzz run` is then pointed at
# corpus/<target> (kept, minimized) and seeds/<target> (regenerated).
# See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/seeds
rm -rf "$out"
mkdir -p "$out"/{load,select,refs_names,history,diagnostics}

# A bundle: `=== PATH` then the file, for each file; the first is the inventory.
bundle() { # bundle DIR INVENTORY FILE...
    local dir=$1; shift
    for f in "$@"; do
        printf '=== %s\n' "$f"
        cat "$dir/$f"
        [ -z "$(tail -c1 "$dir/$f")" ] || printf '\n'
    done
}

for case in tests/corpus/broken/* tests/corpus/valid/*; do
    name=$(basename "$case")
    files=(inventory.toml)
    if [ -d "$case/stacks" ]; then
        while IFS= read -r f; do files+=("${f#"$case"/}"); done < <(find "$case/stacks" -type f | sort)
    fi
    bundle "$case" "${files[@]}" > "$out/load/$(basename "$(dirname "$case")")-$name"
done
stacks=()
while IFS= read -r f; do stacks+=("$f"); done < <(find stacks -type f | sort)
bundle . inventory/homelab.toml "${stacks[@]}" > "$out/load/reference-homelab"
bundle . inventory/lab.toml "${stacks[@]}" > "$out/load/reference-lab"

# select: the first line is TARGET (`<none>`: none), then the NAMEs.
i=0
while IFS= read -r line; do
    i=$((i + 1))
    printf '%b' "$line" > "$out/select/seed-$i"
done <<'SEEDS'
<none>
all
core\nbackend
workers\nnode-b
workers\nnode-b\nbacktest-worker-2
all\nnode:node-a\nservice:backend
all\nstack:core\nstack:workers
core\nstack:core\ndb\nmigrations
node-c\ntraining-worker-3
nope
core\nbakend
all\ncore
node:node-a
\nnode-a
SEEDS

# refs_names: one string a line.
cat > "$out/refs_names/refs" <<'SEEDS'
op://homelab/ghcr/token
op://homelab/ktrdr-db/section/password
pass://homelab/db
env://DB_PASSWORD
exec://db-password
op://a/b
pass://../x
env://1X
vault://x
hunter2
SEEDS
cat > "$out/refs_names/names" <<'SEEDS'
node-a
core.ktrdr.home.arpa
fe80::1
10.77.0.1:5000
acme/team
0a1b2c3d4e5f60718293a4b5c6d7e8f901234567
_v1.2-rc
scale-3
scale-03
-oProxyCommand=x
SEEDS

# history: lines as `homectl history` reads them from a node.
cat > "$out/history/records" <<'SEEDS'
HISTORY {"time":"2026-01-01T00:00:01Z","operator":"op@host","node":"node-a","stack":"core","kind":"deploy","services":[],"tag":"aaa","scale":1,"result":"ok","detail":"","images":{"backend":{"id":"id-aaa","digests":["r@sha256:aaa"]},"db":{"id":"id-db","digests":[]}},"duration_ms":1}
HISTORY {"time":"2026-01-01T00:00:02Z","operator":"op@host","node":"node-a","stack":"core","kind":"deploy","services":["backend"],"tag":"bbb","scale":2,"result":"ok","images":{"backend":{"id":"id-bbb"}},"duration_ms":2}
HISTORY {"time":"2026-01-01T00:00:03Z","operator":"op@host","node":"node-a","stack":"core","kind":"rollback","services":["backend"],"tag":"aaa","scale":2,"result":"failed","detail":"x","images":{},"duration_ms":3}
HISTORY {"time":"2026-01-01T00:00:04Z","operator":"op@host","node":"node-a","stack":"core","kind":"down","services":[],"tag":"aaa","scale":1,"result":"ok","images":{},"duration_ms":4}
HISTORY not json
SEEDS
# diagnostics: byte 0 picks the file (0 inventory, 1 stack.toml, 2 compose.yml,
# plus 3 x the plant), byte 1 how `\x01` widens; then the file's text.
# Every broken case's files as they are, and with a `\x01` that widens the
# first line past column 65,535.
n=0
for case in tests/corpus/broken/*; do
    n=$((n + 1))
    for f in "$case/inventory.toml" "$case"/stacks/*/stack.toml "$case"/stacks/*/compose.yml; do
        [ -f "$f" ] || continue
        case $f in
            */inventory.toml) pick=0 ;; */stack.toml) pick=1 ;; *) pick=2 ;;
        esac
        pick=$((pick + 3 * (n % 4)))
        seed="$out/diagnostics/$(basename "$case")-$(basename "$f")"
        { printf "\\$(printf '%03o' "$pick")\\000"; cat "$f"; } > "$seed"
        { printf "\\$(printf '%03o' "$pick")\\$(printf '%03o' $((n % 256)))\\001"; cat "$f"; } > "$seed-wide"
    done
done
echo "seeds: $(find "$out" -type f | wc -l) files in $out"
