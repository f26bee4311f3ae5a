# Streams the containers' logs (homectl logs). Set before this
# (remote/steps/logs.rs): HC_COMPOSE_CMDS
# (one compose `logs` command line a stack). The logs run in a session of
# their own; when homectl closes the channel (Ctrl-C), stdin ends and the
# whole session is ended, so nothing is left running on the node.
# A background job's stdin is /dev/null: keep the channel's stdin on fd 3.
exec 3<&0
setsid sh -c "$HC_COMPOSE_CMDS" </dev/null 3<&- &
hc_group=$!
( cat <&3 >/dev/null; kill -TERM -"$hc_group" 2>/dev/null ) >/dev/null 2>&1 &
exec 3<&-
wait "$hc_group"
