# Goes back to what ran before this deploy: the previous compose file and
# the previous images, by image id (tagged locally as IMAGE_TAG, so no
# registry is needed and a re-pushed tag cannot change what comes back),
# at the scale that ran before (replicas the deploy added are removed).
# Set before this: HC_PROJECT, HC_DIR, HC_PROFILES, HC_UP_ARGS, HC_REMOVE, HC_START, HC_RETAG
# ("IMAGE_ID REF" pairs, one a line), and IMAGE_TAG to the rollback tag.
[ -f "$HC_DIR/compose.yml.prev" ] && cp -f "$HC_DIR/compose.yml.prev" "$HC_DIR/compose.yml"
printf '%s\n' "$HC_RETAG" | while read -r hc_id hc_ref; do
    [ -n "$hc_id" ] && { docker tag "$hc_id" "$hc_ref" || exit 1; }
done || exit 1
if [ "$HC_START" = 1 ]; then
    # shellcheck disable=SC2086 # profiles and up flags are lists of words; HC_COMPOSE may be a command with arguments
    $HC_COMPOSE -p "$HC_PROJECT" -f "$HC_DIR/compose.yml" $HC_PROFILES up -d $HC_UP_ARGS || exit 1
fi
# shellcheck disable=SC2086 # a list of services
hc_remove "$HC_PROJECT" $HC_REMOVE || exit 1
