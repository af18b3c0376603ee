// Shared by the lab tests: run `tegami lab ...` as a child process from the repository root.
import { spawn } from 'node:child_process';
import { REPO_ROOT, TEGAMI_BIN } from '../../lab/targets/tegami.js';

export function tegamiLab(args: string[], timeoutMs = 300_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [TEGAMI_BIN, 'lab', ...args], { cwd: REPO_ROOT });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}
