/**
 * Reads one key of a Kubernetes Secret with the pod's service account, for the
 * `customerKeyEncryptionSecret` option (`secretName/key` in the Velero namespace). Plugins may not
 * depend on a Kubernetes client library, and this needs a single GET, so it uses node:https with
 * the in-cluster service account token and CA.
 */
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { VeleroError, getErrorMessage, parseJson } from "@velero-ts/plugin-sdk";

/** Returns the decoded bytes of `data[key]` of the Secret `namespace/name`. */
export type SecretReader = (namespace: string, name: string, key: string) => Promise<Buffer>;

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
const REQUEST_TIMEOUT_MS = 15_000;

/** The in-cluster reader (KUBERNETES_SERVICE_HOST/PORT plus the mounted service account). */
export const readSecretInCluster: SecretReader = async (namespace, name, key) => {
  const host = process.env["KUBERNETES_SERVICE_HOST"];
  const port = process.env["KUBERNETES_SERVICE_PORT"] ?? "443";
  const what = `secret "${namespace}/${name}"`;
  if (!host) {
    throw new VeleroError("VELERO_AWS_SECRET", `cannot read ${what}: not running in a cluster (KUBERNETES_SERVICE_HOST is not set)`);
  }
  let token: string;
  let ca: Buffer;
  try {
    [token, ca] = await Promise.all([
      readFile(`${SERVICE_ACCOUNT_DIR}/token`, "utf8"),
      readFile(`${SERVICE_ACCOUNT_DIR}/ca.crt`),
    ]);
  } catch (error) {
    throw new VeleroError("VELERO_AWS_SECRET", `cannot read ${what}: no service account: ${getErrorMessage(error)}`, { cause: error });
  }
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`;
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(
      { host, port, path, ca, method: "GET", timeout: REQUEST_TIMEOUT_MS, headers: { authorization: `Bearer ${token.trim()}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          if (res.statusCode === 200) resolve(Buffer.concat(chunks).toString("utf8"));
          else reject(new VeleroError("VELERO_AWS_SECRET", `failed to get ${what}: HTTP ${res.statusCode ?? "?"}`));
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end();
  });
  const secret = parseJson(body) as { data?: Record<string, string> }; // a syntax error quotes none of it
  const value = secret.data?.[key];
  if (value === undefined) throw new VeleroError("VELERO_AWS_SECRET", `key "${key}" not found in ${what}`);
  return Buffer.from(value, "base64");
};
