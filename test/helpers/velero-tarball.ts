// An independent reader of Velero backup tarballs, written from the format description
// (velero-compat.md 4.3: gzip(tar), USTAR headers with PAX extended headers for long names,
// regular files only) with no tar library, so it shares no code with the writer under test.
import { gunzipSync } from 'node:zlib';

export interface TarEntry {
  name: string;
  /** '0' regular file, '5' directory, ... */
  type: string;
  mode: number;
  uid: number;
  gid: number;
  data: Buffer;
}

const BLOCK = 512;

function field(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? length : nul).toString('utf8');
}

function octal(block: Buffer, offset: number, length: number): number {
  const text = field(block, offset, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** Parses PAX records: "<len> <key>=<value>\n" repeated. */
function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = parseInt(data.subarray(i, space).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Every entry of a gzip(tar) archive, in order, with PAX/GNU long names resolved. */
export function readVeleroTarball(gz: Buffer): TarEntry[] {
  const tar = gunzipSync(gz);
  const entries: TarEntry[] = [];
  let offset = 0;
  let pendingName: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = octal(header, 124, 12);
    const type = field(header, 156, 1) || '0';
    const data = tar.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      pendingName = paxRecords(data).path ?? pendingName;
      continue;
    }
    if (type === 'L') {
      pendingName = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (type === 'g') continue;
    const prefix = field(header, 345, 155);
    const shortName = field(header, 0, 100);
    const name = pendingName ?? (prefix ? `${prefix}/${shortName}` : shortName);
    pendingName = undefined;
    entries.push({ name, type, mode: octal(header, 100, 8), uid: octal(header, 108, 8), gid: octal(header, 116, 8), data: Buffer.from(data) });
  }
  return entries;
}

/** The unversioned item paths (resources/<GR>/<scope>/<name>.json) of a tarball, sorted. */
export function itemPaths(entries: TarEntry[]): string[] {
  return entries
    .map((e) => e.name)
    .filter((n) => /^resources\/[^/]+\/(cluster|namespaces\/[^/]+)\/[^/]+\.json$/.test(n))
    .sort();
}
