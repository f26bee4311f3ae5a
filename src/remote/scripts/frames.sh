# The frames of homectl's stdin (docs/architecture.md, "The remote shell"):
# a line "KIND LENGTH", then exactly LENGTH bytes. Sent in front of
# holder.sh, and of a one-off command's script (remote/steps/one_off.rs).

# Reads one frame into hc_kind and hc_payload (byte-exact, newlines kept).
# Exactly LENGTH bytes are taken from stdin and not one more: `read` takes
# a byte at a time, and so does dd with an input block of 1 byte (ibs=1);
# `head -c` may read ahead and lose what follows (docs/architecture.md,
# "The remote shell"). A frame cut short by the end of stdin is refused.
hc_frame() {
    IFS=' ' read -r hc_kind hc_len || return 1
    case $hc_len in
        '' | *[!0-9]* | ??????????*) echo "homectl: bad frame header" >&2; return 1 ;;
    esac
    hc_payload=
    [ "$hc_len" -gt 0 ] || return 0
    hc_payload=$(dd ibs=1 obs=65536 count="$hc_len" 2>/dev/null; printf x) || return 1
    hc_payload=${hc_payload%x}
    [ "$(($(printf %s "$hc_payload" | wc -c)))" -eq "$hc_len" ] ||
        { echo "homectl: a frame was cut short" >&2; return 1; }
}

# For steps: hc_data VAR reads the next data frame into VAR.
hc_data() {
    if ! hc_frame || [ "$hc_kind" != data ]; then
        echo "homectl: expected a data frame" >&2
        exit 70
    fi
    eval "$1=\$hc_payload"
}
