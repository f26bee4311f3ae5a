# The services of a swarm stack as the manager sees them. Set before this
# (remote/steps/swarm_state.rs): HC_PROJECT. Prints per service: SVC NAME UPDATE_STATE|- REPLICAS IMAGE;
# per task meant to run: TASK SERVICE NAME NODE IMAGE CURRENT_STATE...;
# per ended task with an error (at most 5): ERR SERVICE NAME ERROR...; per
# node of the Swarm: NODE HOSTNAME STATUS.
docker node ls --format 'NODE {{.Hostname}} {{.Status}}' 2>/dev/null
hc_services=$(docker stack services "$HC_PROJECT" --format '{{.Name}}' 2>/dev/null) || exit 0
for hc_s in $hc_services; do
    docker service inspect --format 'SVC {{.Spec.Name}} {{if .UpdateStatus}}{{.UpdateStatus.State}}{{else}}-{{end}} {{if .Spec.Mode.Replicated}}{{.Spec.Mode.Replicated.Replicas}}{{else}}0{{end}} {{.Spec.TaskTemplate.ContainerSpec.Image}}' "$hc_s" || continue
    docker service ps "$hc_s" --no-trunc --filter desired-state=running \
        --format "TASK $hc_s {{.Name}} {{.Node}} {{.Image}} {{.CurrentState}}" 2>/dev/null
    docker service ps "$hc_s" --no-trunc --filter desired-state=shutdown \
        --format "ERR $hc_s {{.Name}} {{.Error}}" 2>/dev/null | grep -E '^ERR [^ ]+ [^ ]+ .' | head -n 5
done
exit 0
