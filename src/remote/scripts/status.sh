# What runs on the node, for `homectl status`: every compose container of
# the node in one listing (its stacks' and the strays, docs/operations.md),
# the image digests, and the history (remote/steps/status.rs).
# Prints: CONTAINER PROJECT SERVICE IMAGE_REF IMAGE_ID STATE HEALTH
#         DIGESTS IMAGE_ID DIGEST,DIGEST
#         HISTORY <json line>
hc_ids=$(docker ps -aq --filter label=com.docker.compose.project) || exit 1
if [ -n "$hc_ids" ]; then
    # A container removed between the listing and here is simply not shown.
    # shellcheck disable=SC2086 # container ids, one a word
    hc_out=$(docker inspect --format 'CONTAINER {{index .Config.Labels "com.docker.compose.project"}} {{index .Config.Labels "com.docker.compose.service"}} {{.Config.Image}} {{.Image}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}}' $hc_ids 2>/dev/null)
    if [ -n "$hc_out" ]; then
        printf '%s\n' "$hc_out"
        # shellcheck disable=SC2046 # image ids, one a word
        docker image inspect --format 'DIGESTS {{.Id}} {{range .RepoDigests}}{{.}},{{end}}' $(printf '%s\n' "$hc_out" | cut -d' ' -f5 | sort -u) 2>/dev/null
    fi
fi
if [ -f "$HOMECTL_STATE/history.jsonl" ]; then
    tail -n "${HC_HISTORY_LINES:-1000}" "$HOMECTL_STATE/history.jsonl" | sed 's/^/HISTORY /'
fi
exit 0
