# shellcheck shell=bash
# scripts/lab.d/images.sh: the sample app image, 10.77.0.1:5000/lab/ktrdr-backend.
#
# No image can be pulled from a public registry, so it is made from scratch:
# a root folder with busybox-static (every applet linked), /bin/printenv
# (scripts/lab.d/printenv: busybox-static lacks it) and /app/entry
# (scripts/lab.d/entry), imported with `docker import` and pushed with
# node-a's engine (which already trusts the lab registry). Every tag is its
# own build with /app/version = the tag, so every tag has its own digest.
#
# Tags:
#   LAB_TAG_OLD, LAB_TAG_NEW  fixed 40-hex tags (sha1 of "lab-old", "lab-new"), healthy
#   LAB_TAG_HEAD              git HEAD of the repository, and its first 7 hex digits
#                             (pushed again whenever HEAD moves); healthy
#   unhealthy                 no /health: the health check never passes
#   slowpull                  healthy plus ~200 MB of random bytes: slow to pull
#   lab-db                    the same app; its default command is `entry db`
#
# A tag is built and pushed only if the registry lacks it or the recipe
# (entry + this file) changed since it was pushed; marker files in
# $LAB/images/pushed/ record what went out.

IMG_DIR=$LAB/images
TAG_OLD=$(printf lab-old | sha1sum | cut -c1-40)
TAG_NEW=$(printf lab-new | sha1sum | cut -c1-40)
TAG_UNHEALTHY=unhealthy
TAG_SLOW=slowpull
TAG_DB=lab-db
SLOW_MB=200

repo_head() { git -C "$REPO_ROOT" rev-parse --verify -q 'HEAD^{commit}' 2>/dev/null || true; }

images_recipe() {
  cat "$LAB_SCRIPTS/lab.d/entry" "$LAB_SCRIPTS/lab.d/printenv" "$LAB_SCRIPTS/lab.d/images.sh" |
    sha256sum | cut -c1-16
}

# images_up: make sure every tag is in the registry; write tags.env.
images_up() {
  local head head7="" recipe
  head=$(repo_head)
  [[ -n $head ]] && head7=${head:0:7}
  [[ -n $head ]] || say "the repository has no commit yet: no HEAD tag"
  recipe=$(images_recipe)
  mkdir -p "$IMG_DIR/pushed"

  # tag:kind
  local -a wanted=("$TAG_OLD:healthy" "$TAG_NEW:healthy" "$TAG_UNHEALTHY:unhealthy"
    "$TAG_DB:db" "$TAG_SLOW:slow")
  [[ -n $head ]] && wanted+=("$head:healthy" "$head7:healthy")

  local -a todo=()
  local entry tag
  for entry in "${wanted[@]}"; do
    tag=${entry%%:*}
    if [[ $(cat "$IMG_DIR/pushed/$tag" 2>/dev/null) == "$recipe" ]] && registry_has "$tag"; then
      continue
    fi
    todo+=("$entry")
  done
  if ((${#todo[@]})); then
    images_build_push "$recipe" "${todo[@]}"
  fi
  [[ -z $head ]] || echo "$head" >"$IMG_DIR/last-head"

  write_file "$LAB/tags.env" 0644 <<EOF || true
# Written by scripts/lab up: the lab's image tags and registry (shell-sourceable).
LAB_TAG_OLD=$TAG_OLD
LAB_TAG_NEW=$TAG_NEW
LAB_TAG_HEAD=$head
LAB_TAG_HEAD_SHORT=$head7
LAB_TAG_UNHEALTHY=$TAG_UNHEALTHY
LAB_TAG_SLOW=$TAG_SLOW
LAB_TAG_DB=$TAG_DB
LAB_REGISTRY=$REGISTRY
LAB_NAMESPACE=$IMAGE_NAMESPACE
LAB_IMAGE=$IMAGE
LAB_REGISTRY_USER=$REGISTRY_USER
EOF
}

# images_build_push RECIPE TAG:KIND...
images_build_push() (
  local recipe=$1
  shift
  export DOCKER_HOST
  DOCKER_HOST=unix://$(node_sock node-a)
  local root=$IMG_DIR/root
  rm -rf "$root"
  mkdir -p "$root"/{bin,app,etc,tmp,data,root,proc,sys,dev}
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
  done
  install -m 0755 "$LAB_SCRIPTS/lab.d/entry" "$root/app/entry"
  install -m 0755 "$LAB_SCRIPTS/lab.d/printenv" "$root/bin/printenv"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

  # A throw-away client config for the login, on a tmpfs, removed on exit.
  export DOCKER_CONFIG
  DOCKER_CONFIG=$(mktemp -d /dev/shm/homectl-lab-login.XXXXXX)
  trap 'rm -rf "$DOCKER_CONFIG" "$root"' EXIT
  local out
  out=$(docker login "$REGISTRY" -u "$REGISTRY_USER" --password-stdin <"$REG_PASSWORD" 2>&1) ||
    die "docker login to $REGISTRY failed: $out"

  local entry tag kind
  local -a tags=() cmd
  for entry in "$@"; do
    tag=${entry%%:*} kind=${entry#*:}
    printf '%s\n' "$tag" >"$root/app/version"
    rm -f "$root/app/health" "$root/blob"
    [[ $kind == unhealthy ]] || echo ok >"$root/app/health"
    cmd='["/app/entry","serve","8000"]'
    [[ $kind == db ]] && cmd='["/app/entry","db"]'
    if [[ $kind == slow ]]; then
      say "building $TAG_SLOW (${SLOW_MB} MB of random bytes)"
      head -c "${SLOW_MB}M" /dev/urandom >"$root/blob"
    fi
    tar -C "$root" --sort=name --owner=0 --group=0 --numeric-owner -c . |
      docker import -c "CMD $cmd" -c 'ENV PATH=/bin' -c 'WORKDIR /' -c 'EXPOSE 8000' \
        -m "homectl lab $tag" - "$IMAGE:$tag" >/dev/null
    rm -f "$root/blob"
    tags+=("$tag")
  done

  # Push in parallel; the slow tag's gzip of random bytes dominates.
  say "pushing ${tags[*]}"
  local -a pids=()
  for tag in "${tags[@]}"; do
    docker push -q "$IMAGE:$tag" >"$IMG_DIR/push-$tag.log" 2>&1 &
    pids+=($!)
  done
  local i failed=0
  for i in "${!tags[@]}"; do
    if wait "${pids[$i]}"; then
      echo "$recipe" >"$IMG_DIR/pushed/${tags[$i]}"
      rm -f "$IMG_DIR/push-${tags[$i]}.log"
    else
      say "push of ${tags[$i]} failed:"
      cat "$IMG_DIR/push-${tags[$i]}.log" >&2
      failed=1
    fi
  done
  # node-a starts like the other nodes: without the app images.
  for tag in "${tags[@]}"; do docker rmi "$IMAGE:$tag" >/dev/null 2>&1 || true; done
  ((failed == 0)) || die "could not push every tag"
)
