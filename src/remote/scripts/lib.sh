# Shell functions shared by homectl's remote steps (POSIX sh; dash, bash and
# busybox ash). Prepended to every step that needs them.

# Picks the node's Compose: v2 (`docker compose`) if present, else v1.
# Sets HC_COMPOSE and HC_COMPOSE_VERSION; returns 1 if neither exists.
hc_find_compose() {
    if HC_COMPOSE_VERSION=$(docker compose version --short 2>/dev/null) && [ -n "$HC_COMPOSE_VERSION" ]; then
        HC_COMPOSE="docker compose" HC_COMPOSE_MAJOR=2
    elif HC_COMPOSE_VERSION=$(docker-compose version --short 2>/dev/null) && [ -n "$HC_COMPOSE_VERSION" ]; then
        # shellcheck disable=SC2034 # HC_COMPOSE_MAJOR is read by the steps that include this file
        HC_COMPOSE=docker-compose HC_COMPOSE_MAJOR=1
    else
        return 1
    fi
}

# Which Compose the node has, without its version: finding v1's version
# costs a Python start (about a second). Sets HC_COMPOSE, or returns 1.
hc_which_compose() {
    if docker compose version >/dev/null 2>&1; then HC_COMPOSE="docker compose"
    elif command -v docker-compose >/dev/null 2>&1; then HC_COMPOSE=docker-compose
    else return 1
    fi
}

# Compose v1 imports distutils, and setuptools' stand-in for it costs a
# third of v1's start (0.15-0.2 s of CPU). Where v1's Python still has its own
# distutils (3.11 and older, Debian's layout), SETUPTOOLS_USE_DISTUTILS=stdlib
# (a setuptools setting) makes v1 use that one. Usage:
# hc_v1_stdlib_distutils PATH_OF_DOCKER_COMPOSE; returns 1 where it does not apply.
hc_v1_stdlib_distutils() {
    # Not a script (v1's PyInstaller build is a binary): nothing to read.
    [ "$(head -c 2 "$1" 2>/dev/null)" = "#!" ] || return 1
    hc_py=$(head -n 1 "$1" 2>/dev/null | cut -c 1-100)
    hc_py=${hc_py#"#!"}
    hc_py=${hc_py# }
    hc_py=$(readlink -f "${hc_py%% *}" 2>/dev/null) || return 1
    case ${hc_py##*/} in python3.[0-9]*) ;; *) return 1 ;; esac
    [ -f "/usr/lib/${hc_py##*/}/distutils/__init__.py" ]
}

# How to start the node's Compose, from HC_COMPOSE ("docker compose" or
# "docker-compose"): v1 started with the stdlib distutils where it has them.
# Every step that starts Compose (and preflight, for v1) goes through this.
hc_compose_command() {
    if [ "$HC_COMPOSE" = docker-compose ] && hc_v1_stdlib_distutils "$(command -v docker-compose)"; then
        HC_COMPOSE="env SETUPTOOLS_USE_DISTUTILS=stdlib docker-compose"
    fi
}

# Whether URL answers with a success, asked once: curl with a 2 s limit,
# else wget under `timeout` (GNU wget retries a timed-out read up to 20
# times; busybox's may lack -T).
hc_http_ok() { # URL
    if command -v curl >/dev/null 2>&1; then curl -fsS -m 2 -o /dev/null "$1" 2>/dev/null
    elif command -v timeout >/dev/null 2>&1; then timeout 3 wget -q -O /dev/null "$1" 2>/dev/null
    else wget -q -O /dev/null "$1" 2>/dev/null
    fi
}

# A throw-away Docker config folder on a tmpfs, for registry credentials
# that must never reach a disk. Sets HC_DOCKER_CONFIG (or HC_WHY on
# failure); the caller removes it (hc_drop_docker_config, also on EXIT).
# The step holds an flock on the folder's .lock for as long as it runs, so
# that a later login can tell a folder left behind by a killed step (its
# EXIT trap never ran) from one in use, and sweep it (docs/security.md).
hc_tmpfs_docker_config() {
    for hc_base in "${XDG_RUNTIME_DIR:-}" /dev/shm "/run/user/$(id -u)"; do
        if [ -z "$hc_base" ] || [ ! -d "$hc_base" ] || [ ! -w "$hc_base" ]; then continue; fi
        [ "$(stat -f -c %T "$hc_base" 2>/dev/null)" = tmpfs ] || continue
        hc_sweep_docker_configs "$hc_base"
        # Made under another name and renamed once locked: a concurrent
        # sweep only ever sees homectl-docker.* folders whose lock is held.
        hc_new=$(mktemp -d "$hc_base/homectl-new.XXXXXX") || continue
        if command -v flock >/dev/null 2>&1; then
            exec 8>"$hc_new/.lock" && flock -n 8
        fi
        HC_DOCKER_CONFIG="$hc_base/homectl-docker.${hc_new##*.}"
        if [ -e "$HC_DOCKER_CONFIG" ] || ! mv "$hc_new" "$HC_DOCKER_CONFIG"; then
            rm -rf "$hc_new"
            exec 8>&-
            continue
        fi
        # A per-user Compose plugin lives in ~/.docker/cli-plugins: keep it visible.
        [ -d "$HOME/.docker/cli-plugins" ] && ln -s "$HOME/.docker/cli-plugins" "$HC_DOCKER_CONFIG/cli-plugins"
        return 0
    done
    # shellcheck disable=SC2034 # HC_WHY is read by the steps that include this file
    HC_WHY="no writable tmpfs for the registry login (tried \$XDG_RUNTIME_DIR, /dev/shm, /run/user/$(id -u))"
    return 1
}

# Removes the throw-away folders under BASE whose step is gone: their .lock
# is not held. Without flock on the node, none is removed.
hc_sweep_docker_configs() { # BASE
    command -v flock >/dev/null 2>&1 || return 0
    for hc_old in "$1"/homectl-docker.*; do
        [ -d "$hc_old" ] || continue
        if [ -f "$hc_old/.lock" ]; then
            flock -n "$hc_old/.lock" true 2>/dev/null || continue
        fi
        rm -rf "$hc_old"
    done
}

hc_drop_docker_config() {
    if [ -n "${HC_DOCKER_CONFIG:-}" ]; then
        rm -rf "$HC_DOCKER_CONFIG"
        exec 8>&-
    fi
    HC_DOCKER_CONFIG=
}

# Logs in to the registry with the password on stdin (printf is a shell
# builtin: the password is in no argv). Needs HC_DOCKER_CONFIG. Returns 0
# only if the credentials were stored in that folder; prints docker's last
# lines on failure.
# With an empty config the docker CLI looks for a credential helper on PATH
# (docker-credential-pass, -secretservice) and hands it the token, which
# would then outlive the login on the node's disk or keyring. An `auths`
# entry for the server pins the plain file store, on the tmpfs.
hc_login() { # SERVER USER PASSWORD
    printf '{"auths":{"%s":{}}}\n' "$1" >"$HC_DOCKER_CONFIG/config.json" || return 1
    printf '%s' "$3" | DOCKER_CONFIG=$HC_DOCKER_CONFIG docker login --username "$2" --password-stdin "$1" 2>&1 >/dev/null | tail -n 3
    grep -q '"auth"' "$HC_DOCKER_CONFIG/config.json" 2>/dev/null &&
        ! grep -q '"credsStore"' "$HC_DOCKER_CONFIG/config.json"
}

# The registry login of a step: a throw-away Docker config on a tmpfs
# (HC_DOCKER_CONFIG; the caller drops it, also on EXIT), logged in to
# HC_SERVER as HC_USERNAME with HC_PASSWORD (remote/steps/lib.rs, `login`).
# Prints why and returns 1 on failure.
hc_registry_login() {
    hc_tmpfs_docker_config || { echo "$HC_WHY"; return 1; }
    if ! hc_out=$(hc_login "$HC_SERVER" "$HC_USERNAME" "$HC_PASSWORD"); then
        echo "registry login to $HC_SERVER as $HC_USERNAME failed: $hc_out"
        return 1
    fi
}

# `--insecure` when the engine treats the registry as insecure (plain
# HTTP), as `docker pull` would; the manifest commands do not ask it.
# The engine's own answer (GET /info on its local socket) takes a curl;
# `docker info` also starts every CLI plugin to list it, which costs more
# than the question. That is the fallback: no curl, a remote engine, a
# context, or an answer of another shape.
hc_insecure_flag() { # SERVER
    if hc_engine_info=$(hc_engine_get /info); then
        hc_entry=$(printf '%s' "$hc_engine_info" | tr -d ' \n' |
            grep -o "\"Name\":\"$(printf '%s' "$1" | sed 's/[].[*^$\\/]/\\&/g')\",\"Mirrors\":\[[^]]*\],\"Secure\":[a-z]*")
        case $hc_entry in
            *'"Secure":false') echo --insecure; return 0 ;;
            *'"Secure":true') return 0 ;;
        esac
        # Not listed: docker.io's rules (secure), unless the shape is new.
        case $hc_engine_info in *'"IndexConfigs":{"'*'"Name":"'*) return 0 ;; esac
    fi
    case " $(docker info --format '{{range $k, $hc_v := .RegistryConfig.IndexConfigs}}{{if not $hc_v.Secure}}{{$k}} {{end}}{{end}}' 2>/dev/null) " in
        *" $1 "*) echo --insecure ;;
    esac
}

# The Engine API's local socket that the docker CLI would use, printed;
# status 1 where that is not known (no curl to ask it, a remote engine,
# a context).
hc_engine_socket() {
    command -v curl >/dev/null 2>&1 || return 1
    [ -z "${DOCKER_CONTEXT:-}" ] || return 1
    case ${DOCKER_HOST:-unix:///var/run/docker.sock} in
        unix://*) hc_sock=${DOCKER_HOST:-unix:///var/run/docker.sock} ;;
        *) return 1 ;;
    esac
    # A context chosen in the CLI's config points elsewhere.
    if [ -z "${DOCKER_HOST:-}" ]; then
        hc_context=$(sed -n 's/.*"currentContext" *: *"\([^"]*\)".*/\1/p' "${DOCKER_CONFIG:-$HOME/.docker}/config.json" 2>/dev/null)
        case $hc_context in "" | default) ;; *) return 1 ;; esac
    fi
    printf '%s\n' "${hc_sock#unix://}"
}

# GET PATH of the Engine API on that socket (status 1 if none or on an
# HTTP error).
hc_engine_get() { # PATH
    hc_sock=$(hc_engine_socket) || return 1
    curl -fsS -m 5 --unix-socket "$hc_sock" "http://docker$1" 2>/dev/null
}

# Stops and removes the containers of some services of a project (replicas
# above the scale, which compose leaves running). Usage: hc_remove PROJECT SERVICE...
hc_remove() {
    hc_project=$1
    shift
    for hc_service in "$@"; do
        hc_ids=$(docker ps -aq --filter "label=com.docker.compose.project=$hc_project" --filter "label=com.docker.compose.service=$hc_service")
        # shellcheck disable=SC2086 # container ids, one a word
        [ -z "$hc_ids" ] || docker rm -f $hc_ids >/dev/null || return 1
    done
}

# The `-f` arguments of a stack folder's version (its compose file and
# override), for a Compose run from inside that folder. Usage:
# hc_compose_files VERSION_DIR; prints "-f compose.yml" for a folder
# deployed before versions existed.
hc_compose_files() {
    if [ -f "$1/.compose" ]; then
        # shellcheck disable=SC2013 # the names, one a word (fixed names, no spaces)
        for hc_f in $(cat "$1/.compose"); do printf ' -f %s' "$hc_f"; done
    else
        printf ' -f compose.yml'
    fi
}

# Puts version NEW of a stack's folder in use in DIR (docs/stacks.md,
# "What travels"): removes the files of version OLD that NEW does not have
# (only files homectl shipped), copies NEW's files in place, each through a
# temporary name so that none is ever half-written, and records NEW as in
# use and OLD as the previous one. A file homectl did not ship (a data
# folder, what a container wrote) is never touched. Usage:
# hc_put_version DIR OLD NEW (OLD may be empty).
hc_put_version() {
    hc_m="$1/.homectl"
    hc_new="$hc_m/versions/$3"
    [ -f "$hc_new/.manifest" ] || { echo "version $3 of the stack's files is not on the node"; return 1; }
    if [ -n "$2" ] && [ -f "$hc_m/versions/$2/.manifest" ]; then
        while IFS=' ' read -r _ _ hc_p; do
            grep -q -F -x -- "$hc_p" "$hc_new/.paths" || rm -f "$1/$hc_p"
        done <"$hc_m/versions/$2/.manifest"
    fi
    while IFS=' ' read -r _ _ hc_p; do
        mkdir -p "$(dirname "$1/$hc_p")" &&
            cp -p "$hc_new/$hc_p" "$1/$hc_p.homectl-new" &&
            mv -f "$1/$hc_p.homectl-new" "$1/$hc_p" || return 1
    done <"$hc_new/.manifest"
    printf '%s\n' "$2" >"$hc_m/previous"
    printf '%s\n' "$3" >"$hc_m/in-use"
    grep -q -F -x -- "$3" "$hc_m/used" 2>/dev/null || printf '%s\n' "$3" >>"$hc_m/used"
}

# Writes the files a swarm stack's `configs:` read into DIR, from COUNT
# pairs of data frames (a path in the stack's folder, its content in
# base64), so that `file: ./PATH` resolves beside a compose file there.
hc_write_configs() { # DIR COUNT
    hc_i=0
    while [ "$hc_i" -lt "$2" ]; do
        hc_data hc_path
        hc_data hc_b64
        # shellcheck disable=SC2154 # hc_path and hc_b64 are set by hc_data
        mkdir -p "$1/$(dirname "$hc_path")" || return 1
        # shellcheck disable=SC2154 # as above
        printf '%s' "$hc_b64" | base64 -d >"$1/$hc_path" || { echo "cannot write $hc_path"; return 1; }
        hc_i=$((hc_i + 1))
    done
}
