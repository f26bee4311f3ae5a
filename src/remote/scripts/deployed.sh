# Whether a stack is deployed on the node: its folder has a version in use,
# or a compose file from before versions (homectl run). Set before this
# (remote/steps/deployed.rs): HC_STACK.
# Prints: DEPLOYED or ABSENT
hc_d="$HOMECTL_STATE/stacks/$HC_STACK"
if [ -f "$hc_d/.homectl/in-use" ] || [ -f "$hc_d/compose.yml" ]; then echo DEPLOYED; else echo ABSENT; fi
