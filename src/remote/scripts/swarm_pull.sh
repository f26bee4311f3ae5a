# Logs in with a throw-away Docker config on a tmpfs, pulls the images of a
# swarm stack (by tag on the first node, by digest on the others) and drops
# the config whatever happens. Set before this: HC_SERVER, HC_USERNAME,
# HC_REFS (references, one a line), the password read by the caller into
# HC_PASSWORD (remote/steps/swarm_pull.rs).
# Prints: DIGEST REF REPO@DIGEST for each reference.
trap 'hc_drop_docker_config' EXIT INT TERM
hc_registry_login || exit 1
hc_pids=
for hc_ref in $HC_REFS; do
    DOCKER_CONFIG=$HC_DOCKER_CONFIG docker pull -q "$hc_ref" >/dev/null &
    hc_pids="$hc_pids $!"
done
hc_failed=0
for hc_pid in $hc_pids; do wait "$hc_pid" || hc_failed=1; done
hc_drop_docker_config
[ "$hc_failed" = 0 ] || { echo "docker pull failed"; exit 1; }
for hc_ref in $HC_REFS; do
    # The repository: the reference without @digest, or without a :tag
    # after its last `/` (a registry's :port stays).
    case $hc_ref in
        *@*) hc_repo=${hc_ref%@*} ;;
        *) case ${hc_ref##*/} in *:*) hc_repo=${hc_ref%:*} ;; *) hc_repo=$hc_ref ;; esac ;;
    esac
    hc_digest=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$hc_ref" | grep -F "$hc_repo@" | head -n 1)
    [ -n "$hc_digest" ] || { echo "no digest of $hc_repo after the pull of $hc_ref"; exit 1; }
    printf 'DIGEST %s %s\n' "$hc_ref" "$hc_digest"
done
