#!/usr/bin/env bash
# Promotes one image from an environment's ECR repository to another's, by digest:
#
#   docker://$SOURCE@$DIGEST  ->  docker://$TARGET:$GIT_SHA
#
# Run by the ImageCopy component (components/image-promotion/image-copy.ts) on `pulumi up`, and
# by hand the same way. Inputs come from the environment (or, in this order, from the positional
# arguments SOURCE TARGET GIT_SHA DIGEST):
#
#   SOURCE          repository reference without tag or digest, e.g.
#                   111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlp/churn-dev
#   TARGET          the same form: the repository the image is promoted to
#   GIT_SHA         40 lowercase hex characters: the tag the image gets in TARGET
#   DIGEST          sha256:<64 lowercase hex>: the pinned manifest digest
#   ROLE_ARN        optional: IAM role assumed for the copy (STS AssumeRole)
#   SESSION_POLICY  optional, with ROLE_ARN only: inline session policy (JSON) narrowing it
#   REGION          AWS region used for STS, and for the login to any registry host whose name
#                   does not carry its region (ECR hosts do: <account>.dkr.ecr.<region>...)
#   REGISTRY_AUTH   "ecr" (default): log in to each registry host with an ECR token;
#                   "none": no login (local registries without authentication: the tests)
#   TLS_VERIFY      "true" (default); "false" only for the tests' plain-HTTP local registries
#   COPY_ATTEMPTS   copy attempts (default 3); RETRY_DELAY seconds before the next (default 5,
#                   doubled each time); SKOPEO_RETRY_TIMES skopeo's own retries (default 3)
#
# Idempotent: a TARGET:GIT_SHA that already has DIGEST is left alone ("already present"); one
# with another digest fails (ECR tags are immutable). When SOURCE == TARGET (the environment that
# builds images) nothing is copied: the tag must already exist with DIGEST.
#
# stdout: one result line. stderr: progress and errors. Secrets are never printed: the ECR
# password goes from `aws` to `skopeo login` through a pipe, the assumed role's credentials only
# into this process's environment, and the login state into an authfile in a private temporary
# directory removed on exit.
set -euo pipefail

log() { printf 'copy-image: %s\n' "$*" >&2; }
die() {
  printf 'copy-image: error: %s\n' "$*" >&2
  exit 1
}

SOURCE="${1:-${SOURCE:-}}"
TARGET="${2:-${TARGET:-}}"
GIT_SHA="${3:-${GIT_SHA:-}}"
DIGEST="${4:-${DIGEST:-}}"
ROLE_ARN="${ROLE_ARN:-}"
SESSION_POLICY="${SESSION_POLICY:-}"
REGION="${REGION:-}"
REGISTRY_AUTH="${REGISTRY_AUTH:-ecr}"
TLS_VERIFY="${TLS_VERIFY:-true}"
COPY_ATTEMPTS="${COPY_ATTEMPTS:-3}"
RETRY_DELAY="${RETRY_DELAY:-5}"
SKOPEO_RETRY_TIMES="${SKOPEO_RETRY_TIMES:-3}"

REFERENCE_FORM="<registry host>/<repository> without tag or digest, e.g. 111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlp/churn-dev"
# A registry host (a name with a dot, an IPv4 address or localhost, optionally :port), then
# repository path components as in the distribution reference grammar: lowercase alphanumerics
# separated by '.', '_', '__' or dashes.
COMPONENT='[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*'
REFERENCE_RE="^([a-z0-9-]+(\.[a-z0-9-]+)+|localhost)(:[0-9]+)?/${COMPONENT}(/${COMPONENT})*$"
# ECR private registry host: <account>.dkr.ecr.<region>.amazonaws.com (ECR API reference,
# AuthorizationData.proxyEndpoint), -fips and .cn partitions included.
ECR_HOST_RE='^[0-9]{12}\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$'

validate() {
  local name value
  for name in SOURCE TARGET; do
    value="${!name}"
    [ -n "$value" ] || die "$name is required: $REFERENCE_FORM"
    [[ $value =~ $REFERENCE_RE ]] ||
      die "$name \"$value\" is not a repository reference: expected $REFERENCE_FORM"
  done
  [ -n "$GIT_SHA" ] || die "GIT_SHA is required: the full git commit sha (40 lowercase hex characters)"
  [[ $GIT_SHA =~ ^[0-9a-f]{40}$ ]] ||
    die "GIT_SHA \"$GIT_SHA\" is not a full git commit sha: expected 40 lowercase hex characters"
  [ -n "$DIGEST" ] || die "DIGEST is required: sha256: followed by 64 lowercase hex characters"
  [[ $DIGEST =~ ^sha256:[0-9a-f]{64}$ ]] ||
    die "DIGEST \"$DIGEST\" is not an image digest: expected sha256: followed by 64 lowercase hex characters"
  if [ -n "$ROLE_ARN" ]; then
    [[ $ROLE_ARN =~ ^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$ ]] ||
      die "ROLE_ARN \"$ROLE_ARN\" is not an IAM role ARN: expected arn:aws:iam::<12-digit account>:role/<name>"
  elif [ -n "$SESSION_POLICY" ]; then
    die "SESSION_POLICY is set without ROLE_ARN: a session policy narrows an assumed role"
  fi
  if [ -n "$REGION" ]; then
    [[ $REGION =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] ||
      die "REGION \"$REGION\" is not an AWS region: expected a name such as eu-west-1"
  fi
  case "$REGISTRY_AUTH" in
    ecr | none) ;;
    *) die "REGISTRY_AUTH \"$REGISTRY_AUTH\" is not supported: expected ecr (the default) or none" ;;
  esac
  case "$TLS_VERIFY" in
    true | false) ;;
    *) die "TLS_VERIFY \"$TLS_VERIFY\" is not supported: expected true (the default) or false" ;;
  esac
  for name in COPY_ATTEMPTS RETRY_DELAY SKOPEO_RETRY_TIMES; do
    [[ ${!name} =~ ^[0-9]+$ ]] || die "$name \"${!name}\" is not a whole number"
  done
  [ "$COPY_ATTEMPTS" -ge 1 ] || die "COPY_ATTEMPTS must be at least 1"
}

validate

command -v skopeo >/dev/null 2>&1 ||
  die "skopeo is not installed (Debian/Ubuntu: apt-get install skopeo)"

# Private working directory: the authfile (registry login state) lives here and nowhere else.
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
authfile="$workdir/auth.json"
printf '{"auths":{}}\n' >"$authfile"

# skopeo(1) flags shared by every call. --authfile: "Path of the authentication file" (skopeo-copy,
# skopeo-inspect, skopeo-login man pages; an explicit file also keeps out ~/.docker/config.json).
# --retry-times: "The number of times to retry. Retry wait time will be exponentially increased"
# (skopeo-copy(1), skopeo-inspect(1), skopeo 1.9.3).
inspect_flags=(--authfile "$authfile" --retry-times "$SKOPEO_RETRY_TIMES")
copy_flags=(--authfile "$authfile" --retry-times "$SKOPEO_RETRY_TIMES")
login_flags=(--authfile "$authfile")
if [ "$TLS_VERIFY" = false ]; then
  # Only for the tests' local plain-HTTP registries: "--src-tls-verify / --dest-tls-verify:
  # Require HTTPS and verify certificates" (skopeo-copy(1)); --tls-verify likewise for inspect
  # and login. ECR always speaks HTTPS.
  inspect_flags+=(--tls-verify=false)
  copy_flags+=(--src-tls-verify=false --dest-tls-verify=false)
  login_flags+=(--tls-verify=false)
fi

host_of() { printf '%s\n' "${1%%/*}"; }

region_of() {
  local host="$1"
  if [[ $host =~ $ECR_HOST_RE ]]; then
    printf '%s\n' "${BASH_REMATCH[2]}"
  elif [ -n "$REGION" ]; then
    printf '%s\n' "$REGION"
  else
    die "cannot tell the region of registry $host: set REGION"
  fi
}

assume_role() {
  command -v aws >/dev/null 2>&1 || die "the AWS CLI (aws) is needed to assume $ROLE_ARN"
  command -v node >/dev/null 2>&1 || die "node is needed to read the AssumeRole response"
  # RoleSessionName: 2-64 characters of [\w+=,.@-] (STS AssumeRole API reference); it shows in
  # CloudTrail, so it names the commit being promoted.
  local session="mlp-image-copy-${GIT_SHA:0:12}"
  local args=(sts assume-role --role-arn "$ROLE_ARN" --role-session-name "$session" --output json)
  # Policy: "An IAM policy in JSON format that you want to use as an inline session policy ...
  # The resulting session's permissions are the intersection of the role's identity-based policy
  # and the session policies" (STS AssumeRole API reference; IAM User Guide, "Permissions for
  # AssumeRole"). So the copy can read the source and write the target, nothing else.
  if [ -n "$SESSION_POLICY" ]; then args+=(--policy "$SESSION_POLICY"); fi
  if [ -n "$REGION" ]; then args+=(--region "$REGION"); fi
  log "assuming $ROLE_ARN (session $session${SESSION_POLICY:+, with a session policy})"
  local response
  response="$(aws "${args[@]}")" || die "aws sts assume-role failed for $ROLE_ARN (see above)"
  # AssumeRole returns Credentials {AccessKeyId, SecretAccessKey, SessionToken, Expiration}.
  local lines=()
  mapfile -t lines < <(printf '%s' "$response" | node -e '
    let text = "";
    process.stdin.on("data", (d) => (text += d)).on("end", () => {
      const c = (JSON.parse(text) || {}).Credentials || {};
      const keys = ["AccessKeyId", "SecretAccessKey", "SessionToken"];
      if (!keys.every((k) => typeof c[k] === "string" && c[k] !== "")) process.exit(1);
      process.stdout.write(keys.map((k) => c[k]).join("\n") + "\n");
    });' || true)
  [ "${#lines[@]}" -eq 3 ] ||
    die "the AssumeRole response for $ROLE_ARN has no Credentials (AccessKeyId, SecretAccessKey, SessionToken)"
  export AWS_ACCESS_KEY_ID="${lines[0]}" AWS_SECRET_ACCESS_KEY="${lines[1]}" AWS_SESSION_TOKEN="${lines[2]}"
  # The exported keys are the session's: no profile may take precedence over them.
  unset AWS_PROFILE AWS_DEFAULT_PROFILE
}

login() {
  local host="$1" region
  region="$(region_of "$host")"
  command -v aws >/dev/null 2>&1 || die "the AWS CLI (aws) is needed to log in to $host"
  log "logging in to $host (region $region)"
  # `aws ecr get-login-password` "retrieves and displays an authentication token ... that you can
  # use to authenticate to an Amazon ECR registry" (AWS CLI reference); the token "is used to
  # access any Amazon ECR registry that your IAM principal has access to and is valid for 12
  # hours" (ECR User Guide, "Private registry authentication"), so one login per host serves both
  # pulls and pushes. --password-stdin: "Take the password from stdin" (skopeo-login(1)): the
  # token never appears in an argument list.
  aws ecr get-login-password --region "$region" |
    skopeo login "${login_flags[@]}" --username AWS --password-stdin "$host" >&2 ||
    die "login to $host failed (region $region): can the current identity call ecr:GetAuthorizationToken?"
}

# Prints the manifest digest of image reference $1 and returns 0; returns 3 when the registry says
# the manifest or the repository is unknown (OCI distribution spec error codes MANIFEST_UNKNOWN,
# NAME_UNKNOWN); dies on any other error (authentication, network).
remote_digest() {
  local ref="$1" raw="$workdir/manifest.json" err="$workdir/inspect.err"
  # --raw: "Output raw manifest" (skopeo-inspect(1)): only the manifest is read (ecr:BatchGetImage),
  # and its digest is the sha256 of those bytes, which `skopeo manifest-digest` computes
  # ("Compute a manifest digest of manifest-file", skopeo-manifest-digest(1)).
  if skopeo inspect --raw "${inspect_flags[@]}" "docker://$ref" >"$raw" 2>"$err"; then
    skopeo manifest-digest "$raw"
    return
  fi
  if grep -qiE 'manifest unknown|name unknown' "$err"; then
    return 3
  fi
  # skopeo's last line is `time=... level=fatal msg="<reason>"`: keep the reason.
  die "cannot read $ref: $(tail -n 1 "$err" | sed -e 's/^.*level=fatal msg="//' -e 's/"$//' -e 's/\\"/"/g')"
}

# Sets $found to the digest of $1 ("" when absent).
lookup() {
  local rc=0
  found="$(remote_digest "$1")" || rc=$?
  if [ "$rc" -eq 3 ]; then
    found=""
  elif [ "$rc" -ne 0 ]; then
    exit "$rc"
  fi
}

if [ -n "$ROLE_ARN" ]; then
  assume_role
fi
if [ "$REGISTRY_AUTH" = ecr ]; then
  login "$(host_of "$SOURCE")"
  if [ "$(host_of "$TARGET")" != "$(host_of "$SOURCE")" ]; then
    login "$(host_of "$TARGET")"
  fi
fi

target_ref="$TARGET:$GIT_SHA"
source_ref="$SOURCE@$DIGEST"
found=""

# Immutable tags: "the ImageTagAlreadyExistsException error is returned if you push an image with
# a tag that is already in the repository" (ECR User Guide, "Preventing image tags from being
# overwritten"). So an existing tag is checked first, and never pushed again.
lookup "$target_ref"
if [ -n "$found" ]; then
  if [ "$found" != "$DIGEST" ]; then
    die "$target_ref: tag exists with digest $found, pin says $DIGEST: tags are immutable"
  fi
  if [ "$SOURCE" = "$TARGET" ]; then
    echo "verified $target_ref@$DIGEST (the environment that builds images: nothing to copy)"
  else
    echo "already present: $target_ref@$DIGEST"
  fi
  exit 0
fi
if [ "$SOURCE" = "$TARGET" ]; then
  die "no image $target_ref: has the pipeline built commit $GIT_SHA?"
fi

lookup "$source_ref"
if [ -z "$found" ]; then
  die "no image $source_ref: the pinned digest is not in the source repository (is the pin right, and has the pipeline built commit $GIT_SHA?)"
fi
if [ "$found" != "$DIGEST" ]; then
  die "$source_ref: the registry answered a manifest with digest $found"
fi
# The source's own tag for the commit must be the same image, else the pin pairs a commit with
# another commit's image.
lookup "$SOURCE:$GIT_SHA"
if [ -z "$found" ]; then
  log "note: $SOURCE has no tag $GIT_SHA; copying the pinned digest as is"
elif [ "$found" != "$DIGEST" ]; then
  die "$SOURCE:$GIT_SHA has digest $found, pin says $DIGEST: the pin pairs commit $GIT_SHA with another image"
fi

delay="$RETRY_DELAY"
for ((attempt = 1; ; attempt++)); do
  log "copying docker://$source_ref -> docker://$target_ref (attempt $attempt of $COPY_ATTEMPTS)"
  # --all: "attempt to copy all of the images in the list, and the list itself" (a multi-arch
  # image keeps its index digest); --preserve-digests: "Preserve the digests during copying. Fail
  # if the digest cannot be preserved." (skopeo-copy(1), skopeo 1.9.3). skopeo's progress goes to
  # stderr: stdout carries the result line only.
  if skopeo copy --all --preserve-digests "${copy_flags[@]}" \
    "docker://$source_ref" "docker://$target_ref" >&2; then
    break
  fi
  # A failed attempt may still have landed (or a concurrent run may have): look before retrying.
  lookup "$target_ref"
  if [ "$found" = "$DIGEST" ]; then
    break
  elif [ -n "$found" ]; then
    die "$target_ref: tag exists with digest $found, pin says $DIGEST: tags are immutable"
  fi
  if [ "$attempt" -ge "$COPY_ATTEMPTS" ]; then
    die "copying $source_ref to $target_ref failed after $COPY_ATTEMPTS attempts (see above)"
  fi
  log "copy failed; retrying in ${delay}s"
  sleep "$delay"
  delay=$((delay * 2))
done

lookup "$target_ref"
if [ "$found" != "$DIGEST" ]; then
  die "copied, but $target_ref has digest ${found:-none}, expected $DIGEST"
fi
echo "copied $source_ref to $target_ref"
