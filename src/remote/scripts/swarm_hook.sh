# Runs one before_up hook of a swarm stack on its manager, before the stack
# deploy: a one-off container of the service, started by Compose from a
# file of that service alone (plan/swarm_hooks.rs), on the stack's overlay
# networks, as project HC_PROJECT (so its named volumes are the stack's).
# Env and secrets are in this process's environment (exported by the
# caller from data frames), never in an argv or a file.
# Set before this (remote/steps/swarm_hook.rs): lib.sh, HC_PROJECT,
# HC_SERVICE, HC_CONFIGS (how many files), HC_COMPOSE_TEXT (read from its
# data frame), the function hc_hook_networks (one hc_hook_network line a
# network), the node's Compose, and the hook's command as the positional
# parameters. Data frames read here: a path and a content per config file.

# The network NAME must exist and be attachable (a one-off container can
# join no other overlay network); a missing one is created with ARGS
# (`docker network create ARGS NAME`), an external one (no ARGS) cannot be.
hc_hook_network() { # NAME [ARGS...]
    hc_net=$1
    shift
    if hc_attachable=$(docker network inspect --format '{{.Attachable}}' "$hc_net" 2>/dev/null); then
        [ "$hc_attachable" = true ] && return 0
        echo "network $hc_net is not attachable, so the hook's one-off container cannot join it: the stack's network was created before the stack had hooks (docs/swarm.md, \"Hooks\")"
        exit 1
    fi
    if [ $# -eq 0 ]; then
        echo "the external network $hc_net does not exist"
        exit 1
    fi
    docker network create "$@" "$hc_net" >/dev/null || { echo "cannot create the network $hc_net"; exit 1; }
}

hc_dir="$HOMECTL_STATE/swarm/$HC_PROJECT/hook"
rm -rf "$hc_dir" && mkdir -p "$hc_dir" || exit 1
printf '%s' "$HC_COMPOSE_TEXT" >"$hc_dir/compose.yml" || exit 1
hc_write_configs "$hc_dir" "$HC_CONFIGS" || exit 1
hc_hook_networks
cd "$hc_dir" || exit 1
# shellcheck disable=SC2086 # HC_COMPOSE may be a command with arguments
$HC_COMPOSE -p "$HC_PROJECT" -f "$hc_dir/compose.yml" run --rm -T --no-deps "$HC_SERVICE" "$@"
