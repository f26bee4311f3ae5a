# Logs in with a throw-away Docker config on a tmpfs and pulls the images
# of the services to deploy. The config is removed whatever happens.
# Set before this: HC_SERVER, HC_USERNAME, HC_PROJECT, HC_DIR, HC_VERSION, HC_PROFILES, HC_SERVICES,
# HC_IMAGE_REFS, HC_PULL_REFS (the images, when homectl knows them; else Compose
# pulls). Data frame: the registry password (read by the caller).
# Prints: IMAGE REF IMAGE_ID for each app image after the pull.
# No services (a selection all above the scale): nothing to pull; a bare
# `pull` would pull every image of the stack.
[ -n "$HC_SERVICES" ] || exit 0
trap 'hc_drop_docker_config' EXIT INT TERM
hc_tmpfs_docker_config || { echo "$HC_WHY"; exit 1; }
if ! hc_out=$(hc_login "$HC_SERVER" "$HC_USERNAME" "$HC_PASSWORD"); then
    echo "registry login to $HC_SERVER as $HC_USERNAME failed: $hc_out"
    exit 1
fi
if [ -n "$HC_PULL_REFS" ]; then
    # The images are known: `docker pull` them side by side (no Compose start).
    hc_pids=
    for hc_ref in $HC_PULL_REFS; do
        DOCKER_CONFIG=$HC_DOCKER_CONFIG docker pull -q "$hc_ref" >/dev/null &
        hc_pids="$hc_pids $!"
    done
    for hc_pid in $hc_pids; do wait "$hc_pid" || exit 1; done
else
    hc_vdir="$HC_DIR/.homectl/versions/$HC_VERSION"
    hc_files=$(hc_compose_files "$hc_vdir")
    # shellcheck disable=SC2086 # files, profiles and services are lists of words; HC_COMPOSE may be a command with arguments
    (cd "$hc_vdir" && DOCKER_CONFIG=$HC_DOCKER_CONFIG $HC_COMPOSE -p "$HC_PROJECT" $hc_files $HC_PROFILES pull -q $HC_SERVICES) || exit 1
fi
hc_drop_docker_config
for hc_ref in $HC_IMAGE_REFS; do
    printf 'IMAGE %s %s\n' "$hc_ref" "$(docker image inspect --format '{{.Id}}' "$hc_ref")" || exit 1
done
