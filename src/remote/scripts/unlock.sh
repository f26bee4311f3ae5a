# Ends the process that holds the node's lock, if any (homectl unlock).
# Prints FREE, or HOLDER <who> then ENDED.
lock="$HOMECTL_STATE/lock"
free() { [ ! -f "$lock" ] || flock -n "$lock" true; }
if free; then echo FREE; exit 0; fi
holder=$(cat "$HOMECTL_STATE/lock.holder" 2>/dev/null)
echo "HOLDER $holder"
pid=$(printf '%s\n' "$holder" | sed -n 's/.*(pid \([0-9][0-9]*\) on .*/\1/p')
[ -n "$pid" ] || { echo "the holder record names no pid: $holder"; exit 1; }
kill -TERM "$pid" 2>/dev/null
i=0
while [ $i -lt 20 ]; do
    free && { echo ENDED; exit 0; }
    sleep 0.25
    i=$((i + 1))
done
kill -KILL "$pid" 2>/dev/null
sleep 0.5
free && { echo ENDED; exit 0; }
echo "the lock is still held after ending pid $pid"
exit 1
