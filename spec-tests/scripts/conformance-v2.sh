#!/usr/bin/env bash
# Conformance run on a pure cgroup v2 host: the qemu guest of scripts/vm/ (npm run test:cgroup-v2)
# or any unified-only machine. Runs the cgroup-related tests (cgroups.*, the device allow list
# and device nodes, cgroup namespaces, an unapplicable property, features, the lifecycle property
# tests whose pause/resume freeze the cgroup) against each runtime, one after another.
# Writes to ${OUT:-reports/cgroup-v2}/: conformance.json (every result and command),
# matrix.md (side by side, differences explained from knownDifferences.ts), conformance.md
# (passed/failed/skipped per suite and runtime). Exit status 1 if strata-runtime failed any test
# or another runtime failed one that reports/knownDifferences.ts does not explain.
# Env: OUT, RUNTIMES (comma list, default strata-runtime,runc and crun when installed),
#      FILTER (regex over test ids), PROPERTY_RUNS (default 5).
set -uo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS
OUT=${OUT:-reports/cgroup-v2}
mkdir -p "$OUT"
if ! grep -q ' /sys/fs/cgroup .* - cgroup2 ' /proc/self/mountinfo; then
  echo "conformance-v2: /sys/fs/cgroup is not a cgroup2 mount: this is not a pure cgroup v2 host" >&2
  exit 2
fi
if [ -z "${RUNTIMES:-}" ]; then
  RUNTIMES=strata-runtime,runc
  command -v crun >/dev/null && RUNTIMES=$RUNTIMES,crun
fi
FILTER=${FILTER:-'^(cgroups\.|devices\.|namespaces\.(new|inherit)\.cgroup$|operations\.create\.unapplicable-property$|features\.|property\.)'}
node dist/strata-spec-tests.mjs --compare "$RUNTIMES" --filter "$FILTER" --property-runs "${PROPERTY_RUNS:-5}" \
  --fail-on unexplained --format json --output "$OUT/conformance.json" --matrix "$OUT/matrix.md"
status=$?
# conformance.md: per suite (the id's first part) and runtime. A run that produced no JSON fails.
node - "$OUT/conformance.json" "$OUT/conformance.md" "$FILTER" <<'JS' || status=1
const fs = require('fs');
const [file, md, filter] = process.argv.slice(2);
let docs = JSON.parse(fs.readFileSync(file, 'utf8'));
if (!Array.isArray(docs)) docs = [docs];
const suites = [...new Set(docs.flatMap((d) => d.results.map((r) => r.id.split('.')[0])))];
const cell = (rs) => `${rs.filter((r) => r.outcome === 'pass').length} / ${rs.filter((r) => r.outcome === 'fail').length} / ${rs.filter((r) => r.outcome === 'skip').length}`;
const lines = [
  '# Conformance on a cgroup v2 host',
  '',
  `Tests matching \`${filter}\`; each cell: passed / failed / skipped.`,
  '',
  `| suite | ${docs.map((d) => d.runtime.name).join(' | ')} |`,
  `|---|${docs.map(() => '---').join('|')}|`,
  ...suites.map((s) => `| ${s} | ${docs.map((d) => cell(d.results.filter((r) => r.id.split('.')[0] === s))).join(' | ')} |`),
  `| **all** | ${docs.map((d) => `**${cell(d.results)}**`).join(' | ')} |`,
  '',
];
for (const d of docs) {
  const bad = d.results.filter((r) => r.outcome !== 'pass');
  if (!bad.length) continue;
  lines.push(`## ${d.runtime.name}: not passed`, '', '| result | level | test | detail |', '|---|---|---|---|');
  for (const r of bad) lines.push(`| ${r.outcome.toUpperCase()} | ${r.level} | ${r.id} | ${(r.message ?? '').split('\n')[0].replace(/\|/g, '\\|').slice(0, 300)} |`);
  lines.push('');
}
fs.writeFileSync(md, lines.join('\n'));
process.stdout.write(lines.join('\n') + '\n');
// Ours must pass everything that runs here (explained deviations are for the reference runtimes).
const ours = docs.find((d) => d.runtime.name === 'strata-runtime');
if (ours && ours.results.some((r) => r.outcome === 'fail')) process.exitCode = 1;
JS
exit $status
