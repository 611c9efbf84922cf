// Larder's own REST endpoints (/api/v1/larder/...), which Feast's UI does not know about.

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || `${response.status} from ${url}`);
  return body;
}

export function fetchHistory(project, kind, name) {
  const q = new URLSearchParams({ project });
  return getJson(`/api/v1/larder/history/${kind}/${encodeURIComponent(name)}?${q}`);
}

export function fetchDiff(project, kind, name, from, to) {
  const q = new URLSearchParams({ project, from: String(from), to: String(to) });
  return getJson(`/api/v1/larder/history/${kind}/${encodeURIComponent(name)}/diff?${q}`);
}

export function fetchChanges({ project, kind, before, limit = 50 } = {}) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (project) q.set("project", project);
  if (kind) q.set("kind", kind);
  if (before) q.set("before", String(before));
  return getJson(`/api/v1/larder/changes?${q}`);
}

// The UI page of a registry object, where Feast's UI has one.
const pages = {
  feature_view: "feature-view",
  stream_feature_view: "feature-view",
  on_demand_feature_view: "feature-view",
  label_view: "label-view",
  entity: "entity",
  data_source: "data-source",
  feature_service: "feature-service",
  saved_dataset: "data-set",
};
export function objectPage(project, kind, name) {
  const page = pages[kind];
  return page ? `/p/${encodeURIComponent(project)}/${page}/${encodeURIComponent(name)}` : null;
}

// Larder's History page (HistoryPage.jsx) of one object, or of every object of a kind when
// `name` is left out: it serves every kind, also those Feast's UI has no History tab for.
export function historyPage(project, kind, name) {
  const q = new URLSearchParams({ project, kind });
  if (name) q.set("name", name);
  return `/history?${q}`;
}

// The change log's kinds (docs/http.md), as the History page names them.
export const kindTitles = {
  entity: "entity",
  data_source: "data source",
  feature_view: "feature view",
  stream_feature_view: "stream feature view",
  on_demand_feature_view: "on-demand feature view",
  label_view: "label view",
  feature_service: "feature service",
  saved_dataset: "saved dataset",
  validation_reference: "validation reference",
  permission: "permission",
  project: "project",
};

// The project of the page being shown (/p/<project>/...).
export function currentProject() {
  const match = window.location.pathname.match(/^\/p\/([^/]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export function formatTime(rfc3339) {
  if (!rfc3339) return "";
  const date = new Date(rfc3339);
  return Number.isNaN(date.getTime()) ? rfc3339 : date.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}
