# The logs of a swarm stack's services seen from one node (homectl logs,
# docs/swarm.md): on a manager `docker service logs` (every task, on
# whatever node it runs), elsewhere `docker logs` of the stack's task
# containers on that node. Each runs in the background of the shell that
# runs this (logs.sh waits for them). Set before this
# (remote/steps/swarm_logs.rs): HC_SWARM_PROJECT, HC_SWARM_SERVICES (one a
# line), HC_SWARM_LOG_OPTS (`-f`, `--tail N`, written by homectl).
hc_ifs=$IFS
IFS='
'
if [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ]; then
    for hc_s in $HC_SWARM_SERVICES; do
        IFS=$hc_ifs
        # shellcheck disable=SC2086 # options, one a word
        (docker service logs --no-trunc $HC_SWARM_LOG_OPTS "${HC_SWARM_PROJECT}_$hc_s" 2>&1) &
    done
else
    for hc_s in $HC_SWARM_SERVICES; do
        IFS=$hc_ifs
        for hc_c in $(docker ps -q --filter "label=com.docker.swarm.service.name=${HC_SWARM_PROJECT}_$hc_s"); do
            # shellcheck disable=SC2086 # options, one a word
            (docker logs $HC_SWARM_LOG_OPTS "$hc_c" 2>&1) &
        done
    done
fi
IFS=$hc_ifs
