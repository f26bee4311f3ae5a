# homectl's remote shell: one per node and command, started over SSH as
#   sh -c BOOTSTRAP homectl NONCE MODE WHO STATE_DIR...
# where BOOTSTRAP reads this code from stdin first (see remote_shell.rs).
# It picks the node's state folder, takes the node's lock (MODE=lock), then
# runs the steps homectl sends on stdin, one after another. Everything on
# stdin is a frame: a line "KIND LENGTH" and LENGTH bytes. A step's script
# reads its data frames (file contents, secret values) from stdin itself,
# so values never appear in any argv and never touch the node's disk.
#
# The lock is an flock held by this shell: it ends when this shell ends,
# which is when stdin closes (homectl finished, died, or lost the network)
# and the step in flight is done. No lock file ever goes stale.
set -u
trap '' HUP PIPE            # a vanished client must not kill a step halfway
hc_nonce=$1 hc_mode=$2 hc_who=$3
shift 3
hc_mark="@@homectl-$hc_nonce"

# hc_frame and hc_data (reading frames) are in scripts/frames.sh, sent in
# front of this file.

# The first folder that can be created and written is the state folder.
hc_state=
for hc_dir in "$@"; do
    # shellcheck disable=SC2088 # a literal "~/" from homectl, expanded here
    case $hc_dir in "~/"*) hc_dir=$HOME/${hc_dir#"~/"} ;; esac
    if mkdir -p "$hc_dir" 2>/dev/null && chmod 700 "$hc_dir" 2>/dev/null && [ -w "$hc_dir" ]; then
        hc_state=$hc_dir
        break
    fi
done
if [ -z "$hc_state" ]; then
    printf '%s-nostate %s\n' "$hc_mark" "$*"
    exit 3
fi
umask 077

# hc_frame counts bytes with wc (dd read this very code: it is there).
if ! command -v wc >/dev/null 2>&1; then
    printf '%s-error wc not found on the node (coreutils or busybox provides it)\n' "$hc_mark"
    exit 4
fi

if [ "$hc_mode" = lock ]; then
    if ! command -v flock >/dev/null 2>&1; then
        printf '%s-error flock not found on the node (util-linux or busybox provides it)\n' "$hc_mark"
        exit 4
    fi
    exec 9>>"$hc_state/lock"
    chmod 600 "$hc_state/lock" 2>/dev/null   # private even if made by someone else
    if ! flock -n 9; then
        printf '%s-locked %s\n' "$hc_mark" "$(cat "$hc_state/lock.holder" 2>/dev/null || echo unknown)"
        exit 75
    fi
    printf '%s (pid %s on %s) since %s\n' "$hc_who" "$$" "$(hostname 2>/dev/null || echo node)" \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$hc_state/lock.holder"
fi
printf '%s-ready %s\n' "$hc_mark" "$hc_state"

export HOMECTL_STATE="$hc_state"
# shellcheck disable=SC2154 # hc_kind and hc_payload are set by hc_frame (scripts/frames.sh)
while hc_frame; do
    [ "$hc_kind" = step ] || { echo "homectl: expected a step frame" >&2; exit 70; }
    # The step's output goes through a relay that keeps reading even when the
    # client is gone, so the step itself never sees a broken pipe.
    # Neither the step nor the relay holds the lock's descriptor: if this
    # shell is ended (`homectl unlock`), the lock is free at once.
    { (eval "$hc_payload"); printf '\n%s-rc %s\n' "$hc_mark" "$?"; } 9>&- 2>&1 | { cat || cat >/dev/null; } 9>&-
done
