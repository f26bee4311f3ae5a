# The stopped containers of a swarm stack's ended tasks on this node
# (prune; docs/swarm.md, "prune"): Swarm keeps them as the tasks' history,
# and each holds its image. Set before this (remote/steps/swarm_ended.rs):
# HC_NAMES (Swarm service names, one a line), HC_REMOVE (1: remove them).
# Prints: ENDED CONTAINER IMAGE (HC_REMOVE=0), REMOVED-TASK CONTAINER
# (HC_REMOVE=1), LIVE IMAGE for every other container (and one that could
# not be removed).
hc_all=$(docker ps -aq --no-trunc) || exit 1
[ -n "$hc_all" ] || exit 0
# shellcheck disable=SC2086 # container ids, one a word
docker inspect --format '{{.Id}} {{.Image}} {{.State.Status}} {{index .Config.Labels "com.docker.swarm.service.name"}}' $hc_all |
    while read -r hc_id hc_img hc_state hc_svc; do
        hc_ended=0
        case $hc_state in
            exited | dead)
                if printf '%s\n' "$HC_NAMES" | grep -qxF -e "$hc_svc"; then
                    hc_ended=1
                fi
                ;;
        esac
        if [ "$hc_ended" = 0 ]; then
            printf 'LIVE %s\n' "$hc_img"
        elif [ "$HC_REMOVE" != 1 ]; then
            printf 'ENDED %s %s\n' "$hc_id" "$hc_img"
        elif docker rm "$hc_id" >/dev/null 2>&1; then
            printf 'REMOVED-TASK %s\n' "$hc_id"
        else
            printf 'LIVE %s\n' "$hc_img"
        fi
    done
