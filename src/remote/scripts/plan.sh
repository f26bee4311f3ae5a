# What `homectl plan` asks a node, changing nothing (docs/operations.md,
# "plan"): its state (hc_state: state.sh, with HC_PROJECTS, HC_STACKS and
# HC_NO_COMPOSE; its lines as it prints them), the repo digests of the
# images on the node, what each image reference names in the registry now (the digest of its
# manifest, never a pull: through the engine's socket where curl reaches
# it, else with `docker manifest inspect` as preflight does), and whether
# each stack's health URL answers.
# Set before this: HC_SERVER, HC_USERNAME, HC_REFS (image references),
# HC_URLS (lines "STACK URL"). Data frame: the registry password.
# Prints: HAS IMAGE_ID REPO@DIGEST             for each image and digest on the node
#         NAMES REFERENCE DIGEST|-              for each reference (-: not found)
#         URL STACK ok|fail                     for each url
#         REGISTRY fail WHY                     if the registry refused or failed
# The questions go out at once, the state's in the foreground: each
# other answer into a file of a scratch folder, all printed at the end.
hc_ask=$(mktemp -d) || exit 1
trap 'rm -rf "$hc_ask"' EXIT INT TERM
{ docker image ls --no-trunc --digests --format 'HAS {{.ID}} {{.Repository}}@{{.Digest}}' 2>/dev/null | grep -v '@<none>$' || true; } >"$hc_ask/has" </dev/null &
# One URL a line ("STACK URL"): split on newlines only, and not globbed.
set -f
hc_ifs=$IFS
IFS='
'
for hc_line in $HC_URLS; do
    hc_stack=${hc_line%% *} hc_url=${hc_line#* }
    if [ -z "$hc_url" ] || [ "$hc_url" = "$hc_line" ]; then continue; fi
    { if hc_http_ok "$hc_url"; then echo "URL $hc_stack ok"; else echo "URL $hc_stack fail"; fi; } >"$hc_ask/url.$hc_stack" </dev/null &
done
IFS=$hc_ifs
set +f
# The first digest of a manifest listing on stdin: its descriptor's, the
# manifest's digest as a pull would record it (empty if none).
hc_first_digest() {
    grep -o '"digest": *"sha256:[0-9a-f]*"' | sed -n 1p | grep -o 'sha256:[0-9a-f]*'
}

# What the engine says REF names (GET /distribution/REF/json: the engine
# asks the registry, as it does before a pull, with the credentials of
# the X-Registry-Auth header, handed to curl on its stdin: no argv, no
# file, no login stored anywhere). Prints the NAMES or REGISTRY line.
hc_engine_names() { # SOCKET AUTH REF
    hc_answer=$(printf 'header = "X-Registry-Auth: %s"\n' "$2" |
        curl -sS -m 30 -K - -w '\n%{http_code}' --unix-socket "$1" "http://docker/distribution/$3/json" 2>&1)
    hc_code=${hc_answer##*
}
    hc_digest=$(printf '%s' "$hc_answer" | hc_first_digest)
    case $hc_code in
        200) printf 'NAMES %s %s\n' "$3" "${hc_digest:--}" ;;
        404) printf 'NAMES %s -\n' "$3" ;;
        *) case $hc_answer in
               *"manifest unknown"* | *"not found"*) printf 'NAMES %s -\n' "$3" ;;
               *) hc_reason=$(printf '%s\n' "$hc_answer" | sed -n 's/.*"message": *"\(.*\)".*/\1/p' | sed -n 1p)
                  echo "REGISTRY fail $3: ${hc_reason:-$(printf '%s\n' "$hc_answer" | sed -n 1p)}" ;;
           esac ;;
    esac
}

# The registry's answers through the engine where curl reaches it;
# else with the docker CLI: a throw-away login and `docker manifest
# inspect` per reference.
hc_registry() {
    [ -n "$HC_REFS" ] || return 0
    if hc_sock=$(hc_engine_socket) && command -v base64 >/dev/null 2>&1; then
        hc_auth=$(printf '{"username":"%s","password":"%s","serveraddress":"%s"}' \
            "$(printf '%s' "$HC_USERNAME" | sed 's/[\\"]/\\&/g')" \
            "$(printf '%s' "$HC_PASSWORD" | sed 's/[\\"]/\\&/g')" "$HC_SERVER" |
            base64 | tr -d '\n' | tr '+/' '-_')
        hc_i=0
        for hc_ref in $HC_REFS; do
            hc_i=$((hc_i + 1))
            hc_engine_names "$hc_sock" "$hc_auth" "$hc_ref" >"$hc_ask/ref.$hc_i" </dev/null &
        done
        wait
        return 0
    fi
    # In a background job: it drops its folder itself (a folder left by a
    # killed job is swept by the next login, docs/security.md).
    # Not in $(...): the login's folder must stay this shell's.
    if ! hc_registry_login >"$hc_ask/login"; then
        hc_drop_docker_config
        echo "REGISTRY fail $(tr '\n' ' ' <"$hc_ask/login")"
        rm -f "$hc_ask/login"
        return 0
    fi
    rm -f "$hc_ask/login"
    hc_insecure=$(hc_insecure_flag "$HC_SERVER")
    hc_i=0
    for hc_ref in $HC_REFS; do
        hc_i=$((hc_i + 1))
        # shellcheck disable=SC2086 # hc_insecure is empty or one flag
        { hc_digest=$(DOCKER_CONFIG=$HC_DOCKER_CONFIG docker manifest inspect -v $hc_insecure "$hc_ref" 2>/dev/null | hc_first_digest)
          printf 'NAMES %s %s\n' "$hc_ref" "${hc_digest:--}"; } >"$hc_ask/ref.$hc_i" </dev/null &
    done
    wait
    hc_drop_docker_config
}
hc_registry >"$hc_ask/registry" </dev/null &
if ! hc_state; then
    wait
    exit 1
fi
wait
cat "$hc_ask"/*
exit 0
