# Restarts the containers of a stack, or of some of its services, in place
# (homectl restart): the same containers, no pull, no new image. One-off
# containers (homectl run, hooks) are left alone. Set before this
# (remote/steps/restart.rs): HC_PROJECT, HC_SERVICES (one a line; empty for
# every service of the stack).
# Prints: RESTARTED SERVICE for each service restarted.
hc_ids=
for hc_service in ${HC_SERVICES:-.}; do
    if [ "$hc_service" = . ]; then set -- --filter "label=com.docker.compose.project=$HC_PROJECT"
    else set -- --filter "label=com.docker.compose.project=$HC_PROJECT" --filter "label=com.docker.compose.service=$hc_service"
    fi
    hc_ids="$hc_ids $(docker ps -aq "$@" --filter label=com.docker.compose.oneoff=False)" || exit 1
done
# shellcheck disable=SC2086 # container ids, one a word
set -- $hc_ids
if [ $# -eq 0 ]; then echo "no containers of ${HC_SERVICES:-the stack} in $HC_PROJECT: nothing to restart"; exit 1; fi
docker restart "$@" >/dev/null || exit 1
docker inspect --format '{{index .Config.Labels "com.docker.compose.service"}}' "$@" | sort -u | sed 's/^/RESTARTED /'
