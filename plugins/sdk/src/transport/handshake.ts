/**
 * The go-plugin handshake Velero uses (velero-compat.md 1.1 and 1.3).
 *
 * !!! PROTOCOL INVARIANT !!!
 * The handshake line is the FIRST line a plugin writes to stdout and the ONLY one it ever writes:
 *   CORE|APP|NETWORK|ADDRESS|PROTOCOL|SERVERCERT
 * e.g. `1|2|unix|/tmp/plugin123/plugin.sock|grpc|` (trailing "|" = empty server cert, no TLS).
 * The server must be listening BEFORE the line is printed: the host dials as soon as it reads it.
 */
import { PluginProtocolError } from "../contract/errors.js";

export const MAGIC_COOKIE_KEY = "VELERO_PLUGIN";
export const MAGIC_COOKIE_VALUE = "hello";
/** go-plugin's own protocol version. */
export const CORE_PROTOCOL_VERSION = 1;
/** Velero's plugin protocol version. */
export const APP_PROTOCOL_VERSION = 2;

/** Parsed handshake line. `serverCert` is "" unless the plugin uses AutoMTLS (Velero never does). */
export interface HandshakeInfo {
  coreVersion: number;
  appVersion: number;
  network: "unix" | "tcp";
  address: string;
  protocol: "grpc";
  serverCert: string;
}

/**
 * Parses the first stdout line of a plugin. Accepts 5, 6 or 7 fields (Go plugins print an empty
 * 6th field; the 7th, multiplexing support, only appears when the host asked for it).
 * Throws PluginProtocolError naming what is wrong.
 */
export function parseHandshake(line: string): HandshakeInfo {
  const trimmed = line.trim();
  const shown = JSON.stringify(trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed);
  const parts = trimmed.split("|");
  if (parts.length < 4) {
    throw new PluginProtocolError(
      `invalid plugin handshake ${shown}: expected "CORE|APP|NETWORK|ADDRESS|grpc|" (at least 4 "|"-separated fields), got ${parts.length}; is this executable a Velero plugin?`,
    );
  }
  const [core, app, network, address, protocol, serverCert = ""] = parts as [string, string, string, string, string | undefined, string | undefined];
  const coreVersion = parseVersion(core);
  if (coreVersion !== CORE_PROTOCOL_VERSION) {
    throw new PluginProtocolError(
      `invalid plugin handshake ${shown}: core protocol version "${core}" is not supported (expected ${CORE_PROTOCOL_VERSION}); the plugin was built for an incompatible go-plugin`,
    );
  }
  const appVersion = parseVersion(app);
  if (appVersion !== APP_PROTOCOL_VERSION) {
    throw new PluginProtocolError(
      `invalid plugin handshake ${shown}: Velero plugin protocol version "${app}" is not supported (expected ${APP_PROTOCOL_VERSION}); rebuild the plugin against a current Velero plugin framework`,
    );
  }
  if (network !== "unix" && network !== "tcp") {
    throw new PluginProtocolError(`invalid plugin handshake ${shown}: network "${network}" is not supported (expected "unix" or "tcp")`);
  }
  if (address === "") {
    throw new PluginProtocolError(`invalid plugin handshake ${shown}: the address field is empty`);
  }
  if (protocol === undefined || protocol === "" || protocol === "netrpc") {
    throw new PluginProtocolError(
      `invalid plugin handshake ${shown}: protocol "${protocol ?? "netrpc"}" is not supported; Velero plugins must speak "grpc" (the 5th field)`,
    );
  }
  if (protocol !== "grpc") {
    throw new PluginProtocolError(`invalid plugin handshake ${shown}: unknown protocol "${protocol}" (expected "grpc")`);
  }
  if (serverCert.length > 50) {
    throw new PluginProtocolError(
      `invalid plugin handshake ${shown}: the plugin requests TLS (AutoMTLS server certificate in field 6), which is not supported; do not set PLUGIN_CLIENT_CERT`,
    );
  }
  return { coreVersion, appVersion, network, address, protocol, serverCert: "" };
}

/** The handshake line a plugin prints (with the trailing newline). */
export function formatHandshake(network: "unix" | "tcp", address: string): string {
  return `${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|${network}|${address}|grpc|\n`;
}

function parseVersion(field: string): number {
  return /^\d+$/.test(field) ? Number(field) : Number.NaN;
}
