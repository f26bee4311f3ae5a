# The frames of homectl's stdin (docs/architecture.md, "The remote shell"):
# a line "KIND LENGTH", then exactly LENGTH bytes. Sent in front of
# holder.sh, and of a one-off command's script (remote/one_off.rs).

# Reads one frame into hc_kind and hc_payload (byte-exact, newlines kept).
hc_frame() {
    IFS=' ' read -r hc_kind hc_len || return 1
    hc_payload=$(head -c "$hc_len"; printf x) || return 1
    hc_payload=${hc_payload%x}
}

# For steps: hc_data VAR reads the next data frame into VAR.
hc_data() {
    if ! hc_frame || [ "$hc_kind" != data ]; then echo "homectl: expected a data frame" >&2; exit 70; fi
    eval "$1=\$hc_payload"
}
