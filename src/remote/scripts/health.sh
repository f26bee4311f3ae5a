# Waits until every service in WAIT runs, and is healthy where it has a
# health check, then until URL (if set) answers; fails at once on an
# unhealthy container, else after TIMEOUT seconds. Set before this:
# PROJECT, WAIT, URL, TIMEOUT, REPORT (services whose images to print).
# Prints: IMAGE SERVICE IMAGE_ID REPO_DIGESTS CONFIG_HASH for each service in REPORT.
deadline=$(( $(date +%s) + TIMEOUT ))
while :; do
    states=$(docker ps -a --filter "label=com.docker.compose.project=$PROJECT" \
        --format '{{.Label "com.docker.compose.service"}} {{.State}} {{.Status}}') || exit 1
    pending= broken=
    for service in $WAIT; do
        line=$(printf '%s\n' "$states" | awk -v s="$service" '$1 == s' | head -n 1)
        case $line in
            "") pending="$pending $service(missing)" ;;
            *"(unhealthy)"*) broken="$broken $service(unhealthy)" ;;
            *" running "*"(health: starting)"*) pending="$pending $service(starting)" ;;
            *" running "*) ;;
            *" restarting "* | *" created "*) pending="$pending $service(starting)" ;;
            *) broken="$broken $service($(printf '%s' "$line" | cut -d' ' -f2))" ;;
        esac
    done
    if [ -n "$broken" ]; then echo "not healthy:$broken"; exit 1; fi
    [ -n "$pending" ] || break
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "not healthy within ${TIMEOUT}s:$pending"; exit 1; fi
    sleep 0.5
done
if [ -n "$URL" ]; then
    while :; do
        hc_http_ok "$URL" && break
        if [ "$(date +%s)" -ge "$deadline" ]; then echo "$URL did not answer within ${TIMEOUT}s"; exit 1; fi
        sleep 0.5
    done
fi
for service in $REPORT; do
    id=$(docker ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$service" | head -n 1)
    [ -n "$id" ] || continue
    set -- $(docker inspect --format '{{.Image}} {{with index .Config.Labels "com.docker.compose.config-hash"}}{{.}}{{else}}-{{end}}' "$id") || exit 1
    printf 'IMAGE %s %s %s %s\n' "$service" "$1" "$(docker image inspect --format '{{join .RepoDigests ","}}' "$1")" "$2"
done
