# Whether a stack that the inventory does not assign to the node runs there
# and is homectl's (homectl down NODE stack:S, docs/operations.md
# "Strays"). Set before this (remote/steps/stray.rs): HC_PROJECT.
# Prints: CONTAINERS N   (the project's containers, in any state)
#         HISTORY <json line>
hc_ids=$(docker ps -aq --filter "label=com.docker.compose.project=$HC_PROJECT") || exit 1
# shellcheck disable=SC2086 # container ids, one a word
set -- $hc_ids
echo "CONTAINERS $#"
if [ -f "$HOMECTL_STATE/history.jsonl" ]; then
    tail -n 1000 "$HOMECTL_STATE/history.jsonl" | sed 's/^/HISTORY /'
fi
exit 0
