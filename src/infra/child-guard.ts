import { spawn } from 'node:child_process';
import { Socket } from 'node:net';

/** Stops guarding: call once the guarded process has exited (or is being stopped on purpose). */
export interface ChildGuard {
  release(): void;
}

/**
 * Reads its stdin until EOF, then signals the guarded pid. Our end of that pipe closes however this process
 * ends — normal exit, crash, or SIGKILL — so the guarded server never outlives us. `$0` is the pid, `$1` the
 * signal name.
 */
const watchdogScript = 'while read -r _; do :; done; kill -s "$1" "$0" 2>/dev/null';

/**
 * Makes sure the server process `pid` (which we started) dies with this process: an 'exit' handler signals
 * it at once on an orderly exit, and a tiny `sh` watchdog covers the deaths that run no handler.
 * `signal` should make the server shut down cleanly (SIGTERM for Redis, SIGINT for Postgres' fast shutdown).
 */
export function guardChild(pid: number, signal: 'SIGTERM' | 'SIGINT'): ChildGuard {
  const onExit = () => {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  };
  process.on('exit', onExit);

  // Detached (own session) so a Ctrl-C aimed at our process group does not kill the watchdog before it acts.
  const watchdog = spawn('sh', ['-c', watchdogScript, String(pid), signal.slice(3)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.on('error', () => {
    // No `sh`: the exit handler still covers orderly exits.
  });
  // Neither the watchdog nor its pipe may keep this process alive.
  watchdog.unref();
  if (watchdog.stdin instanceof Socket) watchdog.stdin.unref();

  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      process.off('exit', onExit);
      // SIGKILL, not closing the pipe: the watchdog must not signal a pid that may since have been reused.
      watchdog.kill('SIGKILL');
      watchdog.stdin?.destroy();
    },
  };
}
