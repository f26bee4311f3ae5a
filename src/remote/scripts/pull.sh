# Logs in with a throw-away Docker config on a tmpfs and pulls the images
# of the services to deploy. The config is removed whatever happens.
# Set before this (remote/steps/pull.rs): the compose prologue, HC_SERVER,
# HC_USERNAME, HC_PASSWORD (a data frame), HC_SERVICES, HC_PULL_REFS (the
# images, when homectl knows them; else Compose pulls), lists one item a line.
# No services (a selection all above the scale): nothing to pull; a bare
# `pull` would pull every image of the stack.
[ -n "$HC_SERVICES" ] || exit 0
trap 'hc_drop_docker_config' EXIT INT TERM
hc_registry_login || exit 1
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
    # shellcheck disable=SC2086 # files, profiles and services are lists (one item a line, no blanks in an item), split on purpose; HC_COMPOSE may be a command with arguments
    (cd "$hc_vdir" && DOCKER_CONFIG=$HC_DOCKER_CONFIG $HC_COMPOSE -p "$HC_PROJECT" $hc_files $HC_PROFILES pull -q $HC_SERVICES) || exit 1
fi
hc_drop_docker_config
