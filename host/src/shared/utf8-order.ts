/**
 * UTF-8 byte order of strings without encoding them: the order Go sorts map keys in, S3 lists
 * keys in and etcd stores Kubernetes objects in. For BMP text it is code-point order;
 * surrogates (astral characters) sort after every other BMP code unit.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca >= 0xd800 && cb >= 0xd800 && (ca < 0xe000) !== (cb < 0xe000)) return ca < 0xe000 ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}
