/**
 * The server's JobQueue alone (no model): jobs start in arrival order with at most `concurrency` at once, a job
 * whose signal aborts while it waits leaves the line without running, a full line answers 429, and close() turns
 * away the waiting and the new while running jobs finish.
 */
import { describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/node/serve/queue';
import { ApiError } from '../../src/node/serve/api-error';

/** A job that records its start and finishes when released. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { job: async () => { log.push(`start ${name}`); await done; log.push(`end ${name}`); return name; }, release };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('JobQueue', () => {
  it('runs FIFO with the given concurrency', async () => {
    const q = new JobQueue(2, 10), log: string[] = [];
    const g = ['a', 'b', 'c', 'd'].map((n) => gate(log, n));
    const runs = g.map((x) => q.run(x.job));
    await tick();
    expect(log).toEqual(['start a', 'start b']);
    expect([q.active, q.queued]).toEqual([2, 2]);
    g[1].release();
    await tick();
    expect(log).toEqual(['start a', 'start b', 'end b', 'start c']);
    g[0].release(); g[2].release(); g[3].release();
    expect(await Promise.all(runs)).toEqual(['a', 'b', 'c', 'd']);
    expect([q.active, q.queued]).toEqual([0, 0]);
  });

  it('drops a waiting job whose signal aborts; it never starts', async () => {
    const q = new JobQueue(1, 10), log: string[] = [];
    const a = gate(log, 'a'), b = gate(log, 'b'), c = gate(log, 'c');
    const ac = new AbortController();
    const ra = q.run(a.job), rb = q.run(b.job, ac.signal), rc = q.run(c.job);
    await tick();
    ac.abort(new Error('client left'));
    await expect(rb).rejects.toThrow('client left');
    expect(q.queued).toBe(1);
    a.release(); c.release();
    await Promise.all([ra, rc]);
    expect(log).toEqual(['start a', 'end a', 'start c', 'end c']);
  });

  it('answers 429 when the line is full, and 503 to everyone waiting or new after close()', async () => {
    const q = new JobQueue(1, 1), log: string[] = [];
    const a = gate(log, 'a'), b = gate(log, 'b');
    const ra = q.run(a.job), rb = q.run(b.job);
    await expect(q.run(async () => 'c')).rejects.toMatchObject({ status: 429, code: 'queue_full' });
    q.close(new ApiError(503, 'closing'));
    await expect(rb).rejects.toMatchObject({ status: 503 });
    await expect(q.run(async () => 'd')).rejects.toMatchObject({ status: 503 });
    a.release();
    expect(await ra).toBe('a'); // the running job finishes
  });
});
