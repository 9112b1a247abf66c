// The stand-in system in several processes on one port, for a capacity run of the simulator itself (a process may
// hold at most ~20 000 open files here, fewer than 20 000 drivers' sockets):
//
//   node --import tsx test/integration/simulate/fake-cluster.ts 3950 3 &        # port, processes
//   npm run simulate -- --url http://127.0.0.1:3950 --drivers 20000 --orders-per-sec 0 --duration 60
//
// Orders do not work across the processes (each has its own memory): it measures sockets held and pings.
import cluster from 'node:cluster';
import { startFakeSystem } from './fake-system.ts';

const port = Number(process.argv[2] ?? 3950);
const processes = Number(process.argv[3] ?? 3);

if (cluster.isPrimary) {
  for (let i = 0; i < processes; i++) cluster.fork();
  let online = 0;
  cluster.on('message', () => {
    online += 1;
    if (online === processes) process.stdout.write(`fake system on http://127.0.0.1:${port} (${processes} processes)\n`);
  });
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const system = await startFakeSystem({ port, clustered: true });
  process.send?.('up');
  const report = setInterval(() => process.stdout.write(`[fake ${process.pid}] pings ${system.pings()}\n`), 30_000);
  process.on('SIGTERM', () => {
    clearInterval(report);
    void system.close().then(() => process.exit(0));
  });
}
