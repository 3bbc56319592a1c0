#!/usr/bin/env bash
# Release helpers for release.yml (run from the repository's top folder):
#
#   release-table.sh check TAG        TAG is `v` + Cargo.toml's version (exit 1 if not)
#   release-table.sh moving-tag TAG   the tag the action is used through (README):
#                                     vMAJOR from 1.0 on, v0.MINOR before (the range
#                                     Cargo's `^` treats as compatible); nothing for
#                                     a pre-release (v1.2.0-rc.1 moves no tag)
#   release-table.sh add TAG SUMS     put the release's hashes into the action's
#                                     table: each `<sha256>  <file>` line of SUMS
#                                     (`sha256sum` output) becomes
#                                     `<sha256>  TAG  <file>`; lines of TAG already
#                                     there are replaced, others kept
#
# The tag policy these implement is in the README ("Versions and tags").
set -euo pipefail

table=.github/action/sha256sums.txt

valid_tag() { [[ "$1" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]]; }

need_tag() {
  if ! valid_tag "${1:-}"; then
    echo "release-table.sh: \`${1:-}\` is not a release tag like v1.2.3" >&2
    exit 2
  fi
}

case "${1:-}" in
  check)
    need_tag "${2:-}"
    version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
    if [ "v$version" != "$2" ]; then
      echo "release-table.sh: tag $2 does not match Cargo.toml's version $version: tag v$version, or bump the version first" >&2
      exit 1
    fi
    ;;
  moving-tag)
    need_tag "${2:-}"
    [[ "$2" == *-* ]] && exit 0
    IFS=. read -r major minor _ <<< "${2#v}"
    if [ "$major" = 0 ]; then echo "v0.$minor"; else echo "v$major"; fi
    ;;
  add)
    need_tag "${2:-}"
    sums="${3:?usage: release-table.sh add TAG SUMS}"
    new="$(awk -v v="$2" '
      NF == 0 { next }
      NF != 2 || length($1) != 64 || $1 ~ /[^0-9a-f]/ || $2 !~ /^\*?chat-template-lint-[A-Za-z0-9_.-]+$/ {
        print "release-table.sh: not a sha256sum line: " $0 > "/dev/stderr"; bad = 1; next
      }
      { sub(/^\*/, "", $2); printf "%s  %s  %s\n", $1, v, $2 }
      END { exit bad }' "$sums")"
    if [ -z "$new" ]; then
      echo "release-table.sh: $sums lists no binary" >&2
      exit 1
    fi
    kept="$(awk -v v="$2" 'NF > 0 && ($1 ~ /^#/ || NF != 3 || $2 != v)' "$table")"
    printf '%s\n%s\n' "$kept" "$new" > "$table"
    ;;
  *)
    echo "usage: release-table.sh check TAG | moving-tag TAG | add TAG SUMS" >&2
    exit 2
    ;;
esac
