#!/usr/bin/env bash
# Registry round trip: publishes every package to a private Verdaccio on 127.0.0.1 with the
# normal changesets flow (`changeset version`, then `changeset publish`, in a scratch copy of
# the repository), then, for each package, creates a new project outside the monorepo, runs the
# `bun add` line of the README's "Install" section, runs the first TypeScript example at or
# after that section, type-checks it with strict, noUncheckedIndexedAccess and
# exactOptionalPropertyTypes, and runs the package's CLI through `bunx --no-install` (--help,
# --version, a bad flag) and as node_modules/.bin/<bin> by itself (shebang, executable bit);
# hugemem also allocates 8 MiB (`alloc 8M --json`) and l2fwd forwards for two seconds. A file
# a package needs but did not ship fails here.
#
# Prints one line per check and ends with "round trip: N passed, N failed"; exit 1 on a failure.
# Needs node + npm (Verdaccio 6.8 runs on Node 20), bun, and network access to the npm registry
# for Verdaccio itself and third-party dependencies (zod, yaml, @types/bun).
set -uo pipefail
for tool in node npm curl bun git; do
  command -v "$tool" >/dev/null || { echo "round trip: $tool is not installed"; echo "round trip: 0 passed, 1 failed"; exit 1; }
done
if (($(node -p 'process.versions.node.split(".")[0]') < 20)); then
  echo "round trip: Verdaccio 6.8 needs Node 20 or later, this is $(node --version); install nodejs >= 20"
  echo "round trip: 0 passed, 1 failed"
  exit 1
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
VERDACCIO_VERSION=6.8.0
passed=0
failed=0
pass() { passed=$((passed + 1)); printf '  ok    %s  [%ss]\n' "$1" "$SECONDS"; }
fail() { failed=$((failed + 1)); printf '  FAIL  %s\n' "$1"; [ -n "${2:-}" ] && sed 's/^/        /' <<<"$2" | tail -n 20; }
finish() {
  echo "round trip: $passed passed, $failed failed"
  ((failed == 0))
  exit $?
}

work=$(mktemp -d "${TMPDIR:-/tmp}/dataplane-roundtrip.XXXXXX")
verdaccio_pid=
cleanup() {
  if [ -n "$verdaccio_pid" ] && kill -0 "$verdaccio_pid" 2>/dev/null; then
    kill "$verdaccio_pid" 2>/dev/null
    wait "$verdaccio_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# npm (changesets' publish) gets its own user config, holding the token for the local registry.
# Its cache stays the user's: tarballs there are keyed by content, so Verdaccio's installs reuse
# it and a republished @dataplane version cannot be served from it.
export NPM_CONFIG_USERCONFIG="$work/npmrc" CI=true

# ---- Verdaccio ---------------------------------------------------------------------------
echo "verdaccio $VERDACCIO_VERSION"
if ! out=$(npm install --prefix "$work/verdaccio" --no-audit --no-fund --loglevel=error \
  "verdaccio@$VERDACCIO_VERSION" 2>&1); then
  fail "npm install verdaccio@$VERDACCIO_VERSION" "$out"
  finish
fi
port=$(node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
registry="http://127.0.0.1:$port/"
cat >"$work/verdaccio.yaml" <<EOF
storage: $work/storage
auth:
  htpasswd:
    file: $work/htpasswd
    max_users: 1
uplinks: {}
packages:
  "@dataplane/*":
    access: \$all
    publish: \$authenticated
  "**":
    access: \$all
    publish: \$authenticated
web:
  enable: false
log: { type: stdout, format: pretty, level: warn }
EOF
node "$work/verdaccio/node_modules/verdaccio/bin/verdaccio" --config "$work/verdaccio.yaml" \
  --listen "127.0.0.1:$port" >"$work/verdaccio.log" 2>&1 &
verdaccio_pid=$!
up=
for _ in $(seq 1 600); do # up to 60 s on a busy machine
  if curl -sf "$registry-/ping" >/dev/null; then up=1 && break; fi
  kill -0 "$verdaccio_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$up" ]; then
  fail "verdaccio listening on $registry" "$(cat "$work/verdaccio.log")"
  finish
fi
token=$(curl -sf -X PUT -H 'content-type: application/json' \
  -d '{"name":"ci","password":"round-trip"}' "$registry-/user/org.couchdb.user:ci" |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token??""))')
if [ -z "$token" ]; then
  fail "verdaccio user for publishing" "$(cat "$work/verdaccio.log")"
  finish
fi
printf '//127.0.0.1:%s/:_authToken=%s\n' "$port" "$token" >"$NPM_CONFIG_USERCONFIG"
pass "verdaccio on $registry"

# ---- changeset version + changeset publish, in a scratch copy ------------------------------
copy="$work/repo"
mkdir -p "$copy"
(cd "$repo" && git ls-files -co --exclude-standard -z | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
  tar -xf - -C "$copy"
(cd "$copy" && git init -q -b main && git add -A && git -c user.name=ci -c user.email=ci@localhost commit -qm snapshot)
if ! out=$(cd "$copy" && bun install --frozen-lockfile 2>&1); then
  fail "bun install in the scratch copy" "$out"
  finish
fi
if out=$(cd "$copy" && bun --bun ./node_modules/.bin/changeset version </dev/null 2>&1); then
  pass "changeset version"
else
  fail "changeset version" "$out"
fi
if out=$(cd "$copy" && npm_config_registry=$registry bun --bun ./node_modules/.bin/changeset publish --no-git-tag </dev/null 2>&1); then
  pass "changeset publish"
else
  fail "changeset publish" "$out"
  finish
fi

# ---- one new project per package ---------------------------------------------------------
# The projects install with their own cache: a version republished with other contents must
# never come from a cache that earlier runs filled.
export BUN_INSTALL_CACHE_DIR="$work/bun-cache"
# The README's "Install" section, from its heading to the next "## " heading.
install_section() { awk '/^## Install/{on=1; print; next} on && /^## /{exit} on' "$1"; }
# The first ```ts block at or after "## Install".
first_ts_block() { awk '/^## Install/{on=1} on && /^```ts/{b=1; next} b && /^```/{exit} b' "$1"; }

consumer_tsconfig='{
  "compilerOptions": {
    "target": "ESNext", "lib": ["ESNext"], "module": "Preserve", "moduleResolution": "bundler",
    "moduleDetection": "force", "types": ["bun"], "noEmit": true, "verbatimModuleSyntax": true,
    "strict": true, "noUncheckedIndexedAccess": true, "exactOptionalPropertyTypes": true,
    "skipLibCheck": false
  }
}'

new_project() { # dir
  mkdir -p "$1"
  printf '{ "name": "consumer", "private": true, "type": "module" }\n' >"$1/package.json"
  printf '[install.scopes]\n"@dataplane" = "%s"\n' "$registry" >"$1/bunfig.toml"
  printf '%s\n' "$consumer_tsconfig" >"$1/tsconfig.json"
}

tsc="$repo/node_modules/.bin/tsc"
declare -A bins=([hugemem]=hugemem [pagemap]=pagemap [pci]=pci [ixgbe-sim]=ixgbe-sim [l2fwd]=l2fwd)
# A bad flag for each CLI and a word its one-line error must contain.
declare -A bad_flag=([hugemem]="status --frobnicate" [pagemap]="--frobnicate" [pci]="list --frobnicate"
  [ixgbe-sim]="--frobnicate" [l2fwd]="--frobnicate")

for dir in packages/sys packages/hugemem packages/pagemap packages/mempool packages/dmapool \
  packages/pci packages/vfio packages/ixgbe packages/ixgbe-sim packages/dma-guard apps/l2fwd; do
  short=${dir#*/}
  name="@dataplane/$short"
  readme="$copy/$dir/README.md"
  version=$(node -p "require('$copy/$dir/package.json').version")
  project="$work/consumer-$short"
  new_project "$project"
  add_line=$(install_section "$readme" | grep -m1 '^bun add ')
  if [ -z "$add_line" ]; then
    fail "$name: README has an Install section with a bun add line"
    continue
  fi
  if ! out=$(cd "$project" && eval "$add_line" 2>&1 && bun add -d @types/bun@1.4.4 2>&1); then
    fail "$name: $add_line" "$out"
    continue
  fi
  pass "$name@$version: $add_line"
  installed="$project/node_modules/$name"
  missing=
  for f in package.json README.md LICENSE dist/index.d.ts src/index.ts; do
    [ -f "$installed/$f" ] || missing+=" $f"
  done
  for f in test bench tsconfig.json; do
    [ -e "$installed/$f" ] && missing+=" (ships $f)"
  done
  if [ -z "$missing" ]; then pass "$name: tarball contents"; else fail "$name: tarball contents:$missing"; fi

  example=$(first_ts_block "$readme")
  if [ -z "$example" ]; then
    fail "$name: README example after the Install section"
  else
    printf '%s\n' "$example" >"$project/example.ts"
    if out=$(cd "$project" && timeout 120 bun example.ts 2>&1); then
      pass "$name: README example runs"
    else
      fail "$name: README example runs" "$out"
    fi
    # Every export entry of the package, plus the example, under the strict consumer flags.
    node -e '
      const p = require(process.argv[1] + "/package.json");
      for (const [k, i] of Object.keys(p.exports).map((k, i) => [k, i]))
        console.log(`export * as e${i} from "${p.name}${k === "." ? "" : k.slice(1)}";`);
    ' "$installed" >"$project/entries.ts"
    if out=$(cd "$project" && "$tsc" -p . 2>&1); then
      pass "$name: types check in a strict consumer"
    else
      fail "$name: types check in a strict consumer" "$out"
    fi
  fi

  bin=${bins[$short]:-}
  [ -n "$bin" ] || continue
  out=$(cd "$project" && bunx --no-install "$bin" --help 2>&1)
  if [ $? -eq 0 ] && grep -qi "usage" <<<"$out"; then pass "$name: bunx $bin --help"; else fail "$name: bunx $bin --help" "$out"; fi
  out=$(cd "$project" && bunx --no-install "$bin" --version 2>&1)
  if [ $? -eq 0 ] && [ "$(head -c 200 <<<"$out" | cut -d' ' -f1-2)" = "$bin $version" ]; then
    pass "$name: bunx $bin --version"
  else
    fail "$name: bunx $bin --version (expected \"$bin $version ...\")" "$out"
  fi
  # As a shell or a package script runs it: needs the shebang and the executable bit.
  out=$(cd "$project" && "./node_modules/.bin/$bin" --version 2>&1)
  if [ $? -eq 0 ] && [ "$(cut -d' ' -f1-2 <<<"$out")" = "$bin $version" ]; then
    pass "$name: node_modules/.bin/$bin runs by itself"
  else
    fail "$name: node_modules/.bin/$bin runs by itself" "$out"
  fi
  # shellcheck disable=SC2086
  out=$(cd "$project" && bunx --no-install "$bin" ${bad_flag[$short]} 2>&1 >/dev/null)
  rc=$?
  first=$(head -n1 <<<"$out")
  if [ $rc -eq 2 ] && [[ $first == "$bin: "*--frobnicate* ]]; then
    pass "$name: bunx $bin ${bad_flag[$short]} -> exit 2, one clear line"
  else
    fail "$name: bunx $bin ${bad_flag[$short]} -> exit 2 naming the flag (got exit $rc)" "$out"
  fi
  if [ "$short" = hugemem ]; then
    # A real allocation from the installed package: 8 MiB of 2 MiB pages, proven, with its SG list.
    out=$(cd "$project" && timeout 120 bunx --no-install hugemem alloc 8M --json 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && node -e '
      const r = JSON.parse(process.argv[1]);
      const sum = r.segments.reduce((s, g) => s + g.bytes, 0);
      process.exit(r.bytes === 8388608 && r.pages === 4 && r.segmentCount === r.segments.length &&
        sum === r.bytes && r.segmentCount >= 1 ? 0 : 1);
    ' "$out" 2>/dev/null; then
      pass "$name: bunx hugemem alloc 8M --json allocates, proves and lists the segments"
    else
      fail "$name: bunx hugemem alloc 8M --json (exit $rc)" "$out"
    fi
  fi
  if [ "$short" = l2fwd ]; then
    # The whole stack from the installed packages: l2fwd starts ixgbe-sim's CLI and its Workers.
    if out=$(cd "$project" && timeout 120 bunx --no-install l2fwd --duration 2 --quiet 2>&1); then
      pass "$name: bunx l2fwd --duration 2 --quiet forwards and validates"
    else
      fail "$name: bunx l2fwd --duration 2 --quiet forwards and validates" "$out"
    fi
  fi
done
finish
