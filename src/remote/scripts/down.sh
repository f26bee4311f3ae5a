# Stops and removes the containers of a stack, or of some of its services
# (homectl down). Volumes are kept. Set before this (remote/steps/down.rs):
# HC_PROJECT, HC_SERVICES (one a line; empty for the whole stack, which also
# removes its networks).
# Prints: REMOVED N
if [ -z "$HC_SERVICES" ]; then
    hc_ids=$(docker ps -aq --filter "label=com.docker.compose.project=$HC_PROJECT") || exit 1
else
    hc_ids=
    for hc_service in $HC_SERVICES; do
        hc_ids="$hc_ids $(docker ps -aq --filter "label=com.docker.compose.project=$HC_PROJECT" --filter "label=com.docker.compose.service=$hc_service")" || exit 1
    done
fi
# shellcheck disable=SC2086 # container ids, one a word
set -- $hc_ids
[ $# -eq 0 ] || docker rm -f "$@" >/dev/null || exit 1
echo "REMOVED $#"
if [ -z "$HC_SERVICES" ]; then
    hc_nets=$(docker network ls -q --filter "label=com.docker.compose.project=$HC_PROJECT")
    # shellcheck disable=SC2086 # network ids, one a word
    [ -z "$hc_nets" ] || docker network rm $hc_nets >/dev/null || exit 1
fi
exit 0
