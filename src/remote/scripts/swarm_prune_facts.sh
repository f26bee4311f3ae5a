# What a manager says about a swarm stack for prune (docs/swarm.md,
# "prune"); reads only. Set before this (remote/steps/swarm_prune.rs):
# HC_PROJECT. Prints NOT-MANAGER on a node that is no manager; else
# MANAGER, HISTORY <json line> (each record), SERVICE NAME (each service of
# the stack) and SPEC IMAGE (the image of each service's spec and previous
# spec).
if [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" != true ]; then
    echo NOT-MANAGER
    exit 0
fi
echo MANAGER
if [ -f "$HOMECTL_STATE/history.jsonl" ]; then
    sed 's/^/HISTORY /' "$HOMECTL_STATE/history.jsonl"
fi
hc_services=$(docker stack services "$HC_PROJECT" --format '{{.Name}}' 2>/dev/null) || exit 0
for hc_s in $hc_services; do
    printf 'SERVICE %s\n' "$hc_s"
    docker service inspect --format 'SPEC {{.Spec.TaskTemplate.ContainerSpec.Image}}
{{if .PreviousSpec}}SPEC {{.PreviousSpec.TaskTemplate.ContainerSpec.Image}}{{end}}' "$hc_s" || exit 1
done
exit 0
