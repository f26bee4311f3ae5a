# Ends the process that holds the node's lock, if any (homectl unlock;
# remote/steps/unlock.rs).
# Prints FREE, or HOLDER <who> then ENDED.
hc_lock="$HOMECTL_STATE/lock"
free() { [ ! -f "$hc_lock" ] || flock -n "$hc_lock" true; }
if free; then echo FREE; exit 0; fi
hc_holder=$(cat "$HOMECTL_STATE/lock.holder" 2>/dev/null)
echo "HOLDER $hc_holder"
hc_pid=$(printf '%s\n' "$hc_holder" | sed -n 's/.*(pid \([0-9][0-9]*\) on .*/\1/p')
[ -n "$hc_pid" ] || { echo "the holder record names no pid: $hc_holder"; exit 1; }
kill -TERM "$hc_pid" 2>/dev/null
hc_i=0
while [ $hc_i -lt 20 ]; do
    free && { echo ENDED; exit 0; }
    sleep 0.25
    hc_i=$((hc_i + 1))
done
kill -KILL "$hc_pid" 2>/dev/null
sleep 0.5
free && { echo ENDED; exit 0; }
echo "the lock is still held after ending pid $hc_pid"
exit 1
