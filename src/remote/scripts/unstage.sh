# Removes what a prepared deploy staged beside the stacks' files, when the
# deploy goes no further (a failure on another node, Ctrl-C). Set before
# this (remote/steps/unstage.rs): HC_STACKS (one a line).
for hc_stack in $HC_STACKS; do
    rm -f "$HOMECTL_STATE/stacks/$hc_stack/compose.yml.next"
done
