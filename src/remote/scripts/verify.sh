# A redeploy that looks like it changes nothing: pulls the image references
# that run (with a throw-away Docker config on a tmpfs, as pull.sh) and
# prints what each names now, so that a tag pushed again with new content
# is told apart. Quicker than a Compose pull: no Compose start.
# Then asks the stack's health URL once, if it has one: a stack whose
# containers run but whose URL does not answer is not "unchanged".
# Set before this: SERVER, USERNAME, REFS, URL. Data frame: the registry password.
# Prints: REF REFERENCE IMAGE_ID for each reference, then URL ok|fail if URL is set.
trap 'hc_drop_docker_config' EXIT INT TERM
hc_tmpfs_docker_config || { echo "$HC_WHY"; exit 1; }
if ! out=$(hc_login "$SERVER" "$USERNAME" "$PASSWORD") || [ ! -s "$HC_DOCKER_CONFIG/config.json" ]; then
    echo "registry login to $SERVER as $USERNAME failed: $out"
    exit 1
fi
for ref in $REFS; do
    DOCKER_CONFIG=$HC_DOCKER_CONFIG docker pull -q "$ref" >/dev/null || exit 1
done
hc_drop_docker_config
for ref in $REFS; do
    printf 'REF %s %s\n' "$ref" "$(docker image inspect --format '{{.Id}}' "$ref")" || exit 1
done
if [ -n "$URL" ]; then
    if hc_http_ok "$URL"; then echo "URL ok"; else echo "URL fail"; fi
fi
