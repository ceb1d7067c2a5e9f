// vitest globalSetup: one real environment (test/peers/env.ts) per test run, shared by every worker.
//
// - If VT_ENV_DIR is already set and that environment is alive, it is reused and left running.
//   (This is also how several vitest projects that list this same file share one environment: the
//   first project's setup starts it and sets VT_ENV_DIR in this process, the next ones reuse it.)
// - Otherwise an environment is started in a new short dir (/tmp/vt.XXXXXX); VT_ENV_DIR and KUBECONFIG
//   are set in process.env before the workers start, so tests read them (see test/helpers/endpoints.ts),
//   and the dir is also provided as inject('vtEnvDir').
// - A watchdog process (env.ts watch) stops the environment if this process dies without teardown.
// - Teardown stops only the environment this setup started. The dir is removed when every test passed;
//   it is kept, and its path printed, when any test failed (vitest's failed-test count), when the run
//   set a non-zero process.exitCode, when DIR/.keep exists, or when VT_KEEP_ENV=1.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { down, isAlive, startWatchdog, up } from '../peers/env.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    vtEnvDir: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const existing = process.env.VT_ENV_DIR;
  if (existing && isAlive(existing)) {
    process.env.KUBECONFIG = join(existing, 'kubeconfig');
    project.provide('vtEnvDir', existing);
    return undefined;
  }
  if (existing) {
    process.stderr.write(`[vt-env] VT_ENV_DIR=${existing} is not a running environment; starting a new one\n`);
  }

  const dir = mkdtempSync('/tmp/vt.');
  const t0 = Date.now();
  process.stderr.write(`[vt-env] starting the test environment in ${dir}\n`);
  try {
    await up(dir, { log: (m) => process.stderr.write(`[vt-env] ${m}\n`) });
  } catch (e) {
    writeFileSync(join(dir, '.keep'), `up failed: ${(e as Error).message}\n`);
    process.stderr.write(`[vt-env] environment failed to start; logs kept in ${dir}/logs\n`);
    throw e;
  }
  // if this process dies before the teardown below runs, the watchdog stops the environment
  startWatchdog(dir, process.pid);
  process.stderr.write(`[vt-env] environment up in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
  process.env.VT_ENV_DIR = dir;
  process.env.KUBECONFIG = join(dir, 'kubeconfig');
  project.provide('vtEnvDir', dir);

  return async () => {
    // failed tasks: tests, and the suites and files holding them (a file that failed to load has no failed test)
    const failedTasks = [...project.vitest.state.idMap.values()].filter((t) => t.result?.state === 'fail');
    const failed = failedTasks.filter((t) => t.type === 'test').length;
    const keep =
      failedTasks.length > 0 ||
      (process.exitCode !== undefined && process.exitCode !== 0 && process.exitCode !== '0') ||
      existsSync(join(dir, '.keep')) ||
      process.env.VT_KEEP_ENV === '1';
    await down(dir, { log: (m) => process.stderr.write(`[vt-env] ${m}\n`) });
    if (process.env.VT_ENV_DIR === dir) delete process.env.VT_ENV_DIR;
    if (keep) {
      process.stderr.write(
        `[vt-env] kept the environment dir for inspection: ${dir} (logs in ${dir}/logs; ${failed > 0 || failedTasks.length === 0 ? `${failed} failed test(s)` : 'a suite or file failed outside its tests'})\n`,
      );
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
