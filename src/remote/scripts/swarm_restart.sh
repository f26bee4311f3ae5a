# Restarts services of a swarm stack in place (on a manager): `docker
# service update --force` makes Swarm replace every task with the same spec
# (no new image, update_config's order and rollback apply). Set before
# this (remote/steps/swarm_restart.rs): HC_PROJECT, HC_SERVICES (names
# within the stack, one a line).
for hc_s in $HC_SERVICES; do
    docker service update --force --detach "${HC_PROJECT}_$hc_s" >/dev/null || exit 1
done
