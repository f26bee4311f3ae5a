# Waits until every service in WAIT runs, and is healthy where it has a
# health check, then until URL (if set) answers; fails at once on an
# unhealthy container, else after HC_TIMEOUT seconds. Set before this
# (remote/steps/health.rs): HC_PROJECT, HC_WAIT (services, one a line),
# HC_URL, HC_TIMEOUT, HC_REPORT (services whose images to print, one a line).
# Prints: IMAGE SERVICE IMAGE_ID REPO_DIGESTS CONFIG_HASH for each service in REPORT.
hc_deadline=$(( $(date +%s) + HC_TIMEOUT ))
while :; do
    hc_states=$(docker ps -a --filter "label=com.docker.compose.project=$HC_PROJECT" \
        --format '{{.Label "com.docker.compose.service"}} {{.State}} {{.Status}}') || exit 1
    hc_pending='' hc_broken=''
    for hc_service in $HC_WAIT; do
        hc_line=$(printf '%s\n' "$hc_states" | awk -v s="$hc_service" '$1 == s' | head -n 1)
        case $hc_line in
            "") hc_pending="$hc_pending $hc_service(missing)" ;;
            *"(unhealthy)"*) hc_broken="$hc_broken $hc_service(unhealthy)" ;;
            *" running "*"(health: starting)"*) hc_pending="$hc_pending $hc_service(starting)" ;;
            *" running "*) ;;
            *" restarting "* | *" created "*) hc_pending="$hc_pending $hc_service(starting)" ;;
            *) hc_broken="$hc_broken $hc_service($(printf '%s' "$hc_line" | cut -d' ' -f2))" ;;
        esac
    done
    if [ -n "$hc_broken" ]; then echo "not healthy:$hc_broken"; exit 1; fi
    [ -n "$hc_pending" ] || break
    if [ "$(date +%s)" -ge "$hc_deadline" ]; then echo "not healthy within ${HC_TIMEOUT}s:$hc_pending"; exit 1; fi
    sleep 0.5
done
if [ -n "$HC_URL" ]; then
    while :; do
        hc_http_ok "$HC_URL" && break
        if [ "$(date +%s)" -ge "$hc_deadline" ]; then echo "$HC_URL did not answer within ${HC_TIMEOUT}s"; exit 1; fi
        sleep 0.5
    done
fi
for hc_service in $HC_REPORT; do
    hc_id=$(docker ps -q --filter "label=com.docker.compose.project=$HC_PROJECT" --filter "label=com.docker.compose.service=$hc_service" | head -n 1)
    [ -n "$hc_id" ] || continue
    # shellcheck disable=SC2046 # the two words of the format: image id and config hash
    set -- $(docker inspect --format '{{.Image}} {{with index .Config.Labels "com.docker.compose.config-hash"}}{{.}}{{else}}-{{end}}' "$hc_id") || exit 1
    printf 'IMAGE %s %s %s %s\n' "$hc_service" "$1" "$(docker image inspect --format '{{join .RepoDigests ","}}' "$1")" "$2"
done
