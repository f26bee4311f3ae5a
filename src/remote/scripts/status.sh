# What runs on the node, for `homectl status`. Set before this: HC_PROJECTS.
# Prints: CONTAINER PROJECT SERVICE IMAGE_REF IMAGE_ID STATE HEALTH
#         DIGESTS IMAGE_ID DIGEST,DIGEST
#         HISTORY <json line>
hc_images=
for hc_project in $HC_PROJECTS; do
    hc_ids=$(docker ps -aq --filter "label=com.docker.compose.project=$hc_project") || exit 1
    [ -n "$hc_ids" ] || continue
    # A container removed between the listing and here is simply not shown.
    # shellcheck disable=SC2086 # container ids, one a word
    hc_out=$(docker inspect --format 'CONTAINER {{index .Config.Labels "com.docker.compose.project"}} {{index .Config.Labels "com.docker.compose.service"}} {{.Config.Image}} {{.Image}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}}' $hc_ids 2>/dev/null)
    [ -n "$hc_out" ] || continue
    printf '%s\n' "$hc_out"
    hc_images="$hc_images $(printf '%s\n' "$hc_out" | cut -d' ' -f5)"
done
if [ -n "$hc_images" ]; then
    # shellcheck disable=SC2046,SC2086 # image ids, one a word
    docker image inspect --format 'DIGESTS {{.Id}} {{range .RepoDigests}}{{.}},{{end}}' $(printf '%s\n' $hc_images | sort -u) 2>/dev/null
fi
if [ -f "$HOMECTL_STATE/history.jsonl" ]; then
    tail -n "${HC_HISTORY_LINES:-1000}" "$HOMECTL_STATE/history.jsonl" | sed 's/^/HISTORY /'
fi
exit 0
