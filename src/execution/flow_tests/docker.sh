#!/bin/sh
# The flow tests' stand-in for docker and Compose (docs/architecture.md,
# "Flow tests"), first on PATH of a local node. F is the node's fake/
# folder (set in the line above this one by the test). It
#   - records its argv, one call a line, in $F/argv;
#   - keeps what "runs" in $F/running/PROJECT, lines "SERVICE REF"; a
#     container's id is PROJECT+SERVICE, an image's the SHA-256 of its
#     reference unless `docker tag` gave the reference another ($F/tags);
#   - answers from files the test writes: $F/fail/KEY, a snippet run in
#     place of the command (its output, its exit code); $F/health/TAG, the
#     health of the containers running TAG (healthy if none); $F/hold/KEY,
#     wait while it exists (after creating $F/held/KEY). KEY is the
#     command (pull, tag, login, ...) or compose-COMMAND (compose-up);
#   - writes, for `compose up`, the SHA-256 of each variable named in
#     $F/env/ (the names the test asks about) into $F/env/NAME: a secret's
#     value reached Compose's environment, never an argv or a file.
set -u
printf '%s\n' "$*" >>"$F/argv"

answer() { # KEY
    if [ -e "$F/hold/$1" ]; then
        : >"$F/held/$1"
        while [ -e "$F/hold/$1" ]; do sleep 0.02; done
    fi
    if [ -f "$F/fail/$1" ]; then
        # shellcheck disable=SC1090 # the test's snippet
        . "$F/fail/$1"
    fi
}

sha() { printf '%s' "$1" | sha256sum | cut -c 1-64; }

id_of() { # REF
    hc_id=$(awk -v r="$1" '$1 == r { id = $2 } END { print id }' "$F/tags" 2>/dev/null)
    if [ -n "$hc_id" ]; then echo "$hc_id"; else echo "sha256:$(sha "$1")"; fi
}

health_of() { # REF
    cat "$F/health/${1##*:}" 2>/dev/null || echo healthy
}

ref_of() { # PROJECT SERVICE
    awk -v s="$2" '$1 == s { print $2 }' "$F/running/$1" 2>/dev/null
}

# compose up: the services of the compose files with their images, as
# Compose would interpolate REGISTRY and IMAGE_TAG.
compose_up() { # FILES SERVICE...
    hc_files=$1
    shift
    hc_new=$(for hc_f in $hc_files; do
        awk '/^services:/ { s = 1; next } /^[^ #]/ { s = 0 }
             s && /^  [A-Za-z0-9_.-]+:[ ]*$/ { svc = $1; sub(":", "", svc) }
             s && /^    image:/ { print svc, $2 }' "$hc_f"
    done | sed "s|\${REGISTRY}|${REGISTRY:-}|g; s|\${IMAGE_TAG}|${IMAGE_TAG:-}|g")
    hc_run="$F/running/$hc_project"
    touch "$hc_run"
    printf '%s\n' "$hc_new" | while read -r hc_s hc_ref; do
        [ -n "$hc_s" ] || continue
        if [ $# -gt 0 ]; then
            case " $* " in *" $hc_s "*) ;; *) continue ;; esac
        fi
        { awk -v s="$hc_s" '$1 != s' "$hc_run"; echo "$hc_s $hc_ref"; } >"$hc_run.new"
        mv "$hc_run.new" "$hc_run"
    done
}

if [ "$1" = compose ]; then
    shift
    hc_project='' hc_files=''
    while [ $# -gt 0 ]; do
        case $1 in
            -p) hc_project=$2; shift 2 ;;
            -f) hc_files="$hc_files $2"; shift 2 ;;
            --profile) shift 2 ;;
            *) break ;;
        esac
    done
    answer "compose-$1"
    case $1 in
        version) echo 2.29.0 ;;
        pull | run | config) ;;
        up)
            shift
            for hc_watch in "$F"/env/*; do
                [ -f "$hc_watch" ] || continue
                hc_name=${hc_watch##*/} hc_value=''
                eval "hc_value=\${$hc_name-}"
                sha "$hc_value" >"$hc_watch"
            done
            hc_services=''
            for hc_a in "$@"; do
                case $hc_a in -*) ;; *) hc_services="$hc_services $hc_a" ;; esac
            done
            # shellcheck disable=SC2086 # a list of services
            compose_up "$hc_files" $hc_services
            ;;
        *) echo "stand-in docker: compose $1 is not known here" >&2; exit 1 ;;
    esac
    exit 0
fi

case $1 in image) answer "image-$2" ;; *) answer "$1" ;; esac
case $1 in
    info | version) echo ;;
    login)
        cat >/dev/null
        printf '{"auths":{"%s":{"auth":"eA=="}}}\n' "$5" >"$DOCKER_CONFIG/config.json"
        ;;
    pull) ;;
    tag) echo "$3 $2" >>"$F/tags" ;;
    ps)
        shift
        hc_q='' hc_p='' hc_svc=''
        while [ $# -gt 0 ]; do
            case $1 in
                -q | -aq) hc_q=1 ;;
                --filter)
                    case $2 in
                        label=com.docker.compose.project=*) hc_p=${2#label=com.docker.compose.project=} ;;
                        label=com.docker.compose.service=*) hc_svc=${2#label=com.docker.compose.service=} ;;
                    esac
                    shift
                    ;;
                --format) shift ;;
            esac
            shift
        done
        [ -f "$F/running/$hc_p" ] || exit 0
        while read -r hc_s hc_ref; do
            [ -z "$hc_svc" ] || [ "$hc_s" = "$hc_svc" ] || continue
            if [ -n "$hc_q" ]; then
                echo "$hc_p+$hc_s"
            else
                echo "$hc_s running Up 3 seconds ($(health_of "$hc_ref"))"
            fi
        done <"$F/running/$hc_p"
        ;;
    inspect)
        hc_format=$3
        shift 3
        for hc_c in "$@"; do
            hc_p=${hc_c%%+*} hc_s=${hc_c#*+}
            hc_ref=$(ref_of "$hc_p" "$hc_s")
            [ -n "$hc_ref" ] || { echo "No such container: $hc_c" >&2; exit 1; }
            hc_hash="cfg-$(sha "$hc_s $hc_ref")"
            case $hc_format in
                RUNNING*) printf 'RUNNING %s %s %s %s running %s %s {"Status":"running","Health":{"Status":"%s"}}\n' \
                    "$hc_p" "$hc_s" "$hc_c" "$(id_of "$hc_ref")" "$hc_ref" "$hc_hash" "$(health_of "$hc_ref")" ;;
                *) echo "$(id_of "$hc_ref") $hc_hash" ;;
            esac
        done
        ;;
    image)
        [ "$2" = inspect ] || exit 1
        case ${3:-} in
            --format)
                case $4 in
                    *RepoDigests*) echo ;;
                    *) id_of "$5" ;;
                esac
                ;;
        esac
        ;;
    rm)
        shift 2
        for hc_c in "$@"; do
            hc_p=${hc_c%%+*} hc_s=${hc_c#*+}
            awk -v s="$hc_s" '$1 != s' "$F/running/$hc_p" >"$F/running/$hc_p.new"
            mv "$F/running/$hc_p.new" "$F/running/$hc_p"
        done
        ;;
    *) echo "stand-in docker: $1 is not known here" >&2; exit 1 ;;
esac
exit 0
