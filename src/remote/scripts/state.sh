# Reads what runs on the node, its recent history and its Compose. Set
# before this (remote/steps/state.rs): HC_PROJECTS (compose project names)
# and HC_STACKS (the stacks' names), one a line; HC_NO_COMPOSE
# (optional: do not look for Compose).
# Prints: RUNNING PROJECT SERVICE CONTAINER_ID IMAGE_ID STATE IMAGE_REF CONFIG_HASH STATE_JSON
#         (CONFIG_HASH is - when the container has none; STATE_JSON holds
#         the health, and .State.Health is not there to index without one)
#         HISTORY <json line>
#         INUSE STACK VERSION, VERSION STACK VERSION (each on the node),
#         MANIFEST STACK SHA256 MODE PATH (the files of the version in use)
#         COMPOSE <command>   (if the node has Compose; later steps use it)
for hc_project in $HC_PROJECTS; do
    hc_ids=$(docker ps -aq --filter "label=com.docker.compose.project=$hc_project") || exit 1
    [ -n "$hc_ids" ] || continue
    # shellcheck disable=SC2086 # container ids, one a word
    docker inspect --format 'RUNNING {{index .Config.Labels "com.docker.compose.project"}} {{index .Config.Labels "com.docker.compose.service"}} {{.Id}} {{.Image}} {{.State.Status}} {{.Config.Image}} {{with index .Config.Labels "com.docker.compose.config-hash"}}{{.}}{{else}}-{{end}} {{json .State}}' $hc_ids || exit 1
done
if [ -f "$HOMECTL_STATE/history.jsonl" ]; then
    tail -n 1000 "$HOMECTL_STATE/history.jsonl" | sed 's/^/HISTORY /'
fi
# The versions of each stack's folder on the node, the one in use and its files.
for hc_stack in $HC_STACKS; do
    hc_meta="$HOMECTL_STATE/stacks/$hc_stack/.homectl"
    [ -d "$hc_meta/versions" ] || continue
    printf 'INUSE %s %s\n' "$hc_stack" "$(cat "$hc_meta/in-use" 2>/dev/null || true)"
    for hc_v in "$hc_meta"/versions/*; do
        [ -f "$hc_v/.manifest" ] && printf 'VERSION %s %s\n' "$hc_stack" "${hc_v##*/}"
    done
    hc_inuse=$(cat "$hc_meta/in-use" 2>/dev/null || true)
    if [ -n "$hc_inuse" ] && [ -f "$hc_meta/versions/$hc_inuse/.manifest" ]; then
        sed "s/^/MANIFEST $hc_stack /" "$hc_meta/versions/$hc_inuse/.manifest"
    fi
done
# `plan` sets HC_NO_COMPOSE: it runs no Compose, and finding v1 costs a
# Python start.
if [ -z "${HC_NO_COMPOSE:-}" ] && hc_which_compose; then printf 'COMPOSE %s\n' "$HC_COMPOSE"; fi
exit 0
