#!/usr/bin/env bash
# Install the Debian/Ubuntu packages named in the given list files (comments and blanks ignored).
set -euo pipefail
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
packages=$(sed -e 's/#.*//' "$@" | tr -s ' \n' ' ')
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $packages >/dev/null
