# Logs in with a throw-away Docker config on a tmpfs and pulls the images
# of the services to deploy. The config is removed whatever happens.
# Set before this: SERVER, USERNAME, PROJECT, DIR, PROFILES, SERVICES,
# IMAGE_REFS, PULL_REFS (the images, when homectl knows them; else Compose
# pulls). Data frame: the registry password (read by the caller).
# Prints: IMAGE REF IMAGE_ID for each app image after the pull.
# No services (a selection all above the scale): nothing to pull; a bare
# `pull` would pull every image of the stack.
[ -n "$SERVICES" ] || exit 0
trap 'hc_drop_docker_config' EXIT INT TERM
hc_tmpfs_docker_config || { echo "$HC_WHY"; exit 1; }
if ! out=$(hc_login "$SERVER" "$USERNAME" "$PASSWORD") || [ ! -s "$HC_DOCKER_CONFIG/config.json" ]; then
    echo "registry login to $SERVER as $USERNAME failed: $out"
    exit 1
fi
if [ -n "$PULL_REFS" ]; then
    # The images are known: `docker pull` them side by side (no Compose start).
    pids=
    for ref in $PULL_REFS; do
        DOCKER_CONFIG=$HC_DOCKER_CONFIG docker pull -q "$ref" >/dev/null &
        pids="$pids $!"
    done
    for pid in $pids; do wait "$pid" || exit 1; done
else
    DOCKER_CONFIG=$HC_DOCKER_CONFIG $COMPOSE -p "$PROJECT" -f "$DIR/compose.yml.next" $PROFILES pull -q $SERVICES || exit 1
fi
hc_drop_docker_config
for ref in $IMAGE_REFS; do
    printf 'IMAGE %s %s\n' "$ref" "$(docker image inspect --format '{{.Id}}' "$ref")" || exit 1
done
