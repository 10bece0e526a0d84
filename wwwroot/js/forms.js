// The "new listener" and "connect to" forms.
import { api, post } from "./api.js";

// Show the fields that apply to the chosen protocol: address+port for tcp/udp, path for unix,
// framing and TLS for stream sockets.
function fitFields(form) {
  const protocol = form.elements.protocol.value;
  for (const label of form.querySelectorAll("label[data-for]")) {
    const want = label.dataset.for;
    label.hidden = want === "ip" ? protocol === "unix" : want === "unix" ? protocol !== "unix"
      : want === "wireshark" ? form.elements.decoder?.value !== "wireshark" : protocol === "udp";
  }
}
function formValues(form) {
  const f = form.elements;
  const protocol = f.protocol.value;
  const body = { protocol };
  if (protocol === "unix") body.path = f.path.value;
  if (protocol !== "udp") body.framing = f.framing.value;
  return body;
}
async function createListener(e, { onListener, toast }) {
  e.preventDefault();
  const form = e.target, f = form.elements;
  const body = { name: f.name.value, ...formValues(form) };
  if (body.protocol !== "unix") { body.address = f.address.value; body.port = Number(f.port.value || 0); }
  if (body.protocol !== "udp" && f.tls.checked) body.tls = { selfSigned: true };
  if (f.upstream.value.trim()) body.upstream = f.upstream.value.trim();
  if (f.decoder.value) body.decoder = f.decoder.value;
  if (f.decoder.value === "wireshark" && f.decodeAs.value.trim()) body.decodeAs = f.decodeAs.value.trim();
  try {
    const l = await post("/api/listeners", body);
    onListener(l);
    toast(`Listening: ${l.protocol === "unix" ? l.path : l.address + ":" + l.port}`);
    f.name.value = "";
  } catch (err) { toast(err.message, true); }
}
async function connectTo(e, { onSession, toast }) {
  e.preventDefault();
  const form = e.target, f = form.elements;
  const body = formValues(form);
  if (body.protocol !== "unix") { body.host = f.host.value; body.port = Number(f.port.value || 0); }
  if (body.protocol !== "udp" && f.tls.checked) body.tls = { allowUntrusted: f.allowUntrusted.checked };
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const s = await post("/api/connections", body);
    toast(`Connected to ${s.remote}`);
    await onSession(s);
  } catch (err) { toast(err.message, true); }
  finally { button.disabled = false; }
}

/** Wires both forms: onListener(listener) after a create, onSession(session) after a connect. */
export function wireForms(listenerForm, connectForm, handlers) {
  for (const form of [listenerForm, connectForm]) {
    form.elements.protocol.addEventListener("change", () => fitFields(form));
    fitFields(form);
  }
  listenerForm.elements.decoder.addEventListener("change", () => fitFields(listenerForm));
  // The decoders the gateway offers; asked again on focus when the first ask failed (a key was needed first).
  const box = listenerForm.elements.decoder;
  const fill = () => box.options.length > 1 ? null : api("/api/decoders")
    .then((names) => { if (box.options.length === 1) for (const name of names) box.add(new Option(name, name)); })
    .catch(() => { /* the choice stays "none" */ });
  fill();
  box.addEventListener("focus", fill);
  listenerForm.addEventListener("submit", (e) => createListener(e, handlers));
  connectForm.addEventListener("submit", (e) => connectTo(e, handlers));
}
