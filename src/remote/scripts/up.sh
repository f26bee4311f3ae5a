# Puts the staged compose file in use and starts the services. Replicas
# above the scale (services of inactive scale-N profiles, which compose
# leaves running) are removed. Set before this: HC_PROJECT, HC_DIR, HC_PROFILES,
# HC_UP_ARGS (e.g. "--no-deps backend", or empty for the whole stack), HC_REMOVE,
# HC_START (0: the selected services are all above the scale, start nothing).
if [ -f "$HC_DIR/compose.yml.next" ]; then
    [ -f "$HC_DIR/compose.yml" ] && cp -f "$HC_DIR/compose.yml" "$HC_DIR/compose.yml.prev"
    mv -f "$HC_DIR/compose.yml.next" "$HC_DIR/compose.yml" || exit 1
fi
if [ "$HC_START" = 1 ]; then
    # shellcheck disable=SC2086 # profiles and up flags are lists of words; HC_COMPOSE may be a command with arguments
    $HC_COMPOSE -p "$HC_PROJECT" -f "$HC_DIR/compose.yml" $HC_PROFILES up -d $HC_UP_ARGS || exit 1
fi
# shellcheck disable=SC2086 # a list of services
hc_remove "$HC_PROJECT" $HC_REMOVE || exit 1
