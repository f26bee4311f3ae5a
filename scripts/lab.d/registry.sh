# shellcheck shell=bash
# scripts/lab.d/registry.sh: the lab's registry, standing in for GHCR:
# Debian's docker-registry (distribution 2.8) with htpasswd (bcrypt) auth, on
# the bridge address, run on the host.

REG_DIR=$LAB/registry
REG_CONFIG=$REG_DIR/config.yml
REG_PASSWORD=$REG_DIR/password   # the password alone, no newline, 0600

registry_pid() {
  local pid
  live_pid "$REG_DIR/registry.pid" "$REG_CONFIG" && return 0
  # Running while its pid file says otherwise: adopt it (see find_pid).
  # shellcheck disable=SC2046
  pid=$(find_pid "serve $REG_CONFIG" $(all_pids)) || return 1
  echo "$pid" >"$REG_DIR/registry.pid"
  echo "$pid"
}

# The password is made once; the vault (secrets.sh) copies it from here.
registry_password_init() {
  mkdir -p "$REG_DIR"
  chmod 0700 "$REG_DIR"
  if [[ ! -s $REG_PASSWORD ]]; then
    (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' | tr -d '\n' >"$REG_PASSWORD")
  fi
  chmod 0600 "$REG_PASSWORD"
}

registry_up() {
  mkdir -p "$REG_DIR/data"
  # -i: the password comes on stdin, never in an argv.
  if [[ ! -s $REG_DIR/htpasswd || $REG_PASSWORD -nt $REG_DIR/htpasswd ]]; then
    htpasswd -niB "$REGISTRY_USER" <"$REG_PASSWORD" >"$REG_DIR/htpasswd.tmp"
    chmod 0600 "$REG_DIR/htpasswd.tmp"
    mv -f "$REG_DIR/htpasswd.tmp" "$REG_DIR/htpasswd"
  fi
  [[ -s $REG_DIR/http-secret ]] || (umask 077 && head -c 24 /dev/urandom | base64 >"$REG_DIR/http-secret")
  local changed=0
  write_file "$REG_CONFIG" 0600 <<EOF && changed=1
# Lab registry, written by scripts/lab.
version: 0.1
log:
  level: info
  fields:
    service: homectl-lab-registry
storage:
  filesystem:
    rootdirectory: $REG_DIR/data
  delete:
    enabled: true
http:
  addr: $REGISTRY
  secret: $(cat "$REG_DIR/http-secret")
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: homectl-lab
    path: $REG_DIR/htpasswd
EOF
  local pid
  if pid=$(registry_pid); then
    ((changed)) || return 0
    stop_pids 5 "$pid"
  fi
  say "starting the registry on $REGISTRY"
  setsid docker-registry serve "$REG_CONFIG" </dev/null >>"$REG_DIR/registry.log" 2>&1 &
  echo $! >"$REG_DIR/registry.pid"
}

# Answers 401 (authentication required) at /v2/ when up.
registry_answers() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$REGISTRY/v2/") == 401 ]]
}

registry_wait() {
  wait_until 20 "the registry" registry_answers || { tail -n 20 "$REG_DIR/registry.log" >&2; return 1; }
  registry_pid >/dev/null || die "the registry answers, but not the process in $REG_DIR/registry.pid"
}

# registry_has TAG: the registry has IMAGE:TAG. Credentials go to curl on
# stdin (-K -), not in its argv.
registry_has() {
  local code
  code=$(printf 'user = "%s:%s"\n' "$REGISTRY_USER" "$(cat "$REG_PASSWORD")" |
    curl -K - -s -o /dev/null -w '%{http_code}' --max-time 5 -I \
      -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
      "http://$REGISTRY/v2/$IMAGE_NAMESPACE/ktrdr-backend/manifests/$1")
  [[ $code == 200 ]]
}

registry_down() {
  local pid
  if pid=$(registry_pid); then stop_pids 5 "$pid"; fi
}
