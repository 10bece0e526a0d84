// Formatting and payload rendering. Everything goes through textContent: payloads are hostile.
const units = ["B", "KiB", "MiB", "GiB", "TiB"];
export function bytes(n) {
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}
export function time(iso) {
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0");
}
export function decodeBase64(b64) {
  const bin = atob(b64 || "");
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
export function encodeBase64(data) {
  let bin = "";
  for (let i = 0; i < data.length; i += 0x8000) bin += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(bin);
}
/** Spaced hex, 16 bytes a line: what the held-message editor shows. */
export function toHex(data) {
  const lines = [];
  for (let off = 0; off < data.length; off += 16) lines.push(Array.from(data.subarray(off, off + 16), hex2).join(" "));
  return lines.join("\n");
}
/** Hex as a person writes it (spaces, line breaks, ':' or '-' between bytes, a leading 0x): bytes, or null when it is not hex. */
export function parseHex(text) {
  const digits = text.trim().replace(/^0x/i, "").replace(/[\s:-]/g, "");
  if (digits.length % 2 !== 0 || /[^0-9a-f]/i.test(digits)) return null;
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.substr(i * 2, 2), 16);
  return out;
}
/** Base64 (spaces and line breaks ignored): bytes, or null when it is not base64. */
export function parseBase64(text) {
  const compact = text.replace(/\s/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) return null;
  try { return decodeBase64(compact); } catch { return null; }
}
/** The bytes as text when they are valid UTF-8 (so that editing them as text loses nothing), else null. */
export function strictUtf8(data) {
  try { return new TextDecoder("utf-8", { fatal: true }).decode(data); } catch { return null; }
}
const utf8 = new TextDecoder("utf-8", { fatal: false });
export function hex2(b) { return b.toString(16).padStart(2, "0"); }

// Text view: printable text as is; control bytes as visible escapes (\r, \t, \x00) and line feeds as
// a visible \n followed by a real line break, so line endings can be told apart.
export function renderText(target, data) {
  const text = utf8.decode(data);
  const re = /[\x00-\x1f\x7f]/g;
  let last = 0, m;
  while ((m = re.exec(text)) !== null) {
    if (m.index > last) target.append(text.slice(last, m.index));
    const span = document.createElement("span");
    span.className = "ctl";
    const c = m[0].charCodeAt(0);
    span.textContent = c === 10 ? "\\n" : c === 13 ? "\\r" : c === 9 ? "\\t" : "\\x" + hex2(c);
    target.append(span);
    if (c === 10 && m.index + 1 < text.length) target.append("\n");
    last = m.index + 1;
  }
  if (last < text.length) target.append(text.slice(last));
}

// Hex view: offset, 16 bytes, ASCII gutter.
export function renderHex(target, data) {
  const lines = [];
  for (let off = 0; off < data.length; off += 16) {
    const row = data.subarray(off, off + 16);
    const hex = Array.from(row, hex2).join(" ").padEnd(47, " ");
    const ascii = Array.from(row, (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join("");
    lines.push(off.toString(16).padStart(6, "0") + "  " + hex + "  " + ascii);
  }
  target.textContent = lines.join("\n");
}
