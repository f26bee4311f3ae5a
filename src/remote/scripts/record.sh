# Appends one record (a JSON line, no secrets) to the node's history.
hc_data RECORD
printf '%s\n' "$RECORD" >>"$HOMECTL_STATE/history.jsonl" && chmod 600 "$HOMECTL_STATE/history.jsonl"
