# Runs a one-off command (homectl exec, run) with the channel's stdout and
# stderr as its own and its exit code as the channel's. Set before this
# (remote/steps/one_off.rs):
# HC_ONE_OFF (shell code: the command, its arguments in "$@", variables it
# needs exported), HC_CLEANUP (shell code or empty), the positional parameters.
# The command runs in a session of its own, its stdin /dev/null. When
# homectl closes the channel's stdin before the command ends (Ctrl-C), the
# session is ended and HC_CLEANUP runs, so nothing keeps running on the node.
exec 3<&0
setsid sh -c "$HC_ONE_OFF" homectl-one-off "$@" </dev/null 3<&- &
hc_group=$!
( cat <&3 >/dev/null; kill -TERM -"$hc_group" 2>/dev/null; eval "$HC_CLEANUP" ) >/dev/null 2>&1 &
hc_watcher=$!
exec 3<&-
wait "$hc_group"
hc_rc=$?
# Ended on its own: the watcher has nothing to end (its `cat` stays until
# homectl closes stdin, which it does next).
kill "$hc_watcher" 2>/dev/null
exit "$hc_rc"
