// Decoder "layout": a listener's Kaitai Struct layout (.ksy), compiled and run here, in the browser, with
// the Kaitai compiler and runtime vendored under lib/kaitai (YAML read by lib/js-yaml). The compiler is
// large (6 MB), so the three scripts load the first time a layout is needed. A message's reading has the
// same shape as the server's decoders: {decoder, summary, fields: [{name, display, offset, length, children}]}.
import { api } from "./api.js";

const scripts = new Map();
function load(src) {
  if (!scripts.has(src)) {
    scripts.set(src, new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = () => { scripts.delete(src); reject(new Error(`could not load ${src}`)); };
      document.head.append(script);
    }));
  }
  return scripts.get(src);
}
async function tools() {
  await Promise.all(["lib/js-yaml/js-yaml.umd.min.js", "lib/kaitai/KaitaiStream.js", "lib/kaitai/kaitai-struct-compiler.js"].map(load));
  return { yaml: window.jsyaml, compiler: window.KaitaiStructCompiler, KaitaiStream: window.KaitaiStream };
}

/** An error in the layout itself; `line` (from 0) when YAML says where. */
class LayoutError extends Error {
  constructor(message, line) { super(message); this.line = line; }
}

/**
 * Compiles .ksy text into a decoder: {id, decode(bytes)}. Rejects with a LayoutError carrying YAML's message
 * (with its line) or the Kaitai compiler's (with the path into the layout it names).
 */
export async function compileLayout(text) {
  const { yaml, compiler, KaitaiStream } = await tools();
  let spec;
  try { spec = yaml.load(text); }
  catch (e) { throw new LayoutError(`YAML: ${e.message.split("\n")[0]}`, e.mark?.line); }
  if (!spec || typeof spec !== "object" || typeof spec.meta?.id !== "string") {
    throw new LayoutError("a layout starts with meta: id: (the format's name, e.g. meta: {id: my_frame})", 0);
  }
  let files;
  try { files = await compiler.compile("javascript", spec, null, true); }
  catch (e) { throw new LayoutError(`Kaitai compiler: ${String(e?.message ?? e).trim()}`); }
  const classes = {};
  for (const code of Object.values(files)) {
    // The generated module is UMD: given an AMD define, it hands over its factory.
    let factory = null;
    const define = (deps, f) => { factory = f; };
    define.amd = true;
    new Function("define", code)(define);
    factory?.(classes, KaitaiStream);
  }
  const Root = classes[Object.keys(files)[0].replace(/\.js$/, "")];
  if (!Root) throw new LayoutError("the compiler produced no parser for this layout");
  return { id: spec.meta.id, decode: (bytes) => run(Root, KaitaiStream, bytes, spec.meta.id, classes) };
}

// Compiled layouts by listener, refreshed when its layout text changes.
const byListener = new Map();
/** The decoder for a listener's layout (compiled once per text); rejects when it has none or it does not compile. */
export async function listenerLayout(listenerId) {
  const text = await api(`/api/listeners/${encodeURIComponent(listenerId)}/layout`, { as: "text" });
  const known = byListener.get(listenerId);
  if (known?.text === text) return known.compiled;
  const compiled = compileLayout(text);
  byListener.set(listenerId, { text, compiled });
  compiled.catch(() => byListener.delete(listenerId));
  return compiled;
}

/** Reads one message; never throws: where parsing stops, the tree ends with an error node at that offset. */
function run(Root, KaitaiStream, bytes, id, classes) {
  const root = new Root(new KaitaiStream(bytes));
  let failure = null;
  try { root._read(); } catch (e) { failure = e; }
  const fields = fieldsOf(root, classes);
  if (failure) {
    const at = Math.min(bytes.length, root._io?.pos ?? 0);
    fields.push({ name: "error", display: failure.message ?? String(failure), offset: at, length: Math.max(0, bytes.length - at), children: [] });
  } else if (root._io.pos < bytes.length) {
    fields.push({ name: "(rest)", display: `${bytes.length - root._io.pos} bytes the layout does not cover`, offset: root._io.pos, length: bytes.length - root._io.pos, children: [] });
  }
  const parts = fields.filter((f) => f.name !== "error" && !f.children.length).slice(0, 4).map((f) => `${f.name}=${f.display}`);
  const summary = failure ? `(not ${id}: ${failure.message ?? failure} at byte ${fields[fields.length - 1].offset})` : `${id} ${parts.join(" ")}`.trim();
  return { decoder: "layout", summary, fields };
}

/** The fields an object read, in order, from its debug record (positions into the whole message). */
function fieldsOf(object, classes) {
  const out = [];
  for (const [name, debug] of Object.entries(object?._debug ?? {})) {
    out.push(fieldOf(name, object[name], debug, object, classes));
  }
  return out;
}
function fieldOf(name, value, debug, owner, classes) {
  const offset = (debug.ioOffset ?? 0) + (debug.start ?? 0);
  const length = debug.end !== undefined ? debug.end - debug.start : 0;
  let children = [];
  let display;
  if (debug.arr) {
    children = debug.arr.map((d, i) => fieldOf(`[${i}]`, value?.[i], d, owner, classes));
    display = `${children.length} items`;
  } else if (value && typeof value === "object" && value._debug) {
    children = fieldsOf(value, classes);
    display = value.constructor?.name ?? "";
  } else {
    display = show(value, debug.enumName, classes);
  }
  return { name, display, offset, length, children };
}
function show(value, enumName, classes) {
  if (value instanceof Uint8Array) {
    const hex = Array.from(value.subarray(0, 24), (b) => b.toString(16).padStart(2, "0")).join(" ");
    return `${value.length} bytes: ${hex}${value.length > 24 ? " …" : ""}`;
  }
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "(not read)";
  if (enumName) {
    // "Frame.Kinds" → the frozen map the generated class carries.
    const names = enumName.split(".").reduce((o, k) => o?.[k], classes);
    if (names && names[value] !== undefined) return `${value} (${String(names[value]).toLowerCase()})`;
  }
  return String(value);
}

const EXAMPLE = `meta:
  id: my_frame
  endian: be
seq:
  - id: magic
    contents: [0xca, 0xfe]
  - id: length
    type: u2
  - id: body
    size: length
`;

/** The listener card's layout editor: the .ksy text, compiled here before it is saved; errors shown under it. */
export function buildLayoutPanel(listenerId, toast) {
  const panel = document.createElement("details");
  panel.className = "layout-panel";
  const summary = document.createElement("summary");
  summary.textContent = "Layout (.ksy)";
  summary.title = "A Kaitai Struct layout for decoder \"layout\": compiled and run in this browser";
  const text = document.createElement("textarea");
  text.className = "layout-text";
  text.rows = 10;
  text.spellcheck = false;
  text.placeholder = EXAMPLE;
  text.setAttribute("aria-label", `Kaitai Struct layout for ${listenerId}`);
  const error = document.createElement("pre");
  error.className = "layout-error";
  error.setAttribute("role", "alert");
  error.hidden = true;
  const save = document.createElement("button");
  save.type = "button"; save.className = "save-layout needs-operator"; save.textContent = "Compile & save";
  const remove = document.createElement("button");
  remove.type = "button"; remove.className = "remove-layout needs-operator"; remove.textContent = "Remove";
  const status = document.createElement("span");
  status.className = "layout-status";
  const actions = document.createElement("div");
  actions.className = "layout-actions";
  actions.append(save, " ", remove, " ", status);
  panel.append(summary, text, error, actions);

  const showError = (message, line) => {
    error.textContent = message;
    error.hidden = !message;
    text.setAttribute("aria-invalid", message ? "true" : "false");
    if (message && Number.isInteger(line)) {
      // Put the caret on the line YAML complained about.
      const lines = text.value.split("\n");
      const start = lines.slice(0, line).reduce((n, l) => n + l.length + 1, 0);
      text.focus();
      text.setSelectionRange(start, start + (lines[line]?.length ?? 0));
    }
  };
  panel.addEventListener("toggle", async () => {
    if (!panel.open || text.dataset.loaded) return;
    text.dataset.loaded = "1";
    try { text.value = await api(`/api/listeners/${encodeURIComponent(listenerId)}/layout`, { as: "text" }); status.textContent = "saved layout"; }
    catch { status.textContent = "no layout yet"; }
  });
  save.addEventListener("click", async () => {
    status.textContent = "compiling…";
    try {
      const compiled = await compileLayout(text.value);
      showError("");
      await api(`/api/listeners/${encodeURIComponent(listenerId)}/layout`, {
        method: "PUT", headers: { "Content-Type": "application/yaml" }, body: text.value, as: "text",
      });
      status.textContent = `compiled ${compiled.id} and saved`;
      toast(`Layout ${compiled.id} saved on ${listenerId}`);
    } catch (e) {
      status.textContent = "";
      if (e instanceof LayoutError) showError(e.message, e.line); else toast(e.message, true);
    }
  });
  remove.addEventListener("click", async () => {
    try {
      await api(`/api/listeners/${encodeURIComponent(listenerId)}/layout`, { method: "DELETE" });
      text.value = ""; showError(""); status.textContent = "no layout";
      toast(`Layout removed from ${listenerId}`);
    } catch (e) { toast(e.message, true); }
  });
  return panel;
}
