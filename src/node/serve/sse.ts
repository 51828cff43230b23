/**
 * Server-sent events as OpenAI streams them: `data: <json>\n\n` per chunk and `data: [DONE]\n\n` at the end. A write
 * that the socket cannot take yet waits for 'drain' (or the connection's close), so a slow client holds back its
 * own generation instead of growing the server's buffers.
 */
import type { ServerResponse } from 'node:http';

export class SseWriter {
  constructor(private readonly res: ServerResponse) {}

  /** Sends the 200 and the event-stream headers right away, before the first chunk. */
  open(extraHeaders: Record<string, string> = {}): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...extraHeaders,
    });
    this.res.flushHeaders();
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  async send(data: unknown): Promise<void> {
    await this.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** The final `[DONE]` line, then the end of the response. */
  done(): void {
    if (this.closed) return;
    this.res.end('data: [DONE]\n\n');
  }

  private async write(text: string): Promise<void> {
    if (this.closed) return;
    if (this.res.write(text)) return;
    await new Promise<void>((resolve) => {
      const finish = () => {
        this.res.off('drain', finish);
        this.res.off('close', finish);
        resolve();
      };
      this.res.on('drain', finish);
      this.res.on('close', finish);
    });
  }
}
