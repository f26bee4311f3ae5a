# Puts the staged version of the stack's folder in use and starts the
# services; recreates those that read a file that changed (Compose does not
# see a bind-mounted file change). Replicas above the scale (services of
# inactive scale-N profiles, which compose leaves running) are removed.
# Set before this (remote/steps/up.rs), lists one item a line: the compose
# prologue (HC_PROJECT, HC_DIR, HC_VERSION, HC_PROFILES), HC_UP_ARGS (e.g.
# --no-deps and backend, or empty for the whole stack), HC_RECREATE
# (services to recreate), HC_REMOVE, HC_START (0: the selected services are
# all above the scale, start nothing).
hc_meta="$HC_DIR/.homectl"
hc_inuse=$(cat "$hc_meta/in-use" 2>/dev/null || true)
if [ "$hc_inuse" != "$HC_VERSION" ]; then
    # A folder deployed before versions existed: keep its compose file for a rollback.
    if [ -z "$hc_inuse" ] && [ -f "$HC_DIR/compose.yml" ]; then
        cp -f "$HC_DIR/compose.yml" "$HC_DIR/compose.yml.prev"
    fi
    (umask 022 && hc_put_version "$HC_DIR" "$hc_inuse" "$HC_VERSION") || exit 1
fi
cd "$HC_DIR" || exit 1
hc_files=$(hc_compose_files "$hc_meta/versions/$HC_VERSION")
if [ "$HC_START" = 1 ]; then
    # shellcheck disable=SC2086 # files, profiles and up flags are lists (one item a line, no blanks in an item), split on purpose; HC_COMPOSE may be a command with arguments
    $HC_COMPOSE -p "$HC_PROJECT" $hc_files $HC_PROFILES up -d $HC_UP_ARGS || exit 1
    if [ -n "$HC_RECREATE" ]; then
        # shellcheck disable=SC2086 # as above; HC_RECREATE is a list of services
        $HC_COMPOSE -p "$HC_PROJECT" $hc_files $HC_PROFILES up -d --no-deps --force-recreate $HC_RECREATE || exit 1
    fi
fi
# shellcheck disable=SC2086 # a list of services (one a line), split on purpose
hc_remove "$HC_PROJECT" $HC_REMOVE || exit 1
