# Runs one before_up hook as a one-off container of the staged stack.
# Set before this: PROJECT, DIR, PROFILES, SERVICE, and the hook's command
# as the positional parameters.
$COMPOSE -p "$PROJECT" -f "$DIR/compose.yml.next" $PROFILES run --rm -T "$SERVICE" "$@"
