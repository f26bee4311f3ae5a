# Whether stacks run on a node that the inventory does not assign them to
# (a deploy's moved-stack warning, docs/operations.md "Moving a stack to
# another node"). Reads only. Set before this: HC_PROJECTS (compose
# projects, one a word).
# Prints: CONTAINER PROJECT SERVICE (each container, in any state)
#         HISTORY <json line>
for hc_project in $HC_PROJECTS; do
    hc_ids=$(docker ps -aq --filter "label=com.docker.compose.project=$hc_project") || exit 1
    [ -n "$hc_ids" ] || continue
    # shellcheck disable=SC2086 # container ids, one a word
    docker inspect --format 'CONTAINER {{index .Config.Labels "com.docker.compose.project"}} {{index .Config.Labels "com.docker.compose.service"}}' $hc_ids 2>/dev/null
done
if [ -f "$HOMECTL_STATE/history.jsonl" ]; then
    tail -n 1000 "$HOMECTL_STATE/history.jsonl" | sed 's/^/HISTORY /'
fi
exit 0
