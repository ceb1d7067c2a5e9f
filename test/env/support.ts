// Shared helpers for the environment self-tests (test/env/*.test.ts).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import type { Endpoints } from '../helpers/endpoints.ts';

export function kubeConfigFor(ep: Endpoints): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(ep.kubeconfig);
  return kc;
}

/** Unique, DNS-1123-safe name for objects a test creates. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value other than undefined/false, or throws after timeoutMs. */
export async function eventually<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined | false>, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiException && e.code === 404;
}

/** GET on the apiserver with the static bearer token, trusting only the environment's CA. */
export function apiGet(ep: Endpoints, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(path, ep.apiServer);
  if (url.hostname !== '127.0.0.1') throw new Error(`refusing to dial ${url.hostname}`);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { ca: readFileSync(ep.kubernetes.caFile), headers: { Authorization: `Bearer ${ep.kubernetes.token}` }, agent: false, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout GET ${url.href}`)));
    req.on('error', reject);
    req.end();
  });
}
