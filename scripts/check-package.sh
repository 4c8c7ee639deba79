#!/usr/bin/env bash
# Checks the package as a new user gets it, from this checkout. Network: the npm registry only
# (installs use the npm cache first). Needs this repository's node_modules (npm ci) and python3.
#   1. builds it (handlers, CLI, jsii: 0 errors, warnings listed) and packs it; the tarball holds
#      the jsii assembly just built and the bundled yaml and zod
#   2. reference: this repository's own app (bin/app.ts, from sources) synthesizes examples/
#   3. a `cdk init app --language typescript`-shaped ts-node project, aws-cdk-lib at the peer
#      minimum (or VERSION), the tarball installed, README's `// infra/app.ts` block as written;
#      `npx mlspec validate`
#   4. a plain JavaScript app, aws-cdk-lib at this repository's dev version, README's `// infra/app.js`
#   5. each app's templates equal to the reference's (scripts/compare-templates.ts)
#   6. Python: the package jsii-pacmak generates compiles, has the README's classes, and builds a wheel
#   7. the Python app's calls made through the jsii kernel (scripts/jsii-kernel-synth.ts) synthesize
#      the reference's templates too
# One line per check; the first failure stops the script with what went wrong.
#   bash scripts/check-package.sh [VERSION]  (VERSION: the ts-node app's aws-cdk-lib, to try another
#                                             than the peer minimum; CHECK_PACKAGE_KEEP=1 keeps the work directory)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
START=$SECONDS
NPM_INSTALL=(npm install --prefer-offline --no-audit --no-fund --loglevel=error)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlspec-check-package.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [[ -n ${CHECK_PACKAGE_KEEP:-} ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

ok() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*" >&2; exit 1; }
# Runs a command with its output in a log; on failure prints the log and stops.
quiet() {
  local log=$1 rc=0; shift
  "$@" >"$log" 2>&1 || rc=$?
  if ((rc)); then cat "$log" >&2; fail "$* (exit $rc)"; fi
}
# The README's fenced block of language $1 whose first line is $2, as written.
readme_block() {
  node -e '
    const [readme, lang, first] = process.argv.slice(1);
    const esc = (s) => s.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&");
    const m = new RegExp("```" + lang + "\\n(" + esc(first) + "\\n[\\s\\S]*?)```").exec(require("fs").readFileSync(readme, "utf8"));
    if (!m) { console.error(`README.md has no \`\`\`${lang} block starting with ${first}`); process.exit(1); }
    process.stdout.write(m[1]);' "$ROOT/README.md" "$1" "$2"
}
# Installed version of package $2 in the project $1.
installed() { node -p "require('$1/node_modules/$2/package.json').version"; }
# Copies of package $2 anywhere in $1/node_modules.
copies() { find "$1/node_modules" -path "*/node_modules/$2/package.json" | wc -l; }

[[ -x node_modules/.bin/jsii && -x node_modules/.bin/jsii-pacmak && -d node_modules/aws-cdk-lib ]] || fail "no node_modules here: run npm ci first"
command -v python3 >/dev/null || fail "python3 is needed for the Python check"

PEER_MIN=$(node -p "require('./package.json').peerDependencies['aws-cdk-lib'].replace(/^[\^~>=\s]+/, '')")
[[ $PEER_MIN =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "cannot read the aws-cdk-lib peer minimum from package.json ($PEER_MIN)"
DEV_CDK=$(installed "$ROOT" aws-cdk-lib)
TS_CDK=${1:-$PEER_MIN}

# ---- 1. Build and pack -------------------------------------------------------------------------
# `npm run build` is what prepack runs (handlers, CLI, jsii); were jsii ever not part of it, jsii
# runs after it. The tarball is packed without scripts, so it holds exactly what was just built and
# checked, built once.
BUILD_SCRIPT=$(node -p "require('./package.json').scripts.build")
quiet "$WORK/build.log" npm run build
if [[ $BUILD_SCRIPT != *jsii* ]]; then quiet "$WORK/jsii.log" npx jsii; cat "$WORK/jsii.log" >>"$WORK/build.log"; fi
SUMMARY=$(grep -Eo 'Errors: [0-9]+ \| Warnings: [0-9]+' "$WORK/build.log" | tail -1 || true)
ERRORS=$(grep -Ec '\berror (JSII|TS)[0-9]+' "$WORK/build.log" || true)
[[ -z $SUMMARY || $SUMMARY == 'Errors: 0 |'* ]] && [[ $ERRORS == 0 ]] || { cat "$WORK/build.log" >&2; fail "jsii reported errors"; }
# Warnings are listed, not failed on. JSII6 metadata/missing-dev-dependency: the dev dependencies
# are newer than the peer minimum on purpose (the repository tests with the newer aws-cdk-lib).
WARNINGS=$(grep -Eo '\bwarning (JSII|TS)[0-9]+: .*' "$WORK/build.log" | sort -u || true)
PEER_NOTES=$(grep -c 'missing-dev-dependency' <<<"$WARNINGS" || true)
OTHER=$(grep -v 'missing-dev-dependency' <<<"$WARNINGS" | grep -c . || true)
ok "jsii: 0 errors; warnings: $PEER_NOTES JSII6 peer/dev version notes, $OTHER other"
grep -v -e 'missing-dev-dependency' -e '^$' <<<"$WARNINGS" | sed 's/^/        /' || true

mkdir "$WORK/pack"
TGZ="$WORK/pack/$(npm pack --ignore-scripts --silent --pack-destination "$WORK/pack" | tail -1)"
[[ -f $TGZ ]] || fail "npm pack wrote no tarball"
tar tzf "$TGZ" >"$WORK/pack/files"
for f in .jsii package.json dist/index.js dist/index.d.ts bin/mlspec.js dist/cli/mlspec.js dist/handlers/sagemaker/index.js \
  dist/handlers/vertex/index.js dist/handlers/azureml/index.js node_modules/yaml/package.json node_modules/zod/package.json; do
  grep -qxF "package/$f" "$WORK/pack/files" || fail "$(basename "$TGZ") has no $f"
done
tar xzf "$TGZ" -O package/.jsii | cmp -s - .jsii || fail "the tarball's .jsii is not the assembly jsii just wrote"
ok "packed $(basename "$TGZ") ($(( $(stat -c %s "$TGZ") / 1024 )) KiB, $(wc -l <"$WORK/pack/files") files): .jsii as just built, dist/, CLI, handlers, bundled yaml and zod"

# ---- Both apps' projects; their installs run while the reference synthesizes -------------------
TS_APP=$WORK/ts-app
JS_APP=$WORK/js-app
mkdir -p "$TS_APP/bin" "$JS_APP/infra"
cat >"$TS_APP/package.json" <<EOF
{
  "name": "infra", "version": "0.1.0", "private": true,
  "dependencies": { "@mlspec/cdk": "file:$TGZ", "aws-cdk-lib": "$TS_CDK", "constructs": "^10.0.0" },
  "devDependencies": { "@types/node": "^20", "ts-node": "^10", "typescript": "~5.9.0" }
}
EOF
# cdk init app --language typescript's tsconfig.json (types: no jest here).
cat >"$TS_APP/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "lib": ["es2022"],
    "declaration": true, "strict": true, "noImplicitAny": true, "strictNullChecks": true, "noImplicitThis": true,
    "alwaysStrict": true, "noUnusedLocals": false, "noUnusedParameters": false, "noImplicitReturns": true,
    "noFallthroughCasesInSwitch": false, "inlineSourceMap": true, "inlineSources": true, "experimentalDecorators": true,
    "strictPropertyInitialization": false, "skipLibCheck": true, "typeRoots": ["./node_modules/@types"],
    "noEmit": true, "isolatedModules": true, "types": ["node"]
  },
  "exclude": ["node_modules", "cdk.out"]
}
EOF
echo '{ "app": "npx ts-node --prefer-ts-exts bin/infra.ts" }' >"$TS_APP/cdk.json"
readme_block ts '// infra/app.ts' >"$TS_APP/bin/infra.ts" || fail "README's TypeScript example"

cat >"$JS_APP/package.json" <<EOF
{
  "name": "infra", "version": "0.1.0", "private": true,
  "dependencies": { "@mlspec/cdk": "file:$TGZ", "aws-cdk-lib": "$DEV_CDK", "constructs": "^10.0.0" }
}
EOF
echo '{ "app": "node infra/app.js" }' >"$JS_APP/cdk.json"
readme_block js '// infra/app.js' >"$JS_APP/infra/app.js" || fail "README's JavaScript example"

for app in "$TS_APP" "$JS_APP"; do
  cp examples/mlspec.yaml examples/releases.yaml "$app/"
  (cd "$app" && "${NPM_INSTALL[@]}" >install.log 2>&1) &
  PIDS+=($!)
done

# ---- 2. Reference templates --------------------------------------------------------------------
REF=$WORK/reference
CONTEXT=$(node -p "JSON.stringify({ spec: '$ROOT/examples/mlspec.yaml', releases: '$ROOT/examples/releases.yaml' })")
quiet "$WORK/reference.log" env CDK_OUTDIR="$REF" CDK_CONTEXT_JSON="$CONTEXT" node --require tsx/cjs bin/app.ts
ok "reference: this repository's app from sources, aws-cdk-lib $DEV_CDK: $(ls "$REF" | grep -c '\.template\.json$') templates of examples/"

for i in 0 1; do
  app=$([[ $i == 0 ]] && echo "$TS_APP" || echo "$JS_APP")
  wait "${PIDS[$i]}" || { cat "$app/install.log" >&2; fail "npm install in the $(basename "$app") project"; }
done
PIDS=()

# ---- 3. ts-node app, aws-cdk-lib at the peer minimum -------------------------------------------
[[ $(installed "$TS_APP" aws-cdk-lib) == "$TS_CDK" ]] || fail "ts-node app: aws-cdk-lib $(installed "$TS_APP" aws-cdk-lib) installed, not $TS_CDK"
[[ $(copies "$TS_APP" aws-cdk-lib) == 1 && $(copies "$TS_APP" constructs) == 1 ]] ||
  fail "ts-node app: $(copies "$TS_APP" aws-cdk-lib) aws-cdk-lib and $(copies "$TS_APP" constructs) constructs in node_modules, expected one each"
(cd "$TS_APP" && quiet "$WORK/ts-app.log" env CDK_OUTDIR=cdk.out npx ts-node --prefer-ts-exts bin/infra.ts)
(cd "$TS_APP" && quiet "$WORK/ts-app-validate.log" npx mlspec validate --spec mlspec.yaml --releases releases.yaml)
ok "ts-node app (cdk init shape, typescript $(installed "$TS_APP" typescript), ts-node $(installed "$TS_APP" ts-node)): README's infra/app.ts type-checks and synthesizes; one aws-cdk-lib ($TS_CDK), one constructs ($(installed "$TS_APP" constructs)); npx mlspec validate passes"

# ---- 4. Plain JavaScript app, aws-cdk-lib at the dev version -----------------------------------
[[ $(installed "$JS_APP" aws-cdk-lib) == "$DEV_CDK" ]] || fail "JavaScript app: aws-cdk-lib $(installed "$JS_APP" aws-cdk-lib) installed, not $DEV_CDK"
[[ $(copies "$JS_APP" aws-cdk-lib) == 1 && $(copies "$JS_APP" constructs) == 1 ]] ||
  fail "JavaScript app: $(copies "$JS_APP" aws-cdk-lib) aws-cdk-lib and $(copies "$JS_APP" constructs) constructs in node_modules, expected one each"
(cd "$JS_APP" && quiet "$WORK/js-app.log" env CDK_OUTDIR=cdk.out node infra/app.js)
ok "JavaScript app (plain node $(node --version)): README's infra/app.js synthesizes; one aws-cdk-lib ($DEV_CDK), one constructs ($(installed "$JS_APP" constructs))"

# ---- 5. Templates equal to the reference's -----------------------------------------------------
compare() {
  local line
  line=$(npx tsx scripts/compare-templates.ts "$REF" "$1" --label "$2") || fail "$2: templates differ from the repository's (above)"
  ok "$line"
}
compare "$TS_APP/cdk.out" "ts-node app"
compare "$JS_APP/cdk.out" "JavaScript app"

# ---- 6. Python package -------------------------------------------------------------------------
# --code-only: pacmak's own wheel build installs Python tools from the package index, which these
# machines do not reach; the wheel is built below from the same source instead. pacmak
# packs the module itself (the tarball it embeds): npm_config_ignore_scripts keeps that pack from
# running prepack, so it embeds what was just built.
PY=$WORK/python
quiet "$WORK/pacmak.log" env npm_config_ignore_scripts=true npx jsii-pacmak --targets python --code-only -o "$PY"
PKG=$PY/python/src/mlspec_cdk
[[ -f $PKG/__init__.py ]] || fail "jsii-pacmak wrote no python/src/mlspec_cdk/__init__.py"
python3 -m compileall -q "$PY/python" >"$WORK/compileall.log" 2>&1 || { cat "$WORK/compileall.log" >&2; fail "the generated Python package does not compile"; }
grep -q '"name": "mlspec-cdk"' "$PY/python/setup.py" || fail "setup.py does not name the distribution mlspec-cdk"
grep -q "\"aws-cdk-lib>=$PEER_MIN" "$PY/python/setup.py" || fail "setup.py does not require aws-cdk-lib>=$PEER_MIN"
tar xzf "$PKG"/_jsii/*.jsii.tgz -O package/.jsii | cmp -s - .jsii || fail "the Python package embeds another .jsii than the one just built"
python3 - "$PKG/__init__.py" <<'EOF' || fail "the generated Python module misses names (above)"
import ast, sys
tree = ast.parse(open(sys.argv[1]).read())
classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
exported = None
for n in tree.body:
    if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets):
        exported = set(ast.literal_eval(n.value))
want = ["MlspecApp", "MlspecProject", "ProjectFiles", "ModelStack", "HandlersStack", "ModelEndpoint",
        "ModelRegistry", "VertexModel", "AzureMlModel", "TrainingPipeline"]
missing = [w for w in want if w not in classes]
unexported = [w for w in want if exported is not None and w not in exported]
methods = {f.name for f in classes.get("MlspecApp", ast.ClassDef(body=[])).body if isinstance(f, ast.FunctionDef)}
problems = ([f"no class {m}" for m in missing] + [f"{u} not in __all__" for u in unexported]
            + ([] if "add_model_stacks" in methods else ["MlspecApp has no add_model_stacks"]))
for p in problems: print(f"  {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
ok "Python: jsii-pacmak's mlspec_cdk (mlspec-cdk, aws-cdk-lib>=$PEER_MIN) compiles with $(python3 --version); MlspecApp (add_model_stacks), MlspecProject, ProjectFiles, ModelStack, HandlersStack, ModelEndpoint, ModelRegistry, VertexModel, AzureMlModel, TrainingPipeline defined and in __all__"

# The wheel, built from that source as pacmak's full build would, in a venv of its own (cached in
# node_modules/.cache): pip reaches only the machine's local package index, which has setuptools and
# wheel but not the jsii runtime or aws-cdk-lib, so the wheel is built without its dependencies.
VENV=$ROOT/node_modules/.cache/mlspec-py-build
if [[ ! -x $VENV/bin/python ]] || ! "$VENV/bin/python" -c 'import setuptools, wheel' 2>/dev/null; then
  rm -rf "$VENV"
  quiet "$WORK/venv.log" python3 -m venv "$VENV"
  quiet "$WORK/venv.log" "$VENV/bin/pip" install --quiet --disable-pip-version-check 'setuptools>=70.1' wheel
fi
quiet "$WORK/wheel.log" "$VENV/bin/pip" wheel --quiet --disable-pip-version-check --no-build-isolation --no-deps -w "$WORK/wheel" "$PY/python"
WHEEL=$(ls "$WORK"/wheel/mlspec_cdk-*-py3-none-any.whl 2>/dev/null | head -1)
[[ -n $WHEEL ]] || fail "pip wheel wrote no mlspec_cdk wheel"
"$VENV/bin/python" - "$WHEEL" <<'PY' || fail "the wheel misses files (above)"
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
missing = [w for w in ["mlspec_cdk/__init__.py", "mlspec_cdk/_jsii/__init__.py"] if w not in names]
if not any(n.startswith("mlspec_cdk/_jsii/") and n.endswith(".jsii.tgz") for n in names):
    missing.append("the embedded .jsii.tgz")
for m in missing: print(f"  no {m} in the wheel", file=sys.stderr)
sys.exit(1 if missing else 0)
PY
ok "Python wheel: $(basename "$WHEEL") ($(( $(stat -c %s "$WHEEL") / 1024 )) KiB): the module and the embedded assembly"

# ---- 7. The Python app's calls, through the jsii kernel ----------------------------------------
# scripts/jsii-kernel-synth.ts <package tarball> <outdir> drives the packed assembly through the
# jsii kernel as the Python runtime does: README's Python app into <outdir>/app, and the constructs
# used alone, which it checks itself against the same made in TypeScript. Its scratch directory
# goes into $WORK (TMPDIR).
KERNEL_SYNTH=scripts/jsii-kernel-synth.ts
[[ -f $KERNEL_SYNTH ]] || fail "$KERNEL_SYNTH is missing"
env TMPDIR="$WORK" npx tsx "$KERNEL_SYNTH" "$TGZ" "$WORK/kernel" >"$WORK/kernel.out" 2>"$WORK/kernel.err" ||
  { cat "$WORK/kernel.out" "$WORK/kernel.err" >&2; fail "$KERNEL_SYNTH"; }
while IFS= read -r line; do ok "$line"; done <"$WORK/kernel.out"
compare "$WORK/kernel/app" "Python app (MlspecApp.add_model_stacks) through the jsii kernel"

ok "check-package: done in $((SECONDS - START)) s"
