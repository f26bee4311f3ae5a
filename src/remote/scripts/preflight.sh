# Preflight checks on one node. Set before this by homectl: SERVER, USERNAME,
# PROBE (1 if a stack probes a url), REFS (image references, one a line),
# STACKS (compose project names, one a line, in the order of the compose
# data frames). Data frames: the registry password, then each compose file.
# Prints one line a check: CHECK NAME ok|fail DETAIL.
#
# Cheap on purpose: preflight runs on every node at once, and the nodes'
# CPU may be shared. One `docker info` answers for the engine, the
# registries it treats as insecure and the Compose v2 plugin; Compose v1's
# version comes from dpkg when the package owns it (v1 is a Python program:
# each start costs up to a second of CPU, so it starts once, to validate);
# the stack files are validated while the registry is checked.

check() { printf 'CHECK %s %s %s\n' "$1" "$2" "$3"; }
first_line() { printf '%s\n' "$1" | grep -v '^[[:space:]]*$' | tail -n 1; }

# Read every data frame first: the remote shell expects none left over.
hc_data PASSWORD
compose_count=0
for project in $STACKS; do
    compose_count=$((compose_count + 1))
    hc_data "COMPOSE_TEXT_$compose_count"
done

# Compose v1's version without starting it: the Debian/Ubuntu package's
# version when the package owns this docker-compose ("1:1.29.2-3" ->
# "1.29.2"). Prints nothing and returns 1 otherwise.
pf_v1_version_from_dpkg() { # PATH_OF_DOCKER_COMPOSE
    command -v dpkg-query >/dev/null 2>&1 || return 1
    pf_real=$(readlink -f "$1" 2>/dev/null) || pf_real=$1
    dpkg-query -L docker-compose 2>/dev/null | grep -qx -e "$1" -e "$pf_real" || return 1
    pf_v=$(dpkg-query -W -f='${db:Status-Abbrev}|${Version}' docker-compose 2>/dev/null) || return 1
    case $pf_v in "ii |"*) pf_v=${pf_v#"ii |"} ;; *) return 1 ;; esac
    pf_v=${pf_v#*:}                                  # epoch
    case $pf_v in *-*) pf_v=${pf_v%-*} ;; esac       # Debian revision
    pf_v=${pf_v%%[+~]*}                              # +dfsg, ~bpo
    [ -n "$pf_v" ] && printf '%s\n' "$pf_v"
}

# Like lib.sh's hc_find_compose (v2 if present, else v1; sets COMPOSE,
# COMPOSE_MAJOR, COMPOSE_VERSION), from what `docker info` already told.
pf_find_compose() {
    if [ -n "$pf_info" ]; then
        if [ -n "$pf_plugin_version" ]; then
            COMPOSE="docker compose" COMPOSE_MAJOR=2 COMPOSE_VERSION=${pf_plugin_version#v}
            return 0
        fi
    elif COMPOSE_VERSION=$(docker compose version --short 2>/dev/null) && [ -n "$COMPOSE_VERSION" ]; then
        COMPOSE="docker compose" COMPOSE_MAJOR=2
        return 0
    fi
    pf_v1=$(command -v docker-compose 2>/dev/null) || return 1
    pf_v1_run=$(COMPOSE=docker-compose; hc_compose_command; printf '%s' "$COMPOSE")
    if COMPOSE_VERSION=$(pf_v1_version_from_dpkg "$pf_v1") \
        || { COMPOSE_VERSION=$($pf_v1_run version --short 2>/dev/null) && [ -n "$COMPOSE_VERSION" ]; }; then
        COMPOSE=docker-compose COMPOSE_MAJOR=1
    else
        return 1
    fi
}

# Validates each stack's compose file; prints the stack check.
pf_validate() {
    bad= i=0
    for project in $STACKS; do
        i=$((i + 1))
        eval "text=\$COMPOSE_TEXT_$i"
        if ! out=$(printf '%s' "$text" | $pf_validator -p "$project" -f - config -q 2>&1); then
            bad="$bad $project: $(first_line "$out");"
        fi
    done
    if [ -z "$bad" ]; then check stack ok "compose files valid"
    else check stack fail "${bad# }"
    fi
}

# One `docker info`: engine version | insecure registries | Compose v2
# plugin's version and path (empty if it has none or it is broken).
pf_info= pf_insecure= pf_plugin_version= pf_plugin_path=
if pf_out=$(docker info --format '{{.ServerVersion}}|{{range $k, $v := .RegistryConfig.IndexConfigs}}{{if not $v.Secure}}{{$k}} {{end}}{{end}}|{{range .ClientInfo.Plugins}}{{if and (eq .Name "compose") (not .Err)}}{{.Version}}|{{.Path}}{{end}}{{end}}' 2>/dev/null) \
    && [ -n "${pf_out%%|*}" ]; then
    pf_info=1
    v=${pf_out%%|*}
    pf_rest=${pf_out#*|}
    pf_insecure=${pf_rest%%|*}
    pf_rest=${pf_rest#*|}
    case $pf_rest in
        ?*"|"?*) pf_plugin_version=${pf_rest%%|*} pf_plugin_path=${pf_rest#*|} ;;
    esac
    check docker ok "engine $v"
elif v=$(docker version --format '{{.Server.Version}}' 2>&1); then
    # A docker CLI whose `info` lacks these fields: ask one thing at a time.
    check docker ok "engine $v"
else
    check docker fail "$(first_line "$v")"
    exit 0
fi

if pf_find_compose; then
    check compose ok "v$COMPOSE_MAJOR $COMPOSE_VERSION"
else
    check compose fail "neither 'docker compose' (v2) nor 'docker-compose' (v1) found"
fi

if [ "$PROBE" = 1 ]; then
    if command -v curl >/dev/null 2>&1; then check probe ok curl
    elif command -v wget >/dev/null 2>&1; then check probe ok wget
    else check probe fail "neither curl nor wget found (a stack probes a health url)"
    fi
fi

# The registry checks: login, then every image reference.
pf_registry() {
    trap 'hc_drop_docker_config' EXIT
    trap 'exit 130' INT TERM
    if ! hc_tmpfs_docker_config; then
        check registry fail "$HC_WHY"
        check image fail "no registry login"
        return
    fi
    if out=$(hc_login "$SERVER" "$USERNAME" "$PASSWORD") && [ -s "$HC_DOCKER_CONFIG/config.json" ]; then
        check registry ok "logged in to $SERVER as $USERNAME"
        if [ -n "$pf_info" ]; then
            case " $pf_insecure " in *" $SERVER "*) insecure=--insecure ;; *) insecure= ;; esac
        else
            insecure=$(hc_insecure_flag "$SERVER")
        fi
        missing=
        for ref in $REFS; do
            if ! DOCKER_CONFIG=$HC_DOCKER_CONFIG docker manifest inspect $insecure "$ref" >/dev/null 2>&1; then
                missing="$missing $ref"
            fi
        done
        if [ -z "$missing" ]; then check image ok "$(echo $REFS | wc -w) found"
        else check image fail "not in the registry:$missing"
        fi
    else
        check registry fail "login to $SERVER as $USERNAME failed: $(first_line "$out")"
        check image fail "no registry login"
    fi
    hc_drop_docker_config
}

if [ -z "${COMPOSE:-}" ]; then
    (pf_registry)
    check stack fail "no Compose to validate the stack files"
    exit 0
fi

# The stack files are validated in the background while the registry is
# checked: the validation's output is captured, the registry's lines go
# straight out (descriptor 3), and the stack line comes last. Compose v2's
# plugin binary is run directly: the program `docker compose` runs,
# without the docker CLI's start in front of it.
pf_validator=$COMPOSE
[ "$COMPOSE" = "docker compose" ] && [ -n "$pf_plugin_path" ] && [ -x "$pf_plugin_path" ] && pf_validator=$pf_plugin_path
[ "$COMPOSE" = docker-compose ] && pf_validator=$pf_v1_run
exec 3>&1
pf_stack=$(
    pf_validate </dev/null 3>&- &
    pf_registry >&3
    wait
)
exec 3>&-
printf '%s\n' "$pf_stack"
