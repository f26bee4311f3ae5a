# Runs one before_up hook as a one-off container of the staged stack: its
# compose file and folder are the staged version's (the one in use changes
# only in the up step).
# Set before this (remote/steps/hooks.rs): the compose prologue (HC_PROJECT,
# HC_DIR, HC_VERSION, HC_PROFILES), HC_SERVICE, HC_RUN_ARGS (--no-deps for a
# deploy of some services: the others are not started or recreated), and
# the hook's command as the positional parameters.
hc_vdir="$HC_DIR/.homectl/versions/$HC_VERSION"
cd "$hc_vdir" || exit 1
hc_files=$(hc_compose_files "$hc_vdir")
# shellcheck disable=SC2086 # files, profiles and run flags are lists (one item a line, no blanks in an item), split on purpose; HC_COMPOSE may be a command with arguments
$HC_COMPOSE -p "$HC_PROJECT" $hc_files $HC_PROFILES run --rm -T $HC_RUN_ARGS "$HC_SERVICE" "$@"
