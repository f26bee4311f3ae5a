# Finds the running container of one replica of a service (homectl exec).
# Set before this (remote/steps/container_of.rs): HC_PROJECT, HC_SERVICE, HC_REPLICA (Compose's container number).
# Prints: CONTAINER ID
hc_id=$(docker ps -q --filter "label=com.docker.compose.project=$HC_PROJECT" \
    --filter "label=com.docker.compose.service=$HC_SERVICE" \
    --filter "label=com.docker.compose.container-number=$HC_REPLICA" | head -n 1) || exit 1
if [ -z "$hc_id" ]; then
    echo "no running container of $HC_SERVICE (replica $HC_REPLICA) in $HC_PROJECT"
    exit 1
fi
printf 'CONTAINER %s\n' "$hc_id"
