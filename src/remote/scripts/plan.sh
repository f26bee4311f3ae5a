# What `homectl plan` asks a node besides its state, changing nothing
# (docs/operations.md, "plan"): the repo digests of the images that run,
# what each image reference names in the registry now (the digest of its
# manifest, asked as preflight does: never a pull), and whether each
# stack's health URL answers.
# It runs beside the state step, on a channel of its own.
# Set before this: HC_SERVER, HC_USERNAME, HC_REFS (image references),
# HC_URLS (lines "STACK URL"). Data frame: the registry password.
# Prints: HAS IMAGE_ID REPO@DIGEST             for each image and digest on the node
#         NAMES REFERENCE DIGEST|-              for each reference (-: not found)
#         URL STACK ok|fail                     for each url
#         REGISTRY fail WHY                     if the login failed
docker image ls --no-trunc --digests --format 'HAS {{.ID}} {{.Repository}}@{{.Digest}}' 2>/dev/null | grep -v '@<none>$' || true
printf '%s\n' "$HC_URLS" | while IFS=' ' read -r hc_stack hc_url; do
    [ -n "$hc_url" ] || continue
    if hc_http_ok "$hc_url"; then echo "URL $hc_stack ok"; else echo "URL $hc_stack fail"; fi
done
[ -n "$HC_REFS" ] || exit 0
trap 'hc_drop_docker_config' EXIT INT TERM
hc_tmpfs_docker_config || { echo "REGISTRY fail $HC_WHY"; exit 0; }
if ! hc_out=$(hc_login "$HC_SERVER" "$HC_USERNAME" "$HC_PASSWORD"); then
    echo "REGISTRY fail login to $HC_SERVER as $HC_USERNAME failed: $(printf '%s\n' "$hc_out" | tail -n 1)"
    exit 0
fi
hc_insecure=$(hc_insecure_flag "$HC_SERVER")
for hc_ref in $HC_REFS; do
    # The first digest of the verbose listing is its descriptor's: the
    # manifest's digest, as a pull would record it.
    # shellcheck disable=SC2086 # hc_insecure is empty or one flag
    hc_digest=$(DOCKER_CONFIG=$HC_DOCKER_CONFIG docker manifest inspect -v $hc_insecure "$hc_ref" 2>/dev/null |
        grep -o '"digest": *"sha256:[0-9a-f]*"' | sed -n 1p | grep -o 'sha256:[0-9a-f]*')
    printf 'NAMES %s %s\n' "$hc_ref" "${hc_digest:--}"
done
exit 0
