// Prints which suites (vitest projects and files) ran, and a closing "N passed, N failed" line,
// from vitest's JSON report. Exits non-zero when a required suite ran no test.
import { readFileSync } from "node:fs";
import { relative } from "node:path";

interface AssertionResult { status: string; fullName: string }
interface FileResult { name: string; status: string; assertionResults: AssertionResult[] }
interface Report { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; testResults: FileResult[] }

const REQUIRED_SUITES = (process.env.VT_REQUIRED_SUITES ?? "unit,env,plugin-protocol,integration,e2e").split(",").filter(Boolean);
const SUITE_DIRS: Record<string, RegExp> = {
  unit: /^(proto|plugins\/[^/]+|host)\/src\//,
  env: /^test\/env\//,
  "plugin-protocol": /^test\/plugin-protocol\//,
  integration: /^test\/integration\//,
  e2e: /^test\/e2e\//,
};

const path = process.argv[2];
if (!path) throw new Error("usage: test-summary.ts REPORT.json");
const report = JSON.parse(readFileSync(path, "utf8")) as Report;
const bySuite = new Map<string, { files: number; passed: number; failed: number; skipped: number }>();
for (const file of report.testResults) {
  const rel = relative(process.cwd(), file.name);
  const suite = Object.entries(SUITE_DIRS).find(([, re]) => re.test(rel))?.[0] ?? "other";
  const s = bySuite.get(suite) ?? { files: 0, passed: 0, failed: 0, skipped: 0 };
  s.files += 1;
  for (const a of file.assertionResults) {
    if (a.status === "passed") s.passed += 1;
    else if (a.status === "failed") s.failed += 1;
    else s.skipped += 1;
  }
  if (file.status === "failed" && file.assertionResults.length === 0) s.failed += 1;
  bySuite.set(suite, s);
}
console.log("== suites that ran ==");
for (const [suite, s] of [...bySuite.entries()].sort()) {
  console.log(`suite ${suite}: ${s.files} files, ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
}
let missing = false;
for (const suite of REQUIRED_SUITES) {
  const s = bySuite.get(suite);
  if (!s || s.passed + s.failed === 0) {
    console.log(`suite ${suite}: RAN NO TEST (required)`);
    missing = true;
  }
}
const failed = [...bySuite.values()].reduce((n, s) => n + s.failed, 0);
const passed = [...bySuite.values()].reduce((n, s) => n + s.passed, 0);
const skipped = [...bySuite.values()].reduce((n, s) => n + s.skipped, 0);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || missing ? 1 : 0);
