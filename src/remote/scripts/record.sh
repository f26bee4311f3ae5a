# Appends one record (a JSON line, no secrets) to the node's history.
# Read before this (remote/steps/record.rs), from a data frame: HC_RECORD.
hc_history="$HOMECTL_STATE/history.jsonl"
# A line cut short earlier (a full disk) must not swallow this record.
if [ -s "$hc_history" ] && [ -n "$(tail -c 1 "$hc_history")" ]; then
    printf '\n' >>"$hc_history"
fi
printf '%s\n' "$HC_RECORD" >>"$hc_history" && chmod 600 "$hc_history"
