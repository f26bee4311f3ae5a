# Goes back to what ran before this deploy: the previous version of the
# stack's folder (HC_BACK; a folder deployed before versions existed gets
# its previous compose file back) and the previous images, by image id
# (tagged locally as IMAGE_TAG, so no registry is needed and a re-pushed tag
# cannot change what comes back), at the scale that ran before (replicas
# the deploy added are removed). Set before this (remote/steps/rollback.rs),
# lists one item a line: the compose prologue (HC_PROJECT, HC_DIR,
# HC_PROFILES), HC_BACK (the version to go back to, or empty), HC_UP_ARGS,
# HC_RECREATE (services that read a file that differs between the two),
# HC_REMOVE, HC_START, HC_RETAG ("IMAGE_ID REF" pairs), and IMAGE_TAG to
# the rollback tag.
hc_meta="$HC_DIR/.homectl"
hc_inuse=$(cat "$hc_meta/in-use" 2>/dev/null || true)
if [ -n "$HC_BACK" ] && [ -f "$hc_meta/versions/$HC_BACK/.manifest" ]; then
    if [ "$hc_inuse" != "$HC_BACK" ]; then
        (umask 022 && hc_put_version "$HC_DIR" "$hc_inuse" "$HC_BACK") || exit 1
    fi
    hc_files=$(hc_compose_files "$hc_meta/versions/$HC_BACK")
else
    [ -f "$HC_DIR/compose.yml.prev" ] && cp -f "$HC_DIR/compose.yml.prev" "$HC_DIR/compose.yml"
    hc_files=$(hc_compose_files "$hc_meta/versions/${hc_inuse:-none}")
fi
printf '%s\n' "$HC_RETAG" | while read -r hc_id hc_ref; do
    [ -n "$hc_id" ] && { docker tag "$hc_id" "$hc_ref" || exit 1; }
done || exit 1
cd "$HC_DIR" || exit 1
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
