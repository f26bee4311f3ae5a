# Runs one before_up hook as a one-off container of the staged stack.
# Set before this: HC_PROJECT, HC_DIR, HC_PROFILES, HC_SERVICE, HC_RUN_ARGS (--no-deps for
# a deploy of some services: the others are not started or recreated), and
# the hook's command as the positional parameters.
# shellcheck disable=SC2086 # profiles and run flags are lists of words; HC_COMPOSE may be a command with arguments
$HC_COMPOSE -p "$HC_PROJECT" -f "$HC_DIR/compose.yml.next" $HC_PROFILES run --rm -T $HC_RUN_ARGS "$HC_SERVICE" "$@"
