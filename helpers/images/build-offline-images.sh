#!/usr/bin/env bash
# Builds the images the container runtime needs from files already on this machine, with
# `docker import` (no registry, no base image): Mosquitto from Debian's package, RabbitMQ from
# Debian's rabbitmq-server and Erlang packages (when installed), Node from the node binary that runs
# this project, and the reference forwarder on top of that Node image.
# Only for machines with Docker but without a registry; with a registry the official images are used.
#
# usage: bash helpers/images/build-offline-images.sh [--force]
# prints the image names as NAME=VALUE lines (MQTT_TESTBENCH_MOSQUITTO_IMAGE=..., ...).
set -euo pipefail

force=0
[[ "${1:-}" == "--force" ]] && force=1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

die() { echo "build-offline-images: $*" >&2; exit 1; }
command -v docker >/dev/null || die "docker CLI not found"
docker info >/dev/null 2>&1 || die "Docker daemon not reachable (start dockerd first)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Copies a binary and every shared library ldd lists for it into a root folder.
copy_with_libs() {
  local bin=$1 dest=$2
  mkdir -p "$dest$(dirname "$bin")"
  cp -L "$bin" "$dest$bin"
  ldd "$bin" | grep -oE '/[^ ]+' | while read -r lib; do
    mkdir -p "$dest$(dirname "$lib")"
    cp -L "$lib" "$dest$lib"
  done
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# --- Mosquitto -------------------------------------------------------------------------------
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[[ -x "$mosquitto_bin" ]] || die "mosquitto not installed (apt-get install mosquitto)"
mosquitto_version=$({ "$mosquitto_bin" -h 2>&1 || true; } | sed -n 's/^mosquitto version \([0-9.]*\).*/\1/p' | head -n1)
[[ -n "$mosquitto_version" ]] || die "cannot read the mosquitto version"
mosquitto_image="local/mosquitto:$mosquitto_version"
if [[ $force == 1 ]] || ! image_exists "$mosquitto_image"; then
  rootfs="$work/mosquitto"
  copy_with_libs "$mosquitto_bin" "$rootfs"
  # glibc dlopen()s libgcc_s when a thread exits (ldd does not list it): without it Mosquitto
  # aborts about a second after a bridge connects, when its DNS resolver thread ends
  # ("libgcc_s.so.1 must be installed for pthread_exit to work", exit 139).
  libgcc=$(ldconfig -p | awk '$1 == "libgcc_s.so.1" { print $NF; exit }')
  [[ -n "$libgcc" ]] || die "libgcc_s.so.1 not found (ldconfig -p); Mosquitto bridges need it"
  mkdir -p "$rootfs$(dirname "$libgcc")"
  cp -L "$libgcc" "$rootfs$libgcc"
  mkdir -p "$rootfs/etc" "$rootfs/mosquitto/config" "$rootfs/mosquitto/data" "$rootfs/mosquitto/log" "$rootfs/tmp"
  # Same layout and user as the official eclipse-mosquitto image (uid/gid 1883), so one container class serves both.
  printf 'root:x:0:0:root:/root:/bin/false\nmosquitto:x:1883:1883:mosquitto:/var/empty:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nmosquitto:x:1883:\n' >"$rootfs/etc/group"
  [[ "$mosquitto_bin" == /usr/sbin/mosquitto ]] || { mkdir -p "$rootfs/usr/sbin"; cp -L "$mosquitto_bin" "$rootfs/usr/sbin/mosquitto"; }
  printf 'listener 1883\nallow_anonymous true\n' >"$rootfs/mosquitto/config/mosquitto.conf"
  chown -R 1883:1883 "$rootfs/mosquitto"
  chmod 1777 "$rootfs/tmp"
  tar -C "$rootfs" --numeric-owner -c . | docker import \
    -c 'EXPOSE 1883' \
    -c 'CMD ["/usr/sbin/mosquitto", "-c", "/mosquitto/config/mosquitto.conf"]' \
    -m "mqtt-testbench offline image: Debian mosquitto $mosquitto_version" - "$mosquitto_image" >/dev/null
fi

# --- RabbitMQ (optional: needs Debian's rabbitmq-server) --------------------------------------
# The Erlang runtime (/usr/lib/erlang), RabbitMQ (/usr/lib/rabbitmq: its start scripts and plugins),
# the shared libraries of every program and NIF in them, and the few tools the start scripts call.
# Same command and environment variables as the official image, so one container class serves both.
rabbitmq_image=""
rabbitmq_version=$(ls /usr/lib/rabbitmq/lib 2>/dev/null | sed -n 's/^rabbitmq_server-//p' | head -n1)
if [[ -n "$rabbitmq_version" && -d /usr/lib/erlang ]]; then
  rabbitmq_image="local/rabbitmq:$rabbitmq_version"
  if [[ $force == 1 ]] || ! image_exists "$rabbitmq_image"; then
    rootfs="$work/rabbitmq"
    # Debian 12 merged /bin and /lib into /usr: keep the links, so #!/bin/sh and ldd's /lib paths resolve.
    mkdir -p "$rootfs/usr/bin" "$rootfs/usr/lib" "$rootfs/usr/lib64"
    ln -s usr/bin "$rootfs/bin"
    ln -s usr/lib "$rootfs/lib"
    ln -s usr/lib64 "$rootfs/lib64"
    cp -a /usr/lib/erlang /usr/lib/rabbitmq "$rootfs/usr/lib/"
    cp -a /usr/bin/erl /usr/bin/epmd "$rootfs/usr/bin/"
    for tool in sh dirname basename readlink env expr sed cat mkdir rm id hostname uname df; do
      copy_with_libs "$(command -v "$tool")" "$rootfs"
    done
    find /usr/lib/erlang /usr/lib/rabbitmq -type f \( -perm -u+x -o -name '*.so' \) -print0 |
      while IFS= read -r -d '' elf; do
        # Scripts among them (ldd: "not a dynamic executable") list nothing.
        { ldd "$elf" 2>/dev/null || true; } | { grep -oE '/[^ ]+' || true; } | while read -r lib; do
          [[ -e "$rootfs$lib" ]] || { mkdir -p "$rootfs$(dirname "$lib")"; cp -L "$lib" "$rootfs$lib"; }
        done
      done
    mkdir -p "$rootfs/etc/rabbitmq" "$rootfs/var/lib/rabbitmq" "$rootfs/var/log/rabbitmq" "$rootfs/tmp"
    # uid/gid 999 as in the official image.
    printf 'root:x:0:0:root:/root:/bin/sh\nrabbitmq:x:999:999:RabbitMQ:/var/lib/rabbitmq:/bin/sh\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\nrabbitmq:x:999:\n' >"$rootfs/etc/group"
    chown -R 999:999 "$rootfs/var/lib/rabbitmq" "$rootfs/var/log/rabbitmq" "$rootfs/etc/rabbitmq"
    chmod 1777 "$rootfs/tmp"
    tar -C "$rootfs" --numeric-owner -c . | docker import \
      -c 'ENV PATH=/usr/lib/rabbitmq/bin:/usr/bin:/bin' \
      -c 'ENV HOME=/var/lib/rabbitmq' \
      -c 'USER rabbitmq' \
      -c 'WORKDIR /var/lib/rabbitmq' \
      -c 'EXPOSE 1883' \
      -c 'CMD ["rabbitmq-server"]' \
      -m "mqtt-testbench offline image: Debian rabbitmq-server $rabbitmq_version" - "$rabbitmq_image" >/dev/null
  fi
fi

# --- Node ------------------------------------------------------------------------------------
node_bin=$(command -v node)
node_major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
node_image="local/node:$node_major"
if [[ $force == 1 ]] || ! image_exists "$node_image"; then
  rootfs="$work/node"
  copy_with_libs "$node_bin" "$rootfs"
  [[ "$node_bin" == /usr/bin/node ]] || { mkdir -p "$rootfs/usr/bin"; cp -L "$node_bin" "$rootfs/usr/bin/node"; }
  mkdir -p "$rootfs/etc" "$rootfs/tmp" "$rootfs/app"
  printf 'root:x:0:0:root:/root:/bin/false\nnode:x:1000:1000:node:/home/node:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\n' >"$rootfs/etc/group"
  chmod 1777 "$rootfs/tmp"
  tar -C "$rootfs" --numeric-owner -c . | docker import \
    -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    -c 'CMD ["node"]' \
    -m "mqtt-testbench offline image: node $("$node_bin" -v)" - "$node_image" >/dev/null
fi

# --- Reference forwarder (optional: needs `npm run build` first) ------------------------------
bundle="$root/dist/mqtt-forwarder.mjs"
forwarder_image=""
if [[ -f "$bundle" ]]; then
  version=$("$node_bin" -p "require('$root/package.json').version")
  forwarder_image="local/mqtt-forwarder:$version"
  rootfs="$work/forwarder"
  mkdir -p "$rootfs/app" "$rootfs/etc"
  cp "$bundle" "$rootfs/app/mqtt-forwarder.mjs"
  # Layered on the Node image: docker import has no FROM, so export the Node image's filesystem and add to it.
  container=$(docker create "$node_image")
  docker export "$container" | tar -C "$rootfs" -x
  docker rm "$container" >/dev/null
  cp "$bundle" "$rootfs/app/mqtt-forwarder.mjs"
  tar -C "$rootfs" --numeric-owner -c . | docker import \
    -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    -c 'CMD ["node", "/app/mqtt-forwarder.mjs", "-c", "/etc/mqtt-forwarder.json"]' \
    -m "mqtt-testbench reference forwarder $version" - "$forwarder_image" >/dev/null
fi

echo "MQTT_TESTBENCH_MOSQUITTO_IMAGE=$mosquitto_image"
[[ -n "$rabbitmq_image" ]] && echo "MQTT_TESTBENCH_RABBITMQ_IMAGE=$rabbitmq_image"
echo "MQTT_TESTBENCH_NODE_IMAGE=$node_image"
[[ -n "$forwarder_image" ]] && echo "MQTT_TESTBENCH_FORWARDER_IMAGE=$forwarder_image"
exit 0
