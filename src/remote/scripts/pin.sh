# Brings back images by id for a rollback: an image still on the node is
# tagged again; one that is gone is pulled by digest first (a tag pushed
# again cannot change what comes back). Set before this: HC_SERVER, HC_USERNAME,
# HC_PINS ("IMAGE_ID DIGEST_REF LOCAL_REF" triples). Data frame: the registry
# password (read by the caller).
trap 'hc_drop_docker_config' EXIT INT TERM
# shellcheck disable=SC2086 # triples of words
set -- $HC_PINS
while [ $# -ge 3 ]; do
    hc_id=$1 hc_digest=$2 hc_ref=$3
    shift 3
    if ! docker image inspect "$hc_id" >/dev/null 2>&1; then
        if [ -z "${HC_DOCKER_CONFIG:-}" ]; then
            hc_tmpfs_docker_config || { echo "$HC_WHY"; exit 1; }
            if ! hc_out=$(hc_login "$HC_SERVER" "$HC_USERNAME" "$HC_PASSWORD"); then
                echo "registry login to $HC_SERVER as $HC_USERNAME failed: $hc_out"
                exit 1
            fi
        fi
        [ "$hc_digest" != - ] || { echo "image $hc_id is gone from the node and no digest was recorded"; exit 1; }
        DOCKER_CONFIG=$HC_DOCKER_CONFIG docker pull -q "$hc_digest" >/dev/null || exit 1
    fi
    docker tag "$hc_id" "$hc_ref" || exit 1
    printf 'IMAGE %s %s\n' "$hc_ref" "$hc_id"
done
