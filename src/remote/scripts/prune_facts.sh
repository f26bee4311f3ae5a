# What prune decides from (docs/operations.md, "Pruning"); reads only.
# Prints: IMAGE ID SIZE t:TAG,TAG... d:DIGEST,DIGEST... (each image)
#         USED IMAGE_ID (each container, running or not)
#         INUSE STACK VERSION, FILES STACK VERSION KBYTES (each stack folder)
#         HISTORY <json line>
# The history comes first: if the output is longer than homectl keeps (its
# last 1 MiB, docs/architecture.md), the oldest records are what is lost,
# never the listings (fewer records only means fewer images known as
# homectl's: less is removed, never more).
if [ -f "$HOMECTL_STATE/history.jsonl" ]; then
    sed 's/^/HISTORY /' "$HOMECTL_STATE/history.jsonl"
fi
hc_images=$(docker image ls -q --no-trunc | sort -u) || exit 1
if [ -n "$hc_images" ]; then
    # shellcheck disable=SC2086 # image ids, one a word
    docker image inspect --format 'IMAGE {{.Id}} {{.Size}} t:{{range .RepoTags}}{{.}},{{end}} d:{{range .RepoDigests}}{{.}},{{end}}' $hc_images || exit 1
fi
hc_ids=$(docker ps -aq --no-trunc) || exit 1
if [ -n "$hc_ids" ]; then
    # shellcheck disable=SC2086 # container ids, one a word
    docker inspect --format 'USED {{.Image}}' $hc_ids || exit 1
fi
for hc_meta in "$HOMECTL_STATE"/stacks/*/.homectl; do
    [ -d "$hc_meta/versions" ] || continue
    hc_stack=${hc_meta%/.homectl}
    hc_stack=${hc_stack##*/}
    printf 'INUSE %s %s\n' "$hc_stack" "$(cat "$hc_meta/in-use" 2>/dev/null || true)"
    for hc_v in "$hc_meta"/versions/*; do
        [ -f "$hc_v/.manifest" ] || continue
        printf 'FILES %s %s %s\n' "$hc_stack" "${hc_v##*/}" "$(du -sk "$hc_v" | cut -f1)"
    done
done
exit 0
