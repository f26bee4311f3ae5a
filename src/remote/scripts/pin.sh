# Brings back images by id for a rollback: an image still on the node is
# tagged again; one that is gone is pulled by digest first (a tag pushed
# again cannot change what comes back). Set before this: SERVER, USERNAME,
# PINS ("IMAGE_ID DIGEST_REF LOCAL_REF" triples). Data frame: the registry
# password (read by the caller).
trap 'hc_drop_docker_config' EXIT INT TERM
set -- $PINS
while [ $# -ge 3 ]; do
    id=$1 digest=$2 ref=$3
    shift 3
    if ! docker image inspect "$id" >/dev/null 2>&1; then
        if [ -z "${HC_DOCKER_CONFIG:-}" ]; then
            hc_tmpfs_docker_config || { echo "$HC_WHY"; exit 1; }
            out=$(hc_login "$SERVER" "$USERNAME" "$PASSWORD") && [ -s "$HC_DOCKER_CONFIG/config.json" ] ||
                { echo "registry login to $SERVER as $USERNAME failed: $out"; exit 1; }
        fi
        [ "$digest" != - ] || { echo "image $id is gone from the node and no digest was recorded"; exit 1; }
        DOCKER_CONFIG=$HC_DOCKER_CONFIG docker pull -q "$digest" >/dev/null || exit 1
    fi
    docker tag "$id" "$ref" || exit 1
    printf 'IMAGE %s %s\n' "$ref" "$id"
done
