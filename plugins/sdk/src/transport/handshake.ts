/**
 * The go-plugin handshake Velero uses (velero-compat.md 1.1 and 1.3).
 *
 * !!! PROTOCOL INVARIANT !!!
 * The handshake line is the FIRST line a plugin writes to stdout and the ONLY one it ever writes:
 *   CORE|APP|NETWORK|ADDRESS|PROTOCOL|SERVERCERT
 * e.g. `1|2|unix|/tmp/plugin123/plugin.sock|grpc|` (trailing "|" = empty server cert, no TLS).
 * The server must be listening BEFORE the line is printed: the host dials as soon as it reads it.
 *
 * Protocol negotiation (ADR 0004), the way go-plugin picks "netrpc" or "grpc": the velero-ts host
 * sets VELERO_TS_PLUGIN_PROTOCOLS=vtframes1 when it spawns a plugin; a velero-ts plugin that sees
 * it answers `…|vtframes1|` and serves the frames transport. Velero's Go host never sets it, so
 * our plugins answer `grpc` there, byte for byte as before; Go plugins ignore it and answer `grpc`.
 */
import { PluginProtocolError } from "../contract/errors.js";

export const MAGIC_COOKIE_KEY = "VELERO_PLUGIN";
export const MAGIC_COOKIE_VALUE = "hello";
/** go-plugin's own protocol version. */
export const CORE_PROTOCOL_VERSION = 1;
/** Velero's plugin protocol version. */
export const APP_PROTOCOL_VERSION = 2;

/** Env var the velero-ts host sets on plugins it spawns: the extra protocols it speaks, comma-separated. */
export const PLUGIN_PROTOCOLS_ENV = "VELERO_TS_PLUGIN_PROTOCOLS";
/** Env var on the HOST process: "grpc" makes it offer nothing but gRPC to its plugins. */
export const PLUGIN_TRANSPORT_ENV = "VELERO_TS_PLUGIN_TRANSPORT";
/** The fast transport between a velero-ts host and velero-ts plugins (frames/codec.ts). */
export const VTFRAMES_PROTOCOL = "vtframes1";

/** The wire protocol a plugin connection speaks. */
export type PluginProtocol = "grpc" | typeof VTFRAMES_PROTOCOL;

/** True when a PLUGIN_PROTOCOLS_ENV value lists vtframes1. */
export function offersFrames(value: string | undefined): boolean {
  return (value ?? "").split(",").some((p) => p.trim() === VTFRAMES_PROTOCOL);
}

/** Parsed handshake line. `serverCert` is "" unless the plugin uses AutoMTLS (Velero never does). */
export interface HandshakeInfo {
  coreVersion: number;
  appVersion: number;
  network: "unix" | "tcp";
  address: string;
  protocol: PluginProtocol;
  serverCert: string;
}

export interface ParseHandshakeOptions {
  /** Protocols besides grpc that the host offered the plugin (only these are accepted). */
  offered?: readonly PluginProtocol[];
}

/**
 * Parses the first stdout line of a plugin. Accepts 5, 6 or 7 fields (Go plugins print an empty
 * 6th field; the 7th, multiplexing support, only appears when the host asked for it).
 * Throws PluginProtocolError naming what is wrong.
 */
export function parseHandshake(line: string, options: ParseHandshakeOptions = {}): HandshakeInfo {
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
  const accepted = protocol === "grpc" || (protocol === VTFRAMES_PROTOCOL && (options.offered ?? []).includes(VTFRAMES_PROTOCOL));
  if (!accepted) {
    throw new PluginProtocolError(`invalid plugin handshake ${shown}: unknown protocol "${protocol}" (expected "grpc")`);
  }
  if (serverCert.length > 50) {
    throw new PluginProtocolError(
      `invalid plugin handshake ${shown}: the plugin requests TLS (AutoMTLS server certificate in field 6), which is not supported; do not set PLUGIN_CLIENT_CERT`,
    );
  }
  return { coreVersion, appVersion, network, address, protocol: protocol as PluginProtocol, serverCert: "" };
}

/** The handshake line a plugin prints (with the trailing newline). */
export function formatHandshake(network: "unix" | "tcp", address: string, protocol: PluginProtocol = "grpc"): string {
  return `${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|${network}|${address}|${protocol}|\n`;
}

function parseVersion(field: string): number {
  return /^\d+$/.test(field) ? Number(field) : Number.NaN;
}
