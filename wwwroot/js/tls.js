// TLS in the dashboard: both handshakes of a session, and the gateway CA to trust.
import { apiKey } from "./api.js";

/** "TLS client: sni example.test · h2 · Tls13 · TLS_AES… ⇄ upstream: CN=… (issuer …) · h2 · Tls13 · errors …" */
export function describeTls(tls) {
  if (!tls) return "";
  const parts = [];
  const c = tls.client;
  if (c) parts.push(`TLS client: ${c.sni ? "sni " + c.sni : "no sni"}${c.alpn ? " · " + c.alpn : ""} · ${c.protocol} · ${c.cipher}`);
  const u = tls.upstream;
  if (u) parts.push(`TLS upstream: ${u.subject} (issuer ${u.issuer}, sha256 ${u.sha256.slice(0, 23)}…)${u.alpn ? " · " + u.alpn : ""} · ${u.protocol}`
    + (u.errors ? ` · accepted despite ${u.errors}` : ""));
  return parts.length ? parts.join("  ⇄  ") : "TLS: handshake in progress";
}

/** The CA download goes through fetch (the route needs a viewer key when keys are configured), then a file link. */
export function initCaDownload(button, fingerprint, toast) {
  button.addEventListener("click", async () => {
    try {
      const headers = apiKey() ? { "X-Api-Key": apiKey() } : {};
      const response = await fetch("/api/tls/ca.pem", { headers });
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      const pem = await response.text();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([pem], { type: "application/x-pem-file" }));
      link.download = "ca.pem";
      link.click();
      URL.revokeObjectURL(link.href);
      fingerprint.textContent = "saved as ca.pem";
    } catch (err) { toast(err.message, true); }
  });
}
