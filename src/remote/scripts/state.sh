# Reads what runs on the node, its recent history and its Compose. Set
# before this: HC_PROJECTS (compose project names, one a line).
# Prints: RUNNING PROJECT SERVICE CONTAINER_ID IMAGE_ID STATE IMAGE_REF CONFIG_HASH STATE_JSON
#         (CONFIG_HASH is - when the container has none; STATE_JSON holds
#         the health, and .State.Health is not there to index without one)
#         HISTORY <json line>
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
if hc_which_compose; then printf 'COMPOSE %s\n' "$HC_COMPOSE"; fi
exit 0
