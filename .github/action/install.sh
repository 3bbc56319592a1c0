#!/usr/bin/env bash
# Install step of action.yml: put a verified chat-template-lint binary on disk
# and report its path as the step output `bin`.
#
# 1. The target triple for this runner (RUNNER_OS_NAME / RUNNER_ARCH_NAME).
# 2. The version: INPUT_VERSION, else the newest one in sha256sums.txt.
# 3. If the table has a hash for (version, asset): download the release asset
#    of ACTION_REPOSITORY and compare; a mismatch is fatal (never run it).
# 4. Otherwise, or if the download is impossible: say so in the log (a
#    notice), then cargo install --locked from the action's own source
#    (GITHUB_ACTION_PATH), with cargo's build output shown in the log.
set -euo pipefail

here="$GITHUB_ACTION_PATH"
table="$here/.github/action/sha256sums.txt"
dest="${RUNNER_TEMP:-/tmp}/chat-template-lint"
mkdir -p "$dest/bin"

exe=""
case "$RUNNER_OS_NAME/$RUNNER_ARCH_NAME" in
  Linux/X64) target=x86_64-unknown-linux-gnu ;;
  Linux/ARM64) target=aarch64-unknown-linux-gnu ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc; exe=.exe ;;
  *) target="" ;;
esac
asset="chat-template-lint-$target$exe"

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# Only version strings that look like release tags are used in URLs.
valid_version() { [[ "$1" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-.][0-9A-Za-z.]+)?$ ]]; }

# Which repository and ref this action was fetched from. github.action_repository
# and github.action_ref can be empty inside composite actions, so fall back to
# the checkout path the runner uses: .../_actions/<owner>/<repo>/<ref>.
repo="${ACTION_REPOSITORY:-}"
ref="${ACTION_REF:-}"
if [[ "$here" =~ /_actions/([^/]+)/([^/]+)/([^/]+)/?$ ]]; then
  [ -z "$repo" ] && repo="${BASH_REMATCH[1]}/${BASH_REMATCH[2]}"
  [ -z "$ref" ] && ref="${BASH_REMATCH[3]}"
fi

listed() { [ -f "$table" ] && grep -v '^#' "$table" | awk 'NF == 3 { print $2 }' | sort -u; }

# The version: the input, else the action's own ref when it is a release
# listed in the table (uses: ...@v1.2.3), else the newest listed release.
version="${INPUT_VERSION:-}"
if [ -z "$version" ] && [ -n "$ref" ] && listed | grep -qxF -- "$ref"; then
  version="$ref"
fi
if [ -z "$version" ]; then
  version="$(listed | sort -V | tail -n 1 || true)"
fi

if [ -n "$version" ] && ! valid_version "$version"; then
  echo "::error title=chat-template-lint::input version is not a release tag like v1.2.3"
  exit 2
fi

expected=""
if [ -n "$target" ] && [ -n "$version" ] && [ -f "$table" ]; then
  expected="$(awk -v v="$version" -v a="$asset" '$1 !~ /^#/ && $2 == v && $3 == a { print $1 }' "$table" | head -n 1)"
fi

bin="$dest/bin/chat-template-lint$exe"
if [ -n "$expected" ] && [[ "$repo" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]; then
  url="https://github.com/$repo/releases/download/$version/$asset"
  echo "Downloading $url"
  if curl --proto '=https' --tlsv1.2 -fsSL --retry 3 -o "$bin.part" "$url"; then
    actual="$(sha256 "$bin.part")"
    if [ "$actual" != "$expected" ]; then
      echo "::error title=chat-template-lint::sha256 of $asset is $actual, the table in the action says $expected: refusing to run it"
      rm -f "$bin.part"
      exit 2
    fi
    mv "$bin.part" "$bin"
    chmod +x "$bin"
    echo "Verified $asset ($version) against the action's sha256 table."
    echo "bin=$bin" >> "$GITHUB_OUTPUT"
    exit 0
  fi
fi

# Say why, then build where the log shows it: a first run takes minutes, and
# a silent step looks hung. (`version` passed valid_version when it was used.)
if [ -z "$version" ]; then
  echo "::notice title=chat-template-lint::No release is listed in the action's .github/action/sha256sums.txt yet, so the action builds chat-template-lint from its own source (cargo install --locked; a few minutes). Pin a release tag (see the README) for a verified binary."
elif [ -z "$expected" ]; then
  echo "::notice title=chat-template-lint::The action's sha256 table lists no ${target:-binary for this runner} binary of $version, so the action builds chat-template-lint from its own source (cargo install --locked; a few minutes)."
else
  echo "::notice title=chat-template-lint::The release binary could not be downloaded, so the action builds chat-template-lint from its own source (cargo install --locked; a few minutes)."
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "::error title=chat-template-lint::building from source needs cargo on the runner (GitHub-hosted runners have it; elsewhere install Rust first, e.g. with rustup)"
  exit 2
fi
echo "cargo install --locked --path $here --root $dest"
cargo install --locked --path "$here" --root "$dest"
echo "bin=$bin" >> "$GITHUB_OUTPUT"
