# Removes a swarm stack (on a manager: `docker stack rm`), then, on every
# node, waits until no container of it is left. Set before this
# (remote/steps/swarm_down.rs): HC_PROJECT, HC_REMOVE (1 on the manager),
# HC_WAIT (seconds).
# Prints: REMOVED N (containers that were still there at the start).
if [ "$HC_REMOVE" = 1 ]; then
    docker stack rm "$HC_PROJECT" 2>&1 || exit 1
fi
hc_label="label=com.docker.stack.namespace=$HC_PROJECT"
hc_left=$(docker ps -aq --filter "$hc_label" | wc -l)
hc_i=0
while [ -n "$(docker ps -aq --filter "$hc_label")" ]; do
    hc_i=$((hc_i + 1))
    if [ "$hc_i" -gt "$((HC_WAIT * 2))" ]; then
        echo "containers of $HC_PROJECT still there after ${HC_WAIT}s: $(docker ps -a --filter "$hc_label" --format '{{.Names}}' | tr '\n' ' ')"
        exit 1
    fi
    sleep 0.5
done
echo "REMOVED $hc_left"
