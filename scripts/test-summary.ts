// Prints the test run's closing line, `tests: N passed, N failed, N skipped`, from vitest's JSON report.
import { existsSync, readFileSync } from 'node:fs';

if (!existsSync('test-results/vitest.json')) {
  console.log('tests: 0 passed, 1 failed (vitest wrote no report)');
  process.exit(1);
}
const report = JSON.parse(readFileSync('test-results/vitest.json', 'utf8')) as {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
};
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped`);
process.exit(report.numFailedTests > 0 ? 1 : 0);
