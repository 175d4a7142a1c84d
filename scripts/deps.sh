#!/usr/bin/env bash
# Installs the Debian 12 packages that building, the demo and the tests need, when missing.
set -euo pipefail

packages=(postgresql-15 postgresql-contrib postgresql-server-dev-15 libpq-dev
          libh2o-evloop-dev libjansson-dev libjwt-dev libssl-dev zlib1g-dev
          libmagic-dev  # helpdesk-http judges uploaded files by their content (libmagic1 + libmagic-mgc)
          libcurl4-openssl-dev  # helpdesk-http sends the outbox's e-mails over SMTP (http/mailer.c)
          python3-aiosmtpd      # the SMTP server of tests/http/test_email.py and of the demo's mail sink
          python3 make gcc
          clang libclang-rt-14-dev   # libFuzzer + sanitizers for tests/fuzz (Debian 12's clang is 14)
          debhelper dpkg-dev postgresql-server-dev-all)   # make deb and its test
# `deps.sh browser` (make test-browser only, not make test): the browser and Node for its driver
# (Node and npm only when there are none: a Node from elsewhere, such as NodeSource's, carries
# its own npm and conflicts with Debian's npm package.)
if [ "${1:-}" = browser ]; then
    packages+=(chromium)
    command -v node >/dev/null || packages+=(nodejs)
    command -v npm >/dev/null || packages+=(npm)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${missing[*]} (run as root, or install them with apt-get)" >&2
    exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The server first, then its headers pinned to the same point release, so installing the
# headers never upgrades a server that is already there (see STACK-NOTES).
apt-get install -y -qq --no-install-recommends postgresql-15 postgresql-contrib >/dev/null
pgver=$(dpkg-query -W -f='${Version}' postgresql-15)
rest=()
for p in "${missing[@]}"; do
    case "$p" in
        postgresql-15|postgresql-contrib) ;;
        postgresql-server-dev-15|libpq-dev) rest+=("$p=$pgver") ;;
        *) rest+=("$p") ;;
    esac
done
[ ${#rest[@]} -eq 0 ] && exit 0
if ! apt-get install -y -qq --no-install-recommends "${rest[@]}" >/dev/null; then
    # The mirror no longer has that point release: take the current one (this upgrades the
    # server too, which is harmless when no cluster of it is running).
    apt-get install -y -qq --no-install-recommends "${rest[@]%%=*}" >/dev/null
fi
