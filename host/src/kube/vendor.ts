/**
 * The runtime values host/src/kube takes from @kubernetes/client-node and undici, and the only
 * module that imports them (types are imported from the packages where they are used).
 *
 * Why a module of its own: node resolves, reads and links client-node's ~870 files and undici's
 * ~110 one by one, which took most of every CLI command's start (`backup get` 1.3 s of which
 * ~0.8 s was client-node). `npm run build` therefore replaces this module's compiled output,
 * host/dist/kube/vendor.js, with a single-file bundle of the same exports (scripts/bundle-vendor.ts).
 * Whenever tsc writes the file again, it is this plain re-export: the same values, loaded the
 * slow way until the next `npm run build`.
 */
export { Exec, KubeConfig } from "@kubernetes/client-node";
export { Agent, EnvHttpProxyAgent, ProxyAgent, request, Socks5ProxyAgent } from "undici";
