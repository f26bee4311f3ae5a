# What runs on the node, for `homectl status`. Set before this: PROJECTS.
# Prints: CONTAINER PROJECT SERVICE IMAGE_REF IMAGE_ID STATE HEALTH
#         DIGESTS IMAGE_ID DIGEST,DIGEST
#         HISTORY <json line>
images=
for project in $PROJECTS; do
    ids=$(docker ps -aq --filter "label=com.docker.compose.project=$project") || exit 1
    [ -n "$ids" ] || continue
    # A container removed between the listing and here is simply not shown.
    out=$(docker inspect --format 'CONTAINER {{index .Config.Labels "com.docker.compose.project"}} {{index .Config.Labels "com.docker.compose.service"}} {{.Config.Image}} {{.Image}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}}' $ids 2>/dev/null)
    [ -n "$out" ] || continue
    printf '%s\n' "$out"
    images="$images $(printf '%s\n' "$out" | cut -d' ' -f5)"
done
if [ -n "$images" ]; then
    docker image inspect --format 'DIGESTS {{.Id}} {{range .RepoDigests}}{{.}},{{end}}' $(printf '%s\n' $images | sort -u) 2>/dev/null
fi
if [ -f "$HOMECTL_STATE/history.jsonl" ]; then
    tail -n "${HISTORY_LINES:-1000}" "$HOMECTL_STATE/history.jsonl" | sed 's/^/HISTORY /'
fi
exit 0
