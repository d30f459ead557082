#!/usr/bin/env bash
# Installs the Debian tools the tests run against rendered service repositories and the catalog
# page, and the image-promotion tests' OCI registry (CNCF distribution, binary docker-registry) and
# skopeo, when any is missing. Runs before `npm test`; a no-op when everything is present. The
# docker-registry package may start a system registry service where systemd runs; the tests start
# their own processes on their own loopback ports and never use it.
set -euo pipefail

declare -A tool_package=(
  [yamllint]=yamllint
  [shellcheck]=shellcheck
  [black]=black
  [flake8]=flake8
  [mypy]=mypy
  [pre-commit]=pre-commit
  [isort]=isort
  [chromium]=chromium
  [docker-registry]=docker-registry
  [skopeo]=skopeo
  [jq]=jq
  [curl]=curl
)
python_modules=(pytest sklearn pandas)
declare -A module_package=([pytest]=python3-pytest [sklearn]=python3-sklearn [pandas]=python3-pandas)

missing=()
for tool in "${!tool_package[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${tool_package[$tool]}")
done
for module in "${python_modules[@]}"; do
  /usr/bin/python3 -c "import $module" >/dev/null 2>&1 || missing+=("${module_package[$module]}")
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "installing test tools from Debian: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "test tools installed"
