import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './servers.ts';

export interface SmtpSink {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Postfix's smtp-sink on a free loopback port, for faults a real server will not produce on
 * demand: `-Q connect` (421 greeting), `-f MAIL` / `-f RCPT` (5xx), `-r RCPT` (4xx).
 */
export async function startSmtpSink(flags: readonly string[] = [], fixedPort?: number): Promise<SmtpSink> {
  const port = fixedPort ?? (await freePort());
  const child: ChildProcess = spawn('/usr/sbin/smtp-sink', ['-u', 'nobody', ...flags, `127.0.0.1:${port}`, '64'], { stdio: 'ignore' });
  await waitForPort(port);
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`smtp-sink did not listen on ${port}`);
}
