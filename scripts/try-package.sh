#!/usr/bin/env bash
# Tries the packed package as a new user would: a `cdk init app --language typescript`-shaped
# project (ts-node, type-checked) with aws-cdk-lib at the version given (default: the peer floor),
# the README's "In your own CDK app" example, and `npx mlspec validate`. Needs the npm registry.
#   bash scripts/try-package.sh [aws-cdk-lib version]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VERSION=${1:-$(node -p "require('$ROOT/package.json').peerDependencies['aws-cdk-lib'].replace(/^\^/, '')")}
WORK=$(mktemp -d)
npm pack --pack-destination "$WORK" --silent --prefix "$ROOT" >/dev/null
cd "$WORK" && mkdir -p app/bin && cd app
echo '{ "name": "infra", "version": "0.1.0", "private": true }' > package.json
echo '{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "lib": ["es2022"], "strict": true, "skipLibCheck": true } }' > tsconfig.json
echo '{ "app": "npx ts-node --prefer-ts-exts bin/infra.ts" }' > cdk.json
cp "$ROOT/examples/mlspec.yaml" "$ROOT/examples/releases.yaml" .
node -e "const s=require('fs').readFileSync('$ROOT/README.md','utf8'); process.stdout.write(/\`\`\`ts\n(\/\/ infra\/app\.ts\n[\s\S]*?)\`\`\`/.exec(s)[1])" > bin/infra.ts
npm i --silent "$WORK"/mlspec-cdk-*.tgz "aws-cdk-lib@$VERSION" constructs@10 ts-node@10 typescript@5.9 @types/node@20
CDK_OUTDIR=cdk.out npx ts-node --prefer-ts-exts bin/infra.ts
echo "aws-cdk-lib $VERSION: $(ls cdk.out | grep -c '\.template\.json$') templates; one aws-cdk-lib: $(find node_modules -path '*/aws-cdk-lib/package.json' -not -path '*/aws-cdk-lib/*/aws-cdk-lib/*' | wc -l)"
npx mlspec validate --spec mlspec.yaml --releases releases.yaml
