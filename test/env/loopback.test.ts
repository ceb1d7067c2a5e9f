// Nothing the environment started listens on, or is connected to, any address but 127.0.0.1.
// Checked from /proc: the TCP sockets owned by every recorded process and its descendants.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadEndpoints } from '../helpers/endpoints.ts';

interface Sock {
  file: string;
  local: string;
  remote: string;
  state: string;
  inode: string;
}

function parseAddr(hex: string, v6: boolean): string {
  const [ip, port] = hex.split(':') as [string, string];
  const p = parseInt(port, 16);
  if (!v6) {
    const b = ip.match(/../g)!.map((x) => parseInt(x, 16)).reverse();
    return `${b.join('.')}:${p}`;
  }
  // /proc/net/tcp6 prints four little-endian 32-bit words
  const words = ip.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  const hex16 = words.join('').match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ''));
  return `[${hex16.join(':')}]:${p}`;
}

function sockets(): Map<string, Sock> {
  const out = new Map<string, Sock>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
    for (const l of lines) {
      const f = l.trim().split(/\s+/);
      const v6 = file.endsWith('6');
      out.set(f[9]!, { file, local: parseAddr(f[1]!, v6), remote: parseAddr(f[2]!, v6), state: f[3]!, inode: f[9]! });
    }
  }
  return out;
}

function descendants(roots: number[]): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(d), ppid);
    } catch {
      /* raced with exit */
    }
  }
  const all = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (all.has(ppid) && !all.has(pid)) {
        all.add(pid);
        grew = true;
      }
    }
  }
  return [...all];
}

function socketInodes(pid: number): string[] {
  const out: string[] = [];
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.push(m[1]!);
      } catch {
        /* fd closed meanwhile */
      }
    }
  } catch {
    /* process gone */
  }
  return out;
}

const loopback = (addr: string) => addr.startsWith('127.0.0.1:') || addr.startsWith('[0:0:0:0:0:ffff:7f00:1]:') || addr.startsWith('[0:0:0:0:0:0:0:1]:');
const unset = (addr: string) => addr === '0.0.0.0:0' || addr === '[0:0:0:0:0:0:0:0]:0';

describe('network hygiene', () => {
  it('every TCP socket of every peer is bound to and connected with 127.0.0.1 only', () => {
    const ep = loadEndpoints();
    const pids = descendants(Object.values(ep.pids));
    const table = sockets();
    const listening: string[] = [];
    const offenders: string[] = [];
    for (const pid of pids) {
      for (const inode of socketInodes(pid)) {
        const s = table.get(inode);
        if (!s) continue; // unix or udp socket
        if (s.state === '0A') listening.push(`${pid} ${s.local}`);
        if (!loopback(s.local) || !(loopback(s.remote) || unset(s.remote))) offenders.push(`pid ${pid}: ${s.local} -> ${s.remote} (${s.file})`);
      }
    }
    expect(offenders).toEqual([]);
    // etcd (2), apiserver, controller-manager, scheduler, kwok, moto, fake-gcs-server, azurite
    expect(listening.length).toBeGreaterThanOrEqual(9);
  });
});
