# A one-off container of a service of the deployed stack (homectl run), the
# way a before_up hook runs (hooks.sh), with the compose file in use. Set
# before this: the compose prologue (env, secrets, HC_PROJECT, HC_PROFILES,
# HC_DIR, HC_COMPOSE), HC_SERVICE, HC_NAME (the container's name, for the
# clean-up after Ctrl-C), the command as the positional parameters.
# --no-deps: a one-off changes nothing that runs.
export HC_COMPOSE HC_PROJECT HC_PROFILES HC_DIR HC_SERVICE HC_NAME
# shellcheck disable=SC2016,SC2034 # code for one_off.sh, expanded there; profiles and HC_COMPOSE are lists of words
HC_ONE_OFF='$HC_COMPOSE -p "$HC_PROJECT" -f "$HC_DIR/compose.yml" $HC_PROFILES run --rm -T --no-deps --name "$HC_NAME" "$HC_SERVICE" "$@"'
# shellcheck disable=SC2016,SC2034 # code for one_off.sh, expanded there
HC_CLEANUP='docker rm -f "$HC_NAME"'
