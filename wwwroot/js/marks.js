// Marks: a star, tags and a note on the selected session (PUT /api/sessions/{id}/annotations) and on any of
// its messages (PUT /api/sessions/{id}/messages/{seq}/annotations).
import { put } from "./api.js";
import { updateMessageMarks } from "./messages.js";

const $ = (id) => document.getElementById(id);

/** Shows a session's marks in the session head (the inputs keep what is being typed into them). */
export function showMarks(s) {
  const a = s.annotations ?? { starred: false, tags: [], note: null };
  $("mark-star").textContent = a.starred ? "★" : "☆";
  $("mark-star").setAttribute("aria-pressed", String(a.starred));
  $("marks-text").textContent = [a.tags.map((t) => "#" + t).join(" "), a.note ?? ""].filter(Boolean).join(" · ");
  if (document.activeElement !== $("mark-tags")) $("mark-tags").value = a.tags.join(", ");
  if (document.activeElement !== $("mark-note")) $("mark-note").value = a.note ?? "";
}

/** Wires the marks controls; ctx: {state, toast, upsertSession, renderSessionHead}. */
export function wireMarks({ state, toast, upsertSession, renderSessionHead }) {
  // One save at a time, each on top of what the previous one saved: a tag edit and a note typed right after it
  // must not race (the second would otherwise send the tags from before the first).
  let marksSaving = Promise.resolve();
  function saveMarks(change) {
    const id = state.selected;
    marksSaving = marksSaving.then(async () => {
      const s = state.sessions.get(id);
      if (!s) return;
      const a = s.annotations ?? { starred: false, tags: [], note: null };
      const next = { starred: a.starred, tags: a.tags, note: a.note, ...change };
      try {
        const saved = await put(`/api/sessions/${id}/annotations`, next);
        upsertSession({ ...state.sessions.get(id) ?? s, annotations: saved });
      } catch (err) { toast(err.message, true); }
      if (state.selected === id) renderSessionHead();
    });
    return marksSaving;
  }
  $("mark-star").addEventListener("click", () => saveMarks({ starred: $("mark-star").getAttribute("aria-pressed") !== "true" }));
  $("mark-tags").addEventListener("change", (e) => saveMarks({ tags: e.target.value.split(",").map((t) => t.trim()).filter(Boolean) }));
  $("mark-note").addEventListener("change", (e) => saveMarks({ note: e.target.value.trim() || null }));

  // A message: ☆ stars it; "tag" opens a small form for its tags and note.
  async function saveMessageMarks(row, change) {
    const id = state.selected, seq = Number(row.dataset.seq);
    const a = row._annotations ?? { starred: false, tags: [], note: null };
    try {
      const saved = await put(`/api/sessions/${id}/messages/${seq}/annotations`, { starred: a.starred, tags: a.tags, note: a.note, ...change });
      updateMessageMarks(row, saved);
      return true;
    } catch (err) { toast(err.message, true); return false; }
  }
  $("messages").addEventListener("click", (e) => {
    const star = e.target.closest(".msg .msg-star");
    const mark = e.target.closest(".msg .msg-mark");
    if (!star && !mark) return;
    e.stopPropagation();
    const row = (star ?? mark).closest(".msg");
    if (star) { saveMessageMarks(row, { starred: !row._annotations?.starred }); return; }
    const open = row.querySelector(".msg-mark-form");
    if (open) { open.remove(); return; }
    const a = row._annotations ?? { tags: [], note: null };
    const form = document.createElement("form");
    form.className = "msg-mark-form";
    const tags = Object.assign(document.createElement("input"), { name: "tags", value: a.tags.join(", "), placeholder: "tags, comma separated" });
    tags.setAttribute("aria-label", "tags of this message");
    const note = Object.assign(document.createElement("input"), { name: "note", value: a.note ?? "", placeholder: "note" });
    note.setAttribute("aria-label", "note on this message");
    const save = Object.assign(document.createElement("button"), { type: "submit", textContent: "Save" });
    form.append(tags, note, save);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const ok = await saveMessageMarks(row, { tags: tags.value.split(",").map((t) => t.trim()).filter(Boolean), note: note.value.trim() || null });
      if (ok) form.remove();
    });
    row.append(form);
    tags.focus();
  }, true);
}
