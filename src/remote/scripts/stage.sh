# Stages a stack's compose file beside the one in use (compose.yml.next):
# it takes effect only in the `up` step. Set before this: HC_DIR.
# Data frame: the compose file.
hc_data HC_TEXT
mkdir -p "$HC_DIR" && chmod 700 "$HC_DIR" || exit 1
printf '%s' "$HC_TEXT" >"$HC_DIR/compose.yml.next.tmp" && mv -f "$HC_DIR/compose.yml.next.tmp" "$HC_DIR/compose.yml.next"
