# Finds the container of a task of a swarm stack's service on this node
# (homectl exec; docs/swarm.md, "exec"). Set before this
# (remote/steps/swarm_task_of.rs): HC_NAME (STACK_SERVICE), HC_SLOT (the
# task's slot, 0 for any), HC_LOCAL (1: look on this node).
# Prints: CONTAINER ID when a running task is here; else, on a manager,
# MANAGER and one TASKNODE SLOT NODE line per task of the service that runs.
if [ "$HC_LOCAL" = 1 ]; then
    hc_list=$(docker ps --filter "label=com.docker.swarm.service.name=$HC_NAME" \
        --format '{{.ID}} {{.Label "com.docker.swarm.task.name"}}') || exit 1
    hc_id=$(printf '%s\n' "$hc_list" | while read -r hc_c hc_task; do
        hc_rest=${hc_task#"$HC_NAME".}
        hc_its=${hc_rest%%.*}
        if [ -n "$hc_c" ] && { [ "$HC_SLOT" = 0 ] || [ "$hc_its" = "$HC_SLOT" ]; }; then
            echo "$hc_c"
            break
        fi
    done)
    if [ -n "$hc_id" ]; then
        printf 'CONTAINER %s\n' "$hc_id"
        exit 0
    fi
fi
if [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ]; then
    echo MANAGER
    docker service ps "$HC_NAME" --filter desired-state=running \
        --format '{{.Name}} {{.Node}} {{.CurrentState}}' 2>/dev/null |
        while read -r hc_task hc_node hc_state _; do
            [ "$hc_state" = Running ] || continue
            printf 'TASKNODE %s %s\n' "${hc_task##*.}" "$hc_node"
        done
fi
exit 0
