import { open } from 'node:fs/promises';

/** A server this process started for itself because no external one was configured. */
export interface EmbeddedService {
  /** Connection URL for clients (ioredis / pg), always on 127.0.0.1. */
  url: string;
  /** Shuts the server down cleanly and resolves once its process has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/** The last `bytes` of a text file (a server's log), or '' if it cannot be read. For error messages. */
export async function readTail(path: string, bytes = 2000): Promise<string> {
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      const start = Math.max(0, size - bytes);
      const buffer = Buffer.alloc(size - start);
      await file.read(buffer, 0, buffer.length, start);
      return buffer.toString('utf8').trim();
    } finally {
      await file.close();
    }
  } catch {
    return '';
  }
}
