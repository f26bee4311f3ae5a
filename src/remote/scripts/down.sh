# Stops and removes the containers of a stack, or of some of its services
# (homectl down). Volumes are kept. Set before this: PROJECT, SERVICES
# (empty for the whole stack, which also removes its networks).
if [ -z "$SERVICES" ]; then
    ids=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT") || exit 1
else
    ids=
    for service in $SERVICES; do
        ids="$ids $(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$service")" || exit 1
    done
fi
set -- $ids
[ $# -eq 0 ] || docker rm -f "$@" >/dev/null || exit 1
echo "REMOVED $#"
if [ -z "$SERVICES" ]; then
    nets=$(docker network ls -q --filter "label=com.docker.compose.project=$PROJECT")
    [ -z "$nets" ] || docker network rm $nets >/dev/null || exit 1
fi
exit 0
