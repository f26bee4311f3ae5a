# Stages a stack's compose file beside the one in use (compose.yml.next):
# it takes effect only in the `up` step. Set before this: DIR.
# Data frame: the compose file.
hc_data TEXT
mkdir -p "$DIR" && chmod 700 "$DIR" || exit 1
printf '%s' "$TEXT" >"$DIR/compose.yml.next.tmp" && mv -f "$DIR/compose.yml.next.tmp" "$DIR/compose.yml.next"
