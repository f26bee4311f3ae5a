# `docker stack deploy` of a swarm stack on a manager: the compose file (a
# data frame, every image pinned by digest) is kept in the state folder;
# env and secrets are in this process's environment (exported by the
# caller from data frames), never in an argv or a file. No
# --with-registry-auth: the Swarm stores no registry credentials; every
# node pulled the images beforehand, so --resolve-image never.
# Set before this: HC_PROJECT. Data frame: HC_COMPOSE_TEXT.
hc_data HC_COMPOSE_TEXT
hc_dir="$HOMECTL_STATE/swarm"
mkdir -p "$hc_dir" || exit 1
hc_file="$hc_dir/$HC_PROJECT.yml"
printf '%s' "$HC_COMPOSE_TEXT" >"$hc_file.new" && mv -f "$hc_file.new" "$hc_file" || exit 1
docker stack deploy --resolve-image never -c "$hc_file" "$HC_PROJECT" 2>&1
