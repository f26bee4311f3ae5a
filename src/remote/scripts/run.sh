# A one-off container of a service of the deployed stack (homectl run), the
# way a before_up hook runs (hooks.sh), with the compose file in use. Set
# before this (remote/steps/one_off.rs, in front of one_off.sh): the compose prologue (env, secrets, HC_PROJECT, HC_PROFILES,
# HC_DIR, HC_COMPOSE), HC_SERVICE, HC_NAME (the container's name, for the
# clean-up after Ctrl-C), the command as the positional parameters.
# --no-deps: a one-off changes nothing that runs.
# The compose files of the stack folder's version in use, run from that
# folder (docs/stacks.md, "What travels").
hc_inuse=$(cat "$HC_DIR/.homectl/in-use" 2>/dev/null || true)
HC_FILES=$(hc_compose_files "$HC_DIR/.homectl/versions/${hc_inuse:-none}")
export HC_COMPOSE HC_PROJECT HC_PROFILES HC_DIR HC_SERVICE HC_NAME HC_FILES
# shellcheck disable=SC2016,SC2034 # code for one_off.sh, expanded there; files, profiles and HC_COMPOSE are lists of words
HC_ONE_OFF='cd "$HC_DIR" && $HC_COMPOSE -p "$HC_PROJECT" $HC_FILES $HC_PROFILES run --rm -T --no-deps --name "$HC_NAME" "$HC_SERVICE" "$@"'
# shellcheck disable=SC2016,SC2034 # code for one_off.sh, expanded there
HC_CLEANUP='docker rm -f "$HC_NAME"'
