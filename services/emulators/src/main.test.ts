import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('main.ts', () => {
  it('prints the URL it listens on, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [MAIN, 'notion', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8');
      child.stdout.once('data', (chunk: string) => resolve(chunk.trim()));
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    const url = /^notion emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)?.[1];
    expect(url, line).toBeDefined();
    const res = await fetch(`${url}/_emulator/integrations`, { method: 'POST' });
    expect(res.status).toBe(201);
    // The local stack's probe tells this emulator from another program on its port.
    expect(await (await fetch(`${url}/_emulator/health`)).json()).toEqual({ api: 'notion', status: 'ok' });
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('explains its usage on --help and rejects an unknown emulator with exit code 2', async () => {
    const help = spawn(process.execPath, [MAIN, '--help'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    help.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    expect((await once(help, 'exit'))[0]).toBe(0);
    expect(out).toContain('<notion|calendar> --port N');
    const bad = spawn(process.execPath, [MAIN, 'jira', '--port', '1'], { stdio: 'ignore' });
    expect((await once(bad, 'exit'))[0]).toBe(2);
  });
});
