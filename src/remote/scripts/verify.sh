# A redeploy that looks like it changes nothing: pulls the image references
# that run (with a throw-away Docker config on a tmpfs, as pull.sh) and
# prints what each names now, so that a tag pushed again with new content
# is told apart. Quicker than a Compose pull: no Compose start.
# Then asks the stack's health URL once, if it has one: a stack whose
# containers run but whose URL does not answer is not "unchanged".
# Set before this (remote/steps/verify.rs): HC_SERVER, HC_USERNAME, HC_PASSWORD
# (a data frame), HC_REFS (one a line), HC_URL.
# Prints: REF REFERENCE IMAGE_ID for each reference, then URL ok|fail if URL is set.
trap 'hc_drop_docker_config' EXIT INT TERM
hc_registry_login || exit 1
for hc_ref in $HC_REFS; do
    DOCKER_CONFIG=$HC_DOCKER_CONFIG docker pull -q "$hc_ref" >/dev/null || exit 1
done
hc_drop_docker_config
for hc_ref in $HC_REFS; do
    printf 'REF %s %s\n' "$hc_ref" "$(docker image inspect --format '{{.Id}}' "$hc_ref")" || exit 1
done
if [ -n "$HC_URL" ]; then
    if hc_http_ok "$HC_URL"; then echo "URL ok"; else echo "URL fail"; fi
fi
