# Preflight checks on one node. Set before this by homectl: SERVER, USERNAME,
# PROBE (1 if a stack probes a url), REFS (image references, one a line),
# STACKS (compose project names, one a line, in the order of the compose
# data frames). Data frames: the registry password, then each compose file.
# Prints one line a check: CHECK NAME ok|fail DETAIL.

check() { printf 'CHECK %s %s %s\n' "$1" "$2" "$3"; }
first_line() { printf '%s\n' "$1" | grep -v '^[[:space:]]*$' | tail -n 1; }

# Read every data frame first: the remote shell expects none left over.
hc_data PASSWORD
compose_count=0
for project in $STACKS; do
    compose_count=$((compose_count + 1))
    hc_data "COMPOSE_TEXT_$compose_count"
done

if v=$(docker version --format '{{.Server.Version}}' 2>&1); then
    check docker ok "engine $v"
else
    check docker fail "$(first_line "$v")"
    exit 0
fi

if hc_find_compose; then
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

trap 'hc_drop_docker_config' EXIT INT TERM
if ! hc_tmpfs_docker_config; then
    check registry fail "$HC_WHY"
    check image fail "no registry login"
else
    if out=$(hc_login "$SERVER" "$USERNAME" "$PASSWORD") && [ -s "$HC_DOCKER_CONFIG/config.json" ]; then
        check registry ok "logged in to $SERVER as $USERNAME"
        insecure=$(hc_insecure_flag "$SERVER")
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
fi

if [ -n "${COMPOSE:-}" ]; then
    bad= i=0
    for project in $STACKS; do
        i=$((i + 1))
        eval "text=\$COMPOSE_TEXT_$i"
        if ! out=$(printf '%s' "$text" | $COMPOSE -p "$project" -f - config -q 2>&1); then
            bad="$bad $project: $(first_line "$out");"
        fi
    done
    if [ -z "$bad" ]; then check stack ok "compose files valid"
    else check stack fail "${bad# }"
    fi
else
    check stack fail "no Compose to validate the stack files"
fi
