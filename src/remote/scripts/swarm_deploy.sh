# `docker stack deploy` of a swarm stack on a manager: the compose file (a
# data frame, every image pinned by digest) is kept in the state folder;
# env and secrets are in this process's environment (exported by the
# caller from data frames), never in an argv or a file. No
# --with-registry-auth: the Swarm stores no registry credentials; every
# node pulled the images beforehand, so --resolve-image never.
# The files `configs:` entries read are written beside it (base64 data
# frames: a path, then its content), so `file: ./PATH` resolves there.
# Set before this (remote/steps/swarm_deploy.rs): HC_PROJECT, HC_CONFIGS
# (how many files), HC_COMPOSE_TEXT (read from its data frame). Data
# frames read here: a path and a content per file.
hc_dir="$HOMECTL_STATE/swarm/$HC_PROJECT"
mkdir -p "$hc_dir" || exit 1
hc_file="$hc_dir/compose.yml"
printf '%s' "$HC_COMPOSE_TEXT" >"$hc_file.new" && mv -f "$hc_file.new" "$hc_file" || exit 1
hc_write_configs "$hc_dir" "$HC_CONFIGS" || exit 1
docker stack deploy --resolve-image never -c "$hc_file" "$HC_PROJECT" 2>&1
