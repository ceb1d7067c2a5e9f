/**
 * What a BackupStorageLocation's status.message says when validation fails, cleaned as Velero
 * v1.18.1 cleans it (sanitizeStorageError): Azure SAS token parameters in URLs are redacted (the
 * message is stored in the cluster and logged: it must not carry credentials), and an Azure HTTP
 * response dump ("RESPONSE 404: ... ERROR CODE: ContainerNotFound ... <Message>...</Message>") is cut
 * down to "<code>: <message>", keeping a gRPC "rpc error: code = ... desc = " prefix. Any other
 * message is kept as it is. The password of a URL is replaced by "xxxxx" (url.Redacted).
 */
import { redactUrlPasswords } from "@velero-ts/plugin-sdk";

const SAS_PARAMS = /([?&])(sig|se|st|sp|spr|sv|sr|sip|srt|ss)=([^&\s<>\n]+)/g;

/**
 * `message` with its credentials redacted and nothing else changed: Azure SAS token parameters and
 * the password of any URL (an s3Url with user:password@, as Go's url.Redacted writes it). For the
 * log lines that carry a location's raw error (Velero logs those unredacted).
 */
export function redactStorageSecrets(message: string): string {
  return redactUrlPasswords(message.replace(SAS_PARAMS, "$1$2=***REDACTED***"));
}

export function sanitizeStorageError(message: string): string {
  const scrubbed = redactStorageSecrets(message);
  if (!scrubbed.includes("RESPONSE") || !scrubbed.includes("ERROR CODE:")) return scrubbed;

  const code = /ERROR CODE:\s*(\w+)/.exec(scrubbed)?.[1] ?? "";
  let text = "";
  // (no s flag: like Go's regexp, "." stops at a newline)
  const xml = /<Message>(.*?)<\/Message>/.exec(scrubbed);
  if (xml) {
    text = xml[1] ?? "";
    const requestId = text.indexOf("\nRequestId:");
    if (requestId !== -1) text = text.slice(0, requestId);
  } else {
    text = (/RESPONSE\s+\d+:\s+\d+\s+([^\n]+)/.exec(scrubbed)?.[1] ?? "").trim();
  }

  let clean: string;
  if (code && text) clean = `${code}: ${text}`;
  else if (code) clean = code;
  else if (text) clean = text;
  else {
    const desc = /desc\s*=\s*(.+)/.exec(scrubbed)?.[1];
    if (desc !== undefined) {
      clean = desc;
      const response = clean.indexOf("RESPONSE");
      if (response !== -1) clean = clean.slice(0, response).trim();
    } else {
      const newline = scrubbed.indexOf("\n");
      clean = newline === -1 ? scrubbed : scrubbed.slice(0, newline);
    }
  }

  const at = scrubbed.indexOf("desc = ");
  return at === -1 ? clean : `${scrubbed.slice(0, at)}desc = ${clean}`;
}
