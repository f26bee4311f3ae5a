# A redeploy that looks like it changes nothing: pulls the image references
# that run (with a throw-away Docker config on a tmpfs, as pull.sh) and
# prints what each names now, so that a tag pushed again with new content
# is told apart. Quicker than a Compose pull: no Compose start.
# Then asks the stack's health URL once, if it has one: a stack whose
# containers run but whose URL does not answer is not "unchanged".
# Set before this: HC_SERVER, HC_USERNAME, HC_REFS, HC_URL. Data frame: the registry password.
# Prints: REF REFERENCE IMAGE_ID for each reference, then URL ok|fail if URL is set.
trap 'hc_drop_docker_config' EXIT INT TERM
hc_tmpfs_docker_config || { echo "$HC_WHY"; exit 1; }
if ! hc_out=$(hc_login "$HC_SERVER" "$HC_USERNAME" "$HC_PASSWORD"); then
    echo "registry login to $HC_SERVER as $HC_USERNAME failed: $hc_out"
    exit 1
fi
for hc_ref in $HC_REFS; do
    DOCKER_CONFIG=$HC_DOCKER_CONFIG docker pull -q "$hc_ref" >/dev/null || exit 1
done
hc_drop_docker_config
for hc_ref in $HC_REFS; do
    printf 'REF %s %s\n' "$hc_ref" "$(docker image inspect --format '{{.Id}}' "$hc_ref")" || exit 1
done
if [ -n "$HC_URL" ]; then
    if hc_http_ok "$HC_URL"; then echo "URL ok"; else echo "URL fail"; fi
fi
