# shellcheck shell=bash
# scripts/lab.d/swarm.sh: a Docker Swarm of the lab's nodes (docs/lab.md,
# "Swarm"). node-a is the one manager, every other node a worker; all of
# them advertise their address on the lab bridge, so the Swarm's traffic
# (2377/tcp to the manager, 7946/tcp+udp between nodes, 4789/udp for the
# overlay) stays on hl0, which the lab's FORWARD rule accepts.

SWARM_MANAGER="node-a"

# node_docker NODE ARGS...: the docker CLI against NODE's engine.
node_docker() {
  local node=$1
  shift
  DOCKER_HOST=unix://$(node_sock "$node") docker "$@"
}

# swarm_state NODE: "inactive", "active", "pending", "error" or "locked".
swarm_state() { node_docker "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null; }
swarm_cluster() { node_docker "$1" info --format '{{.Swarm.Cluster.ID}}' 2>/dev/null; }
swarm_is_manager() { [[ $(node_docker "$1" info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null) == true ]]; }

# The Swarm the lab's manager runs, or nothing.
manager_cluster() {
  [[ $(swarm_state "$SWARM_MANAGER") == active ]] && swarm_is_manager "$SWARM_MANAGER" || return 1
  swarm_cluster "$SWARM_MANAGER"
}

swarm_leave() { # NODE
  local state
  state=$(swarm_state "$1")
  [[ $state == inactive || -z $state ]] && return 0
  say "$1: leaving the swarm"
  node_docker "$1" swarm leave --force >/dev/null
}

# Nodes of the Swarm (as the manager sees them) that are down or left:
# removed, so that a re-join does not leave a stale entry behind.
swarm_prune_down_nodes() {
  local id
  for id in $(node_docker "$SWARM_MANAGER" node ls --filter role=worker \
    --format '{{.ID}} {{.Status}}' | awk '$2 != "Ready" {print $1}'); do
    node_docker "$SWARM_MANAGER" node rm --force "$id" >/dev/null 2>&1 || true
  done
}

cmd_swarm_up() {
  local -a nodes
  mapfile -t nodes < <(lab_nodes "$(saved_workers)")
  local node cluster token
  for node in "${nodes[@]}"; do dockerd_up "$node" >/dev/null || die "$node's engine is not up: scripts/lab up first"; done
  if ! cluster=$(manager_cluster); then
    swarm_leave "$SWARM_MANAGER"
    say "$SWARM_MANAGER: swarm init (advertise $(node_ip "$SWARM_MANAGER"))"
    node_docker "$SWARM_MANAGER" swarm init --advertise-addr "$(node_ip "$SWARM_MANAGER")" \
      --listen-addr "$(node_ip "$SWARM_MANAGER"):2377" >/dev/null
    cluster=$(swarm_cluster "$SWARM_MANAGER")
  fi
  token=$(node_docker "$SWARM_MANAGER" swarm join-token -q worker)
  for node in "${nodes[@]}"; do
    [[ $node == "$SWARM_MANAGER" ]] && continue
    if [[ $(swarm_state "$node") == active && $(swarm_cluster "$node") == "$cluster" ]]; then
      continue
    fi
    # A worker's `info` has no cluster ID; it is in this Swarm if the
    # manager lists it as ready under its hostname.
    if [[ $(swarm_state "$node") == active ]] && swarm_member_ready "$node"; then continue; fi
    swarm_leave "$node"
    swarm_prune_down_nodes
    say "$node: joining the swarm"
    node_docker "$node" swarm join --token "$token" --advertise-addr "$(node_ip "$node")" \
      --listen-addr "$(node_ip "$node"):2377" "$(node_ip "$SWARM_MANAGER"):2377" >/dev/null
  done
  wait_until 30 "every node ready in the swarm" swarm_all_ready "${nodes[@]}" ||
    die "the swarm did not form"
  swarm_prune_down_nodes
  say "swarm up: manager $SWARM_MANAGER, workers ${nodes[*]:1}"
}

# swarm_member_ready NODE: the manager lists NODE (by hostname) as Ready.
swarm_member_ready() {
  node_docker "$SWARM_MANAGER" node ls --format '{{.Hostname}} {{.Status}}' 2>/dev/null |
    grep -qx "$1 Ready"
}

swarm_all_ready() {
  local node
  for node; do swarm_member_ready "$node" || return 1; done
}

cmd_swarm_down() {
  local node
  local -a nodes
  mapfile -t nodes < <(existing_nodes)
  # Stacks first: their tasks would otherwise linger as containers on the
  # workers until each engine noticed it left.
  if manager_cluster >/dev/null; then
    local stack
    for stack in $(node_docker "$SWARM_MANAGER" stack ls --format '{{.Name}}' 2>/dev/null); do
      say "removing swarm stack $stack"
      node_docker "$SWARM_MANAGER" stack rm "$stack" >/dev/null || true
    done
  fi
  for node in "${nodes[@]}"; do
    [[ $node == "$SWARM_MANAGER" ]] && continue
    dockerd_up "$node" >/dev/null && swarm_leave "$node"
  done
  dockerd_up "$SWARM_MANAGER" >/dev/null && swarm_leave "$SWARM_MANAGER"
  # Leaving keeps the per-node networks Swarm made (docker_gwbridge); the
  # lab before the swarm had none.
  for node in "${nodes[@]}"; do
    dockerd_up "$node" >/dev/null || continue
    wait_until 20 "$node's swarm tasks to go" swarm_no_tasks "$node" || true
    node_docker "$node" network rm docker_gwbridge >/dev/null 2>&1 || true
  done
  say "swarm down"
}

# No container of a Swarm task is left on NODE.
swarm_no_tasks() {
  [[ -z $(node_docker "$1" ps -aq --filter label=com.docker.swarm.task.id 2>/dev/null) ]]
}

# For `status`: one line, exit 0 if a Swarm of every lab node is up.
swarm_status_line() {
  local -a nodes
  mapfile -t nodes < <(lab_nodes "$(saved_workers)")
  if ! manager_cluster >/dev/null; then
    printf 'swarm: none\n'
    return 1
  fi
  local members
  members=$(node_docker "$SWARM_MANAGER" node ls --format '{{.Hostname}}:{{.Status}}' | sort | tr '\n' ' ')
  if swarm_all_ready "${nodes[@]}"; then
    printf 'swarm: up, manager %s, nodes %s\n' "$SWARM_MANAGER" "$members"
  else
    printf 'swarm: partial, manager %s, nodes %s\n' "$SWARM_MANAGER" "$members"
    return 1
  fi
}

cmd_swarm() {
  case ${1:-} in
  up) cmd_swarm_up ;;
  down) cmd_swarm_down ;;
  status) swarm_status_line ;;
  *) die "usage: scripts/lab swarm up|down|status" ;;
  esac
}
