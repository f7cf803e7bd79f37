/**
 * The emulator in a child process (so that its memory and CPU are not counted in the client's), driven over
 * IPC by the scale benchmark. argv[2] is the JSON of EmulatorOptions (serialisable part).
 */
import { startEmulator } from '@catalog-crawl/emulator';
import { maxInWindow } from './stats.js';

export type ChildRequest =
  | { type: 'pick'; count: number; minMs: number; maxMs: number; prefix: string; suffix: string }
  | { type: 'stats'; windowMs: number }
  | { type: 'close' };

export type ChildReply =
  | { type: 'ready'; url: string }
  | { type: 'picked'; hosts: string[]; scanned: number }
  | {
      type: 'stats';
      total: number;
      byMethod: Record<string, number>;
      byStatus: Record<string, number>;
      maxWindow: number;
      maxWindowStartAt: number;
      firstAt: number;
      lastAt: number;
      maxRssKiB: number;
      cpuUserMs: number;
      cpuSystemMs: number;
    }
  | { type: 'closed' };

const send = (reply: ChildReply) => process.send?.(reply);

const options = JSON.parse(process.argv[2] ?? '{}');
const emulator = await startEmulator(options);

process.on('message', async (message: ChildRequest) => {
  if (message.type === 'pick') {
    const hosts: string[] = [];
    let n = 0;
    while (hosts.length < message.count && n < message.count * 100) {
      const host = `${message.prefix}${n}${message.suffix}`;
      const planned = emulator.plannedDurationMs(host);
      if (planned >= message.minMs && planned <= message.maxMs) hosts.push(host);
      n++;
    }
    send({ type: 'picked', hosts, scanned: n });
  } else if (message.type === 'stats') {
    const byMethod: Record<string, number> = {};
    const byStatus: Record<string, number> = {};
    const times: number[] = [];
    for (const r of emulator.requests) {
      byMethod[r.method] = (byMethod[r.method] ?? 0) + 1;
      byStatus[String(r.status)] = (byStatus[String(r.status)] ?? 0) + 1;
      times.push(r.at);
    }
    const w = maxInWindow(times, message.windowMs);
    const cpu = process.cpuUsage();
    send({
      type: 'stats',
      total: emulator.requests.length,
      byMethod,
      byStatus,
      maxWindow: w.count,
      maxWindowStartAt: w.startAt,
      firstAt: times.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY),
      lastAt: times.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY),
      maxRssKiB: process.resourceUsage().maxRSS,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
    });
  } else if (message.type === 'close') {
    await emulator.close();
    send({ type: 'closed' });
    process.disconnect?.();
  }
});

send({ type: 'ready', url: emulator.url });
