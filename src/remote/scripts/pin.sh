# Brings back images by id for a rollback: an image still on the node is
# tagged again; one that is gone is pulled by digest first (a tag pushed
# again cannot change what comes back). Set before this (remote/steps/pin.rs):
# HC_SERVER, HC_USERNAME, HC_PASSWORD (a data frame), HC_PINS ("IMAGE_ID
# DIGEST_REF LOCAL_REF", one a line).
trap 'hc_drop_docker_config' EXIT INT TERM
# shellcheck disable=SC2086 # the triples' words (ids and references have no blanks)
set -- $HC_PINS
while [ $# -ge 3 ]; do
    hc_id=$1 hc_digest=$2 hc_ref=$3
    shift 3
    if ! docker image inspect "$hc_id" >/dev/null 2>&1; then
        if [ -z "${HC_DOCKER_CONFIG:-}" ]; then
            hc_registry_login || exit 1
        fi
        [ "$hc_digest" != - ] || { echo "image $hc_id is gone from the node and no digest was recorded"; exit 1; }
        DOCKER_CONFIG=$HC_DOCKER_CONFIG docker pull -q "$hc_digest" >/dev/null || exit 1
    fi
    docker tag "$hc_id" "$hc_ref" || exit 1
done
