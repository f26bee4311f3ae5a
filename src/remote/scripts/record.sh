# Appends one record (a JSON line, no secrets) to the node's history.
hc_data HC_RECORD
printf '%s\n' "$HC_RECORD" >>"$HOMECTL_STATE/history.jsonl" && chmod 600 "$HOMECTL_STATE/history.jsonl"
