import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * CPU time spent by the parts of a benchmarked system, ms: on this shared VM wall-clock rates move by ±30 % between
 * runs, while the CPU a unit of work costs moves much less — a change that makes the system cheaper shows here first.
 * Processes are read from `/proc/<pid>/stat` (Linux; elsewhere they count 0), Redis from `INFO cpu`.
 */
export interface CpuSample {
  readonly self: number;
  readonly children: number;
  readonly redis: number;
}

export async function cpuSample(childPids: readonly number[], redis: Redis): Promise<CpuSample> {
  const self = process.cpuUsage();
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return {
    self: (self.user + self.system) / 1000,
    children: childPids.reduce((sum, pid) => sum + procCpuMs(pid), 0),
    redis: (field('used_cpu_sys') + field('used_cpu_user')) * 1000,
  };
}

/**
 * CPU ms per unit of work between two samples, by part. `loadAndApi`: this process (the load generator, and whatever
 * of the system runs in it); `workers`: the child processes sampled.
 */
export function cpuPer(from: CpuSample, to: CpuSample, units: number): { loadAndApi: number; workers: number; redis: number } {
  return {
    loadAndApi: (to.self - from.self) / units,
    workers: (to.children - from.children) / units,
    redis: (to.redis - from.redis) / units,
  };
}

function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in clock ticks
    // (USER_HZ, 100 per second on Linux: 10 ms each).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) || 0) + (Number(fields[12]) || 0)) * 10;
  } catch {
    return 0;
  }
}
