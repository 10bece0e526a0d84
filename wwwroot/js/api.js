// The REST API: JSON in and out; a problem+json answer becomes an Error carrying its detail.
export async function api(path, options) {
  const response = await fetch(path, options);
  if (!response.ok) {
    let detail = response.status + " " + response.statusText;
    try {
      const problem = await response.json();
      detail = problem.detail || problem.title || detail;
    } catch { /* not JSON */ }
    throw new Error(detail);
  }
  return response.status === 204 ? null : response.json();
}
const send = (method) => (path, body) => api(path, {
  method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
});
export const post = send("POST");
export const put = send("PUT");
