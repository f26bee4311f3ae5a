# Stages version HC_VERSION of a stack's folder beside the one in use
# (.homectl/versions/VERSION/ in the stack's folder on the node): it is
# put in use only by the up step. Only what the version in use does not
# have travels: a file of the same path and content is copied from it.
# Set before this (remote/steps/stage.rs): HC_DIR, HC_VERSION, HC_INUSE (the
# version in use, or empty), HC_COMPOSE_FILES (the compose file and its
# override, by name, one a line),
# HC_PLAN (lines "SOURCE SHA256 MODE PATH": SOURCE "-" for a file that
# follows as a data frame, base64, "=" to copy it from the version in use;
# MODE 1 for an executable file).
# Data frames: the files marked "-", in order.
umask 022
hc_meta="$HC_DIR/.homectl"
hc_vdir="$hc_meta/versions/$HC_VERSION"
mkdir -p "$hc_meta/versions" || exit 1
[ -f "$hc_vdir/.manifest" ] && exit 0
hc_tmp="$hc_meta/versions/.staging.$$"
rm -rf "$hc_tmp"
mkdir -p "$hc_tmp" || exit 1
: >"$hc_tmp/.manifest"
: >"$hc_tmp/.paths"
hc_nl='
'
hc_ifs=$IFS
set -f
IFS=$hc_nl
for hc_line in $HC_PLAN; do
    IFS=$hc_ifs
    hc_src=${hc_line%% *} hc_rest=${hc_line#* }
    hc_sha=${hc_rest%% *} hc_rest=${hc_rest#* }
    hc_mode=${hc_rest%% *} hc_path=${hc_rest#* }
    hc_file="$hc_tmp/$hc_path"
    mkdir -p "$(dirname "$hc_file")" || exit 1
    if [ "$hc_src" = "=" ]; then
        cp "$hc_meta/versions/$HC_INUSE/$hc_path" "$hc_file" || exit 1
    else
        hc_data hc_b64
        # shellcheck disable=SC2154 # hc_b64 is set by hc_data
        printf '%s' "$hc_b64" | base64 -d >"$hc_file" || { echo "cannot decode $hc_path"; exit 1; }
    fi
    [ "$(sha256sum <"$hc_file" | cut -d' ' -f1)" = "$hc_sha" ] || { echo "$hc_path arrived damaged"; exit 1; }
    if [ "$hc_mode" = 1 ]; then chmod 755 "$hc_file"; else chmod 644 "$hc_file"; fi
    printf '%s %s %s\n' "$hc_sha" "$hc_mode" "$hc_path" >>"$hc_tmp/.manifest"
    printf '%s\n' "$hc_path" >>"$hc_tmp/.paths"
    IFS=$hc_nl
done
IFS=$hc_ifs
set +f
printf '%s\n' "$HC_COMPOSE_FILES" >"$hc_tmp/.compose"
mv "$hc_tmp" "$hc_vdir" || exit 1
