# Preflight checks on one node. Set before this (remote/steps/preflight.rs): HC_SERVER, HC_USERNAME,
# HC_PROBE (1 if a stack probes a url), HC_REFS (image references, one a line),
# HC_STACKS (compose project names, one a line), per stack N (from 1)
# HC_PF_COMPOSE_N (its compose file and override, by name) and, if its
# files are not sent, HC_PF_UNSENT_N (why), HC_PF_FILES (lines "N PATH": the
# stacks' shipped files, one data frame each, base64), and what the stacks
# need on the node, one "PROJECT<tab>WHAT"
# a line: HC_BINDS (absolute bind-mount sources), HC_DEVICES (devices' host
# paths), HC_NETWORKS and HC_VOLUMES (external ones, by their name on the
# node), and HC_DISK (1: check the free disk of Docker's data root).
# Data frames: HC_PASSWORD (read by the line in front, see
# remote/steps/preflight.rs), then each file of HC_PF_FILES.
# Prints one line a check: CHECK NAME ok|fail DETAIL.
#
# Cheap on purpose: preflight runs on every node at once, and the nodes'
# CPU may be shared. One `docker info` answers for the engine, its data root, the
# registries it treats as insecure and the Compose v2 plugin; Compose v1's
# version comes from dpkg when the package owns it (v1 is a Python program:
# each start costs up to a second of CPU, so it starts once, to validate);
# the stack files are validated while the registry is checked, each stack in
# its shipped form: its folder in a temporary folder under the state dir
# (removed after), Compose run there as the up step runs it, so relative
# paths (`env_file:`, `.env`) resolve as on a deploy.

check() { printf 'CHECK %s %s %s\n' "$1" "$2" "$3"; }
first_line() { printf '%s\n' "$1" | grep -v '^[[:space:]]*$' | tail -n 1; }

# Read every data frame first: the remote shell expects none left over
# (HC_PASSWORD is read before this, remote/steps/preflight.rs). The files
# go into the temporary folder (left over from an interrupted preflight
# whose session is gone: removed).
for hc_pf_old in "$HOMECTL_STATE"/.preflight.*; do
    [ -d "$hc_pf_old" ] && ! kill -0 "${hc_pf_old##*.}" 2>/dev/null && rm -rf "$hc_pf_old"
done
hc_pf_tmp="$HOMECTL_STATE/.preflight.$$"
trap 'rm -rf "$hc_pf_tmp"' EXIT
trap 'exit 130' INT TERM
rm -rf "$hc_pf_tmp"
hc_pf_unwritten=''
(umask 077 && mkdir -p "$hc_pf_tmp") || hc_pf_unwritten="cannot create $hc_pf_tmp"
hc_nl='
'
hc_ifs=$IFS
set -f
IFS=$hc_nl
for hc_line in $HC_PF_FILES; do
    IFS=$hc_ifs
    hc_data hc_b64
    hc_file="$hc_pf_tmp/${hc_line%% *}/${hc_line#* }"
    [ -n "$hc_pf_unwritten" ] && continue
    # shellcheck disable=SC2154 # hc_b64 is set by hc_data
    { mkdir -p "$(dirname "$hc_file")" && printf '%s' "$hc_b64" | base64 -d >"$hc_file"; } \
        || hc_pf_unwritten="cannot write ${hc_line#* } into $hc_pf_tmp"
    IFS=$hc_nl
done
IFS=$hc_ifs
set +f

# Compose v1's version without starting it: the Debian/Ubuntu package's
# version when the package owns this docker-compose ("1:1.29.2-3" ->
# "1.29.2"). Prints nothing and returns 1 otherwise.
pf_v1_version_from_dpkg() { # PATH_OF_DOCKER_COMPOSE
    command -v dpkg-query >/dev/null 2>&1 || return 1
    hc_pf_real=$(readlink -f "$1" 2>/dev/null) || hc_pf_real=$1
    dpkg-query -L docker-compose 2>/dev/null | grep -qx -e "$1" -e "$hc_pf_real" || return 1
    hc_pf_v=$(dpkg-query -W -f='${db:Status-Abbrev}|${Version}' docker-compose 2>/dev/null) || return 1
    case $hc_pf_v in "ii |"*) hc_pf_v=${hc_pf_v#"ii |"} ;; *) return 1 ;; esac
    hc_pf_v=${hc_pf_v#*:}                                  # epoch
    case $hc_pf_v in *-*) hc_pf_v=${hc_pf_v%-*} ;; esac       # Debian revision
    hc_pf_v=${hc_pf_v%%[+~]*}                              # +dfsg, ~bpo
    [ -n "$hc_pf_v" ] && printf '%s\n' "$hc_pf_v"
}

# Like lib.sh's hc_find_compose (v2 if present, else v1; sets COMPOSE,
# COMPOSE_MAJOR, COMPOSE_VERSION), from what `docker info` already told.
pf_find_compose() {
    if [ -n "$hc_pf_info" ]; then
        if [ -n "$hc_pf_plugin_version" ]; then
            HC_COMPOSE="docker compose" HC_COMPOSE_MAJOR=2 HC_COMPOSE_VERSION=${hc_pf_plugin_version#v}
            return 0
        fi
    elif HC_COMPOSE_VERSION=$(docker compose version --short 2>/dev/null) && [ -n "$HC_COMPOSE_VERSION" ]; then
        HC_COMPOSE="docker compose" HC_COMPOSE_MAJOR=2
        return 0
    fi
    hc_pf_v1=$(command -v docker-compose 2>/dev/null) || return 1
    hc_pf_v1_run=$(HC_COMPOSE=docker-compose; hc_compose_command; printf '%s' "$HC_COMPOSE")
    if HC_COMPOSE_VERSION=$(pf_v1_version_from_dpkg "$hc_pf_v1") \
        || { HC_COMPOSE_VERSION=$($hc_pf_v1_run version --short 2>/dev/null) && [ -n "$HC_COMPOSE_VERSION" ]; }; then
        HC_COMPOSE=docker-compose HC_COMPOSE_MAJOR=1
    else
        return 1
    fi
}

# TEXT with every PREFIX taken out (the temporary folder, in what Compose
# says of a file in it: the path in the stack folder is what matters).
pf_rebase() { # TEXT PREFIX
    hc_r='' hc_t=$1
    while :; do
        case $hc_t in
            *"$2"*) hc_r="$hc_r${hc_t%%"$2"*}" hc_t=${hc_t#*"$2"} ;;
            *) break ;;
        esac
    done
    printf '%s' "$hc_r$hc_t"
}

# Validates each stack in its shipped form; prints the stack check.
pf_validate() {
    hc_bad='' hc_i=0
    for hc_project in $HC_STACKS; do
        hc_i=$((hc_i + 1))
        eval "hc_unsent=\${HC_PF_UNSENT_$hc_i:-} hc_names=\$HC_PF_COMPOSE_$hc_i"
        # shellcheck disable=SC2154 # hc_unsent and hc_names are set by the eval above
        if [ -n "$hc_unsent$hc_pf_unwritten" ]; then
            hc_bad="$hc_bad $hc_project: not validated: ${hc_unsent:-$hc_pf_unwritten};"
            continue
        fi
        hc_files=''
        # shellcheck disable=SC2154 # set by the eval above
        for hc_f in $hc_names; do hc_files="$hc_files -f $hc_f"; done
        # shellcheck disable=SC2086 # the validator may be a command with arguments; files are "-f NAME" words
        if ! hc_out=$(cd "$hc_pf_tmp/$hc_i" && $hc_pf_validator -p "$hc_project" $hc_files config -q 2>&1); then
            hc_bad="$hc_bad $hc_project: $(pf_rebase "$(first_line "$hc_out")" "$hc_pf_tmp/$hc_i/");"
        fi
    done
    if [ -z "$hc_bad" ]; then check stack ok "compose files valid"
    else check stack fail "${hc_bad# }"
    fi
}

# One `docker info`: engine version | Docker's data root | insecure
# registries | Compose v2 plugin's version and path (empty if it has none
# or it is broken).
hc_pf_info='' hc_pf_root='' hc_pf_insecure='' hc_pf_plugin_version='' hc_pf_plugin_path=''
if hc_pf_out=$(docker info --format '{{.ServerVersion}}|{{.DockerRootDir}}|{{range $k, $hc_v := .RegistryConfig.IndexConfigs}}{{if not $hc_v.Secure}}{{$k}} {{end}}{{end}}|{{range .ClientInfo.Plugins}}{{if and (eq .Name "compose") (not .Err)}}{{.Version}}|{{.Path}}{{end}}{{end}}' 2>/dev/null) \
    && [ -n "${hc_pf_out%%|*}" ]; then
    hc_pf_info=1
    hc_v=${hc_pf_out%%|*}
    hc_pf_rest=${hc_pf_out#*|}
    hc_pf_root=${hc_pf_rest%%|*}
    hc_pf_rest=${hc_pf_rest#*|}
    hc_pf_insecure=${hc_pf_rest%%|*}
    hc_pf_rest=${hc_pf_rest#*|}
    case $hc_pf_rest in
        ?*"|"?*) hc_pf_plugin_version=${hc_pf_rest%%|*} hc_pf_plugin_path=${hc_pf_rest#*|} ;;
    esac
    check docker ok "engine $hc_v"
elif hc_v=$(docker version --format '{{.Server.Version}}' 2>&1); then
    # A docker CLI whose `info` lacks these fields: ask one thing at a time.
    check docker ok "engine $hc_v"
else
    check docker fail "$(first_line "$hc_v")"
    exit 0
fi

if pf_find_compose; then
    check compose ok "v$HC_COMPOSE_MAJOR $HC_COMPOSE_VERSION"
else
    check compose fail "neither 'docker compose' (v2) nor 'docker-compose' (v1) found"
fi

if [ "$HC_PROBE" = 1 ]; then
    if command -v curl >/dev/null 2>&1; then check probe ok curl
    elif command -v wget >/dev/null 2>&1; then check probe ok wget
    else check probe fail "neither curl nor wget found (a stack probes a health url)"
    fi
fi

# What the stacks need on the node (docs/stacks.md, "What preflight checks
# on the node"). Prints " PROJECT: WHAT;" for each of LINES that is missing.
hc_tab=$(printf '\t')
pf_missing() { # path|network|volume LINES
    printf '%s\n' "$2" | while IFS=$hc_tab read -r hc_p hc_what; do
        [ -n "$hc_p" ] || continue
        case $1 in
            path) [ -e "$hc_what" ] ;;
            network) docker network inspect "$hc_what" >/dev/null 2>&1 ;;
            volume) docker volume inspect "$hc_what" >/dev/null 2>&1 ;;
        esac || printf ' %s: %s;' "$hc_p" "$hc_what"
    done
}
pf_count() { printf '%s\n' "$@" | grep -c .; }

if [ -n "$HC_BINDS$HC_DEVICES" ]; then
    hc_m=$(pf_missing path "$HC_BINDS") hc_d=$(pf_missing path "$HC_DEVICES")
    if [ -z "$hc_m$hc_d" ]; then
        check mounts ok "$(pf_count "$HC_BINDS" "$HC_DEVICES") host paths exist"
    else
        hc_pf_why="${hc_m:+bind mount source missing:$hc_m}${hc_m:+${hc_d:+ }}${hc_d:+device missing:$hc_d}"
        check mounts fail "$hc_pf_why (create them on the node, or fix compose.yml)"
    fi
fi
if [ -n "$HC_NETWORKS$HC_VOLUMES" ]; then
    hc_m=$(pf_missing network "$HC_NETWORKS") hc_d=$(pf_missing volume "$HC_VOLUMES")
    if [ -z "$hc_m$hc_d" ]; then
        check external ok "$(pf_count "$HC_NETWORKS" "$HC_VOLUMES") exist"
    else
        hc_pf_why="${hc_m:+external network missing:$hc_m}${hc_m:+${hc_d:+ }}${hc_d:+external volume missing:$hc_d}"
        check external fail "$hc_pf_why (create them with docker network create / docker volume create NAME)"
    fi
fi

# Free disk on Docker's data root: at least the images to pull (PULL_KB,
# their compressed size) plus 1 GiB; below 10 % free is a warning.
pf_disk() { # PULL_KB
    [ "$HC_DISK" = 1 ] || return 0
    hc_need=$(($1 + 1048576))
    hc_root=${hc_pf_root:-/var/lib/docker}
    hc_df=$(df -Pk "$hc_root" 2>/dev/null | tail -n 1)
    set -f
    # shellcheck disable=SC2086 # the fields of df's line
    set -- $hc_df
    set +f
    case ${2:-}/${4:-} in
        *[!0-9/]* | /* | */) check disk fail "cannot read the free space of $hc_root (df -Pk)"; return ;;
    esac
    if [ "$4" -lt "$hc_need" ]; then
        check disk fail "$(($4 / 1024)) MiB free on $hc_root, needs $((hc_need / 1024)) MiB (images to pull $((hc_need / 1024 - 1024)) MiB + 1 GiB)"
    elif [ $(($4 * 10)) -lt "$2" ]; then
        check disk ok "$(($4 / 1024)) MiB free on $hc_root; warning: under 10 % free ($(($4 * 100 / $2)) %)"
    else
        check disk ok "$(($4 / 1024)) MiB free on $hc_root"
    fi
}

# The registry checks: login, then every image reference.
pf_registry() {
    trap 'hc_drop_docker_config' EXIT
    trap 'exit 130' INT TERM
    if ! hc_tmpfs_docker_config; then
        check registry fail "$HC_WHY"
        check image fail "no registry login"
        pf_disk 0
        return
    fi
    if hc_out=$(hc_login "$HC_SERVER" "$HC_USERNAME" "$HC_PASSWORD"); then
        check registry ok "logged in to $HC_SERVER as $HC_USERNAME"
        if [ -n "$hc_pf_info" ]; then
            case " $hc_pf_insecure " in *" $HC_SERVER "*) hc_insecure=--insecure ;; *) hc_insecure= ;; esac
        else
            hc_insecure=$(hc_insecure_flag "$HC_SERVER")
        fi
        hc_missing='' hc_pull=0
        # The images already here are not pulled: one listing, not one start each.
        hc_have=$(docker image ls --format '{{.Repository}}:{{.Tag}}' 2>/dev/null) || hc_have=
        for hc_ref in $HC_REFS; do
            # shellcheck disable=SC2086 # hc_insecure is empty or one flag
            if ! hc_manifest=$(DOCKER_CONFIG=$HC_DOCKER_CONFIG docker manifest inspect $hc_insecure "$hc_ref" 2>/dev/null); then
                hc_missing="$hc_missing $hc_ref"
            elif ! printf '%s\n' "$hc_have" | grep -qxF "$hc_ref"; then
                # The sizes the manifest lists (config and layers), in bytes.
                for hc_size in $(printf '%s\n' "$hc_manifest" | grep -o '"size": *[0-9]*' | grep -o '[0-9]*$'); do
                    hc_pull=$((hc_pull + hc_size))
                done
            fi
        done
        if [ -z "$hc_missing" ]; then check image ok "$(printf '%s\n' "$HC_REFS" | grep -c .) found"
        else check image fail "not in the registry:$hc_missing"
        fi
        pf_disk $((hc_pull / 1024))
    else
        check registry fail "login to $HC_SERVER as $HC_USERNAME failed: $(first_line "$hc_out")"
        check image fail "no registry login"
        pf_disk 0
    fi
    hc_drop_docker_config
}

if [ -z "${HC_COMPOSE:-}" ]; then
    (pf_registry)
    check stack fail "no Compose to validate the stack files"
    exit 0
fi

# The stack files are validated in the background while the registry is
# checked: the validation's output is captured, the registry's lines go
# straight out (descriptor 3), and the stack line comes last. Compose v2's
# plugin binary is run directly: the program `docker compose` runs,
# without the docker CLI's start in front of it.
hc_pf_validator=$HC_COMPOSE
[ "$HC_COMPOSE" = "docker compose" ] && [ -n "$hc_pf_plugin_path" ] && [ -x "$hc_pf_plugin_path" ] && hc_pf_validator=$hc_pf_plugin_path
[ "$HC_COMPOSE" = docker-compose ] && hc_pf_validator=$hc_pf_v1_run
exec 3>&1
hc_pf_stack=$(
    pf_validate </dev/null 3>&- &
    pf_registry >&3
    wait
)
exec 3>&-
printf '%s\n' "$hc_pf_stack"
