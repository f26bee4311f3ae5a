# Removes what prune decided (docs/operations.md, "Pruning"). Set before
# this: HC_IMAGES ("IMAGE_ID REF..." lines: the references homectl made,
# untagged first, then the image), HC_FILES ("STACK VERSION" lines).
# An image a container uses by now, or that keeps another reference, stays.
# Prints: REMOVED-IMAGE ID, KEPT-IMAGE ID WHY, REMOVED-FILES STACK VERSION,
#         DISK BEFORE AFTER (docker system df's size of all images).
hc_disk() { docker system df --format '{{.Type}} {{.Size}}' 2>/dev/null | awk '$1 == "Images" { print $2 }'; }
hc_before=$(hc_disk)
hc_failed=0
printf '%s\n' "$HC_IMAGES" | {
    hc_failed=0
    while read -r hc_id hc_refs; do
        [ -n "$hc_id" ] || continue
        if [ -n "$(docker ps -aq --filter "ancestor=$hc_id")" ]; then
            printf 'KEPT-IMAGE %s a container uses it\n' "$hc_id"
            continue
        fi
        for hc_ref in $hc_refs; do
            docker rmi "$hc_ref" >/dev/null 2>&1 || true
        done
        if docker image inspect "$hc_id" >/dev/null 2>&1; then
            hc_left=$(docker image inspect --format '{{range .RepoTags}}{{.}} {{end}}' "$hc_id")
            hc_left=${hc_left% }
            if [ -n "$hc_left" ]; then
                printf 'KEPT-IMAGE %s also tagged %s\n' "$hc_id" "$hc_left"
                continue
            fi
            if ! hc_out=$(docker rmi "$hc_id" 2>&1); then
                printf 'KEPT-IMAGE %s %s\n' "$hc_id" "$(printf '%s' "$hc_out" | tr '\n' ' ')"
                hc_failed=1
                continue
            fi
        fi
        printf 'REMOVED-IMAGE %s\n' "$hc_id"
    done
    exit "$hc_failed"
} || hc_failed=1
printf '%s\n' "$HC_FILES" | while read -r hc_stack hc_version; do
    [ -n "$hc_version" ] || continue
    # Versions are hex digests and stacks plain names: nothing else is removed.
    case $hc_version in *[!0-9a-f]*) continue ;; esac
    case $hc_stack in "" | .* | */*) continue ;; esac
    hc_meta="$HOMECTL_STATE/stacks/$hc_stack/.homectl"
    # Never the version in use, whatever the decision said.
    [ "$(cat "$hc_meta/in-use" 2>/dev/null || true)" != "$hc_version" ] || continue
    [ -d "$hc_meta/versions/$hc_version" ] || continue
    rm -rf "${hc_meta:?}/versions/$hc_version" || exit 1
    printf 'REMOVED-FILES %s %s\n' "$hc_stack" "$hc_version"
done || hc_failed=1
printf 'DISK %s %s\n' "${hc_before:--}" "$(hc_disk || true)"
exit "$hc_failed"
