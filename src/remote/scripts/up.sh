# Puts the staged compose file in use and starts the services. Replicas
# above the scale (services of inactive scale-N profiles, which compose
# leaves running) are removed. Set before this: PROJECT, DIR, PROFILES,
# UP_ARGS (e.g. "--no-deps backend", or empty for the whole stack), REMOVE,
# START (0: the selected services are all above the scale, start nothing).
if [ -f "$DIR/compose.yml.next" ]; then
    [ -f "$DIR/compose.yml" ] && cp -f "$DIR/compose.yml" "$DIR/compose.yml.prev"
    mv -f "$DIR/compose.yml.next" "$DIR/compose.yml" || exit 1
fi
if [ "$START" = 1 ]; then
    $COMPOSE -p "$PROJECT" -f "$DIR/compose.yml" $PROFILES up -d $UP_ARGS || exit 1
fi
hc_remove "$PROJECT" $REMOVE || exit 1
