#!/usr/bin/env bash
# Installs what `npm run up` needs on a Debian CI image (Drone's node:20-bookworm steps):
#
#   bash deploy/ci-tools.sh <pulumi-version>
#
# - the Pulumi CLI, exactly <pulumi-version> (the @pulumi/pulumi version of package.json; GitHub
#   Actions installs the same one with pulumi/actions' `pulumi-version` input), with Pulumi's
#   documented installer: `curl -fsSL https://get.pulumi.com | sh -s -- --version X`;
# - what components/image-promotion/copy-image.sh runs on `pulumi up` (docs/image-promotion.md):
#   skopeo (Debian package, which also installs /etc/containers/policy.json) and the AWS CLI v2
#   (AWS's installer zip, pinned to AWS_CLI_VERSION below);
# then prints the versions. Node and bash come with the image.
set -euo pipefail

PULUMI_VERSION="${1:?usage: ci-tools.sh <pulumi-version>}"
AWS_CLI_VERSION=2.15.34

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends skopeo unzip ca-certificates curl >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL "https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m)-${AWS_CLI_VERSION}.zip" -o "$tmp/awscli.zip"
unzip -q "$tmp/awscli.zip" -d "$tmp"
"$tmp/aws/install" --update >/dev/null

curl -fsSL https://get.pulumi.com | sh -s -- --version "$PULUMI_VERSION" >/dev/null
export PATH="$HOME/.pulumi/bin:$PATH"

pulumi version
skopeo --version
aws --version
