import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/infra/free-port.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm start on the embedded default', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fd-start-'));
  // The embedded Postgres runs as the `postgres` user when we are root: it must be able to enter the folder.
  chmodSync(dataDir, 0o755);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('given no REDIS_URL or DATABASE_URL, when started, then /readyz is ready within 15 s, ops and sockets work, and SIGTERM stops everything cleanly', async () => {
    const port = await findFreePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    delete env.REDIS_URL;
    delete env.DATABASE_URL;
    delete env.AUTH_DEV_TOKENS;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;

    try {
      const started = Date.now();
      let ready: { status: string; checks: Record<string, { ok: boolean; detail: string }> } | undefined;
      while (Date.now() - started < 15_000) {
        const res = await fetch(`${base}/readyz`).catch(() => undefined);
        if (res?.status === 200) {
          ready = (await res.json()) as typeof ready;
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(ready, `not ready within 15 s; stderr: ${stderr.slice(-2000)}`).toMatchObject({ status: 'ready', checks: { shards: { detail: '64/64 owned' } } });

      const token = ((await (await fetch(`${base}/v1/auth/dev-tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'ops' }) })).json()) as { token: string }).token;
      const cluster = (await (await fetch(`${base}/v1/ops/cluster`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        shardCount: number;
        workers: { shards: number[] }[];
      };
      expect(cluster.shardCount).toBe(64);
      expect(cluster.workers).toHaveLength(2);
      expect(cluster.workers.flatMap((w) => w.shards).sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i));
      expect((await fetch(`${base}/v1/ops/cluster`)).status).toBe(401);

      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/^actor_leases_held\{worker="w-/m);

      const socket = io(`${base}/ops`, { auth: { token }, transports: ['websocket'] });
      const view = await new Promise<{ shardCount: number }>((resolve, reject) => {
        socket.once('cluster', resolve);
        socket.once('connect_error', reject);
      });
      expect(view.shardCount).toBe(64);
      socket.close();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
