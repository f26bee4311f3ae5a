# The compose file the last deploy of a swarm stack gave `docker stack
# deploy` on this manager (homectl plan, docs/swarm.md), read-only. Set
# before this (remote/steps/swarm_deployed.rs): HC_PROJECT.
# Prints: DEPLOYED, then FILE LINE for each of its lines, if there is one.
hc_file="$HOMECTL_STATE/swarm/$HC_PROJECT/compose.yml"
[ -f "$hc_file" ] || exit 0
echo DEPLOYED
sed 's/^/FILE /' "$hc_file"
