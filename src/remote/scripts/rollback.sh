# Goes back to what ran before this deploy: the previous compose file and
# the previous images, by image id (tagged locally as IMAGE_TAG, so no
# registry is needed and a re-pushed tag cannot change what comes back),
# at the scale that ran before (replicas the deploy added are removed).
# Set before this: PROJECT, DIR, PROFILES, UP_ARGS, REMOVE, START, RETAG
# ("IMAGE_ID REF" pairs, one a line), and IMAGE_TAG to the rollback tag.
[ -f "$DIR/compose.yml.prev" ] && cp -f "$DIR/compose.yml.prev" "$DIR/compose.yml"
printf '%s\n' "$RETAG" | while read -r id ref; do
    [ -n "$id" ] && { docker tag "$id" "$ref" || exit 1; }
done || exit 1
if [ "$START" = 1 ]; then
    $COMPOSE -p "$PROJECT" -f "$DIR/compose.yml" $PROFILES up -d $UP_ARGS || exit 1
fi
hc_remove "$PROJECT" $REMOVE || exit 1
