# Runs one before_up hook as a one-off container of the staged stack.
# Set before this: PROJECT, DIR, PROFILES, SERVICE, RUN_ARGS (--no-deps for
# a deploy of some services: the others are not started or recreated), and
# the hook's command as the positional parameters.
$COMPOSE -p "$PROJECT" -f "$DIR/compose.yml.next" $PROFILES run --rm -T $RUN_ARGS "$SERVICE" "$@"
