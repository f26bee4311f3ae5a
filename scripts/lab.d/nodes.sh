# shellcheck shell=bash
# scripts/lab.d/nodes.sh: the lab's nodes. A node is a network namespace
# (/var/run/netns/NODE, one veth on the bridge) plus a mount and a UTS
# namespace of its own, kept alive by bind mounts under $LAB_NS (the way
# `ip netns` keeps network namespaces). The node's dockerd and sshd are both
# started inside all three namespaces with nsenter, so that what a session
# over SSH sees (/root, /tmp, /var/lib/homectl, ...) is what the node's
# containers bind-mount, as on a real machine.
#
# Keeping the namespaces in files (instead of one `unshare ... sh -c 'dockerd &
# exec sshd'`) lets `up` restart just the daemon that died, inside the node's
# existing namespaces, and lets `scripts/lab enter NODE` open a shell there.

# --- Folders, keys, configs --------------------------------------------------------

# node_prepare NODE: the node's folders and files. Returns nothing; sets
# SSHD_CONFIG_CHANGED=1 if the sshd config was rewritten.
node_prepare() {
  local node=$1 d
  d=$(node_dir "$node")
  mkdir -p "$d"/{root,tmp,vartmp,state,docker,exec,run,runmnt,empty} "$LAB_RUN/$node"
  chmod 0755 "$d" "$d/state"
  chmod 0700 "$d/root" "$d/docker" "$d/exec"
  chmod 1777 "$d/tmp" "$d/vartmp"
  echo 'nameserver 127.0.0.1' | write_file "$d/resolv.conf" 0644 || true
  echo '{}' | write_file "$d/daemon.json" 0644 || true
  [[ -f $d/ssh_host_ed25519_key ]] ||
    ssh-keygen -q -t ed25519 -N '' -C "root@$node" -f "$d/ssh_host_ed25519_key"
  SSHD_CONFIG_CHANGED=0
  if sshd_config "$node" | write_file "$d/sshd_config" 0644; then
    SSHD_CONFIG_CHANGED=1
    /usr/sbin/sshd -t -f "$d/sshd_config" || die "$d/sshd_config is not valid"
  fi
}

sshd_config() {
  local node=$1 d
  d=$(node_dir "$node")
  cat <<EOF
# sshd of lab node $node, written by scripts/lab (rewritten by every \`up\`).
ListenAddress $(node_ip "$node"):22
HostKey $d/ssh_host_ed25519_key
PidFile $d/run/sshd.pid
PermitRootLogin prohibit-password
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $SSH_DIR/authorized_keys
UsePAM no
# A plain \`docker\` over SSH reaches this node's own engine.
SetEnv DOCKER_HOST=unix://$(node_sock "$node")
# "Accepted publickey" per connection, "Starting session" per channel.
LogLevel VERBOSE
# Notice a vanished client within seconds, so nothing tied to its session
# (a deploy lock) outlives it for long.
ClientAliveInterval 2
ClientAliveCountMax 2
PrintMotd no
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

# --- Network namespace -------------------------------------------------------------
node_net_up() {
  local node=$1 veth ip
  veth=$(node_veth "$node")
  ip=$(node_ip "$node")
  [[ -e /var/run/netns/$node ]] || ip netns add "$node"
  if ! ip link show "$veth" >/dev/null 2>&1; then
    # A leftover eth0 inside the namespace would block the new pair's name.
    ip -n "$node" link del eth0 2>/dev/null || true
    ip link add "$veth" address "$(node_veth_mac "$node")" type veth \
      peer name eth0 address "$(node_mac "$node")" netns "$node"
  fi
  ip link set "$veth" address "$(node_veth_mac "$node")"
  ip -n "$node" link set eth0 address "$(node_mac "$node")"
  ip link set "$veth" master "$BRIDGE" up
  ip -n "$node" link set lo up
  ip -n "$node" addr replace "$ip/24" dev eth0
  ip -n "$node" link set eth0 up
  ip -n "$node" route replace default via "$BRIDGE_IP"
}

node_net_down() {
  local node=$1
  ip link del "$(node_veth "$node")" 2>/dev/null || true
  ip netns del "$node" 2>/dev/null || true
}

# --- Mount and UTS namespace ----------------------------------------------------------

# The folder holding the namespace files must be a private mount, or the bind
# mounts of the namespaces would propagate (and fail).
ns_dir_up() {
  mkdir -p "$LAB_NS"
  if ! mountpoint -q "$LAB_NS"; then
    mount --bind "$LAB_NS" "$LAB_NS"
  fi
  mount --make-private "$LAB_NS"
}

is_nsfs() { [[ $(stat -f -c %T "$1" 2>/dev/null) == nsfs ]]; }

# node_ns_ok NODE: its namespaces exist and still show the node's own folders
# (a lab folder deleted and made anew leaves old namespaces pointing at
# deleted folders: those must be made again).
node_ns_ok() {
  local node=$1 d mnt uts
  d=$(node_dir "$node") mnt=$(node_mnt "$node") uts=$(node_uts "$node")
  [[ -e /var/run/netns/$node ]] && is_nsfs "$mnt" && is_nsfs "$uts" || return 1
  # shellcheck disable=SC2016
  nsenter --mount="$mnt" --uts="$uts" /bin/sh -c '
    [ "$(hostname)" = "$1" ] &&
    [ "$(stat -c %d:%i /var/lib/homectl)" = "$2" ] &&
    [ "$(stat -c %d:%i /root)" = "$3" ] &&
    [ "$(stat -c %d:%i /run/homectl-lab)" = "$4" ]' sh \
    "$node" "$(stat -c %d:%i "$d/state")" "$(stat -c %d:%i "$d/root")" \
    "$(stat -c %d:%i "$LAB_RUN")" 2>/dev/null
}

# What runs inside a new node namespace, once, to set it up. $1 node, $2 its
# folder, $3 compose (v1|v2), $4 $LAB_RUN, $5 $LAB_NS, $6 the plugin folder.
# shellcheck disable=SC2016
NODE_NS_SETUP='
set -e
node=$1 d=$2 compose=$3 labrun=$4 labns=$5 plugins=$6
hostname "$node"
# Drop this namespace'"'"'s copies of the handles of other namespaces (ip netns
# and the lab'"'"'s own), so that removing a node later frees its namespaces.
umount -l /run/netns 2>/dev/null || true
umount -l "$labns" 2>/dev/null || true
mount -n --bind "$d/root" /root
mount -n --bind "$d/tmp" /tmp
mount -n --bind "$d/vartmp" /var/tmp
mount -n --bind "$d/state" /var/lib/homectl
mount -n --bind "$d/resolv.conf" /etc/resolv.conf
mount -n -t tmpfs -o nosuid,nodev,mode=1777 shm /dev/shm
# A private /run (tmpfs, as on a real machine) with the lab socket folder
# bound in: assembled aside, then moved over /run in one step.
mount -n -t tmpfs -o nosuid,nodev,mode=0755 run "$d/runmnt"
mkdir -p "$d/runmnt/sshd" "$d/runmnt/lock" "$d/runmnt/homectl-lab"
mount -n --bind "$labrun" "$d/runmnt/homectl-lab"
mount -n --move "$d/runmnt" /run
mountpoint -q /run/homectl-lab
# Compose v1 only: hide the v2 plugin.
if [ "$compose" = v1 ]; then mount -n --bind "$d/empty" "$plugins"; fi
'

node_ns_create() {
  local node=$1 d mnt uts
  d=$(node_dir "$node") mnt=$(node_mnt "$node") uts=$(node_uts "$node")
  node_ns_destroy "$node"
  mkdir -p /var/lib/homectl "$COMPOSE_PLUGIN_DIR"   # mount points on the host
  touch "$mnt" "$uts"
  nsenter --net="/var/run/netns/$node" \
    unshare --mount="$mnt" --uts="$uts" --propagation private \
    /bin/sh -c "$NODE_NS_SETUP" sh "$node" "$d" "$(node_compose "$node")" \
    "$LAB_RUN" "$LAB_NS" "$COMPOSE_PLUGIN_DIR"
}

node_ns_destroy() {
  local node=$1 f
  for f in "$(node_mnt "$node")" "$(node_uts "$node")"; do
    while is_nsfs "$f"; do umount "$f" 2>/dev/null || umount -l "$f"; done
    rm -f "$f"
  done
}

# node_exec NODE CMD...: run CMD inside the node's namespaces.
node_exec() {
  local node=$1
  shift
  nsenter --net="/var/run/netns/$node" --mount="$(node_mnt "$node")" \
    --uts="$(node_uts "$node")" -- "$@"
}

# --- Daemons -----------------------------------------------------------------------
# dockerd_pid NODE / sshd_pid NODE: the daemon's pid, if it runs. From the
# pid file if that is right, else (and then the pid file is fixed) from the
# processes in the node's network namespace.
dockerd_pid() { daemon_pid "$1" dockerd "--data-root $(node_dir "$1")/docker"; }
sshd_pid() { daemon_pid "$1" sshd "-f $(node_dir "$1")/sshd_config"; }

daemon_pid() {
  local node=$1 name=$2 marker=$3 pidfile pid
  pidfile=$(node_dir "$node")/run/$name.pid
  live_pid "$pidfile" "$marker" && return 0
  [[ -e /var/run/netns/$node ]] || return 1
  # shellcheck disable=SC2046
  pid=$(find_pid "$marker" $(ip netns pids "$node" 2>/dev/null)) || return 1
  echo "$pid" >"$pidfile"
  echo "$pid"
}

start_dockerd() {
  local node=$1 d sock
  d=$(node_dir "$node") sock=$(node_sock "$node")
  dockerd_pid "$node" >/dev/null && return 0
  # dockerd refuses to start over a pid file whose pid is alive, whoever's it is.
  rm -f "$d/run/dockerd.pid" "$sock"
  say "$node: starting dockerd"
  # setsid: detached from this script's session, it outlives the script.
  # --config-file: ignore any /etc/docker/daemon.json of the host.
  # --cgroup-parent: the node's containers are found (and ended) by `down`
  # even when the engine is gone.
  setsid nsenter --net="/var/run/netns/$node" --mount="$(node_mnt "$node")" \
    --uts="$(node_uts "$node")" -- dockerd \
    --config-file "$d/daemon.json" \
    --data-root "$d/docker" \
    --exec-root "$d/exec" \
    -H "unix://$sock" \
    --pidfile "$d/run/dockerd.pid" \
    --insecure-registry "$REGISTRY" \
    --cgroup-parent "/$(node_cgroup "$node")" \
    </dev/null >>"$d/dockerd.log" 2>&1 &
}

# start_sshd NODE: start it (it daemonizes itself), or make a running one
# reread its config if node_prepare changed it.
start_sshd() {
  local node=$1 d pid
  d=$(node_dir "$node")
  if pid=$(sshd_pid "$node"); then
    if [[ ${SSHD_CONFIG_CHANGED:-0} == 1 ]]; then
      say "$node: sshd config changed, reloading"
      kill -HUP "$pid"
    fi
    return 0
  fi
  rm -f "$d/run/sshd.pid"
  mkdir -p /run/sshd
  say "$node: starting sshd"
  node_exec "$node" /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log" \
    </dev/null >/dev/null 2>>"$d/sshd.log"
}

# node_wait NODE: its engine and its sshd answer.
node_wait() {
  local node=$1
  wait_until 60 "$node's dockerd" docker_ping "$(node_sock "$node")" ||
    { tail -n 20 "$(node_dir "$node")/dockerd.log" >&2; return 1; }
  wait_until 20 "$node's sshd" tcp_open "$(node_ip "$node")" 22 ||
    { tail -n 20 "$(node_dir "$node")/sshd.log" >&2; return 1; }
  wait_until 5 "$node's sshd pid file" sshd_pid "$node"
}

# --- Teardown ----------------------------------------------------------------------

# node_pids NODE: every process that belongs to the node: anything in its
# network or mount namespace (sshd and its sessions, dockerd, containerd and
# the shims) and its containers (by their cgroup, as they have namespaces of
# their own). Found by namespace, never by process name.
node_pids() {
  local node=$1 mnt mntid p f
  mnt=$(node_mnt "$node")
  {
    [[ -e /var/run/netns/$node ]] && ip netns pids "$node" 2>/dev/null
    if is_nsfs "$mnt"; then
      mntid="mnt:[$(stat -c %i "$mnt")]"
      for p in /proc/[0-9]*; do
        [[ $(readlink "$p/ns/mnt" 2>/dev/null) == "$mntid" ]] && echo "${p#/proc/}"
      done
    fi
    for f in /sys/fs/cgroup/*/"$(node_cgroup "$node")"; do
      [[ -d $f ]] && find "$f" -name cgroup.procs -exec cat {} + 2>/dev/null
    done
  } | grep -E '^[0-9]+$' | grep -vx "$$" | sort -un || true
}

# node_stop NODE: end everything running for the node, gently first.
node_stop() {
  local node=$1 sock pid
  sock=$(node_sock "$node")
  # The sshd listener first: no new session may start while the rest stops.
  if pid=$(sshd_pid "$node"); then stop_pids 2 "$pid"; fi
  if pid=$(dockerd_pid "$node"); then
    if docker_ping "$sock"; then
      # Containers first (rm -f kills at once): an engine stopping them itself
      # would wait out each one's grace period.
      local ids
      ids=$(DOCKER_HOST="unix://$sock" docker ps -aq 2>/dev/null || true)
      # shellcheck disable=SC2086
      [[ -z $ids ]] || DOCKER_HOST="unix://$sock" docker rm -f $ids >/dev/null 2>&1 || true
    fi
    stop_pids 15 "$pid"
  fi
  # Everything else (sessions, containerd, shims, containers), in rounds: a
  # process can fork while the previous round stops it.
  local round
  local -a pids
  for round in 1 2 3 4 5; do
    mapfile -t pids < <(node_pids "$node")
    ((${#pids[@]})) || break
    stop_pids $((round == 1 ? 5 : 2)) "${pids[@]}"
  done
  # The (now empty) cgroups of its containers.
  local f
  for f in /sys/fs/cgroup/*/"$(node_cgroup "$node")"; do
    if [[ -d $f ]]; then find "$f" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done
}

# node_down NODE: the node and all of its traces.
node_down() {
  local node=$1
  node_stop "$node"
  node_ns_destroy "$node"
  node_net_down "$node"
  rm -rf "${LAB_RUN:?}/$node" "$(node_dir "$node")"
}
