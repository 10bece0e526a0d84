// The REST API: JSON in and out; a problem+json answer becomes an Error carrying its detail.
// With API keys configured, the key lives in sessionStorage (this tab only) and goes with every call;
// a 401 asks for one (see onUnauthorized). Options are fetch's, plus `as: "text"` for a body that is not JSON
// and `as: "page"` for a paged list ({items, next}: the next page's cursor from X-Next-Cursor).
const KEY = "gateway.apiKey";
let unauthorized = () => {};

export const apiKey = () => sessionStorage.getItem(KEY);
export const setApiKey = (key) => key ? sessionStorage.setItem(KEY, key) : sessionStorage.removeItem(KEY);
export const onUnauthorized = (handler) => { unauthorized = handler; };

export async function api(path, options = {}) {
  const headers = new Headers(options.headers);
  if (apiKey()) headers.set("X-Api-Key", apiKey());
  const response = await fetch(path, { ...options, headers });
  if (!response.ok) {
    let detail = response.status + " " + response.statusText;
    try {
      const problem = await response.json();
      detail = problem.detail || problem.title || detail;
    } catch { /* not JSON */ }
    if (response.status === 401) unauthorized(detail);
    throw new Error(detail);
  }
  if (response.status === 204) return null;
  if (options.as === "page") return { items: await response.json(), next: response.headers.get("X-Next-Cursor") };
  return options.as === "text" ? response.text() : response.json();
}
const send = (method) => (path, body) => api(path, {
  method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
});
export const post = send("POST");
export const put = send("PUT");
