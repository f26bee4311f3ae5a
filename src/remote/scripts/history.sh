# The node's last history records (homectl history). Set before this
# (remote/steps/history.rs): HC_HISTORY_LINES.
# Prints: HISTORY <json line>
[ -f "$HOMECTL_STATE/history.jsonl" ] && tail -n "$HC_HISTORY_LINES" "$HOMECTL_STATE/history.jsonl" | sed 's/^/HISTORY /'
exit 0
