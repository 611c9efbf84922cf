// The Feast web UI (@feast-dev/feast-ui) mounted over Larder: the project list comes from
// Larder's /projects-list.json (built from the registry's projects), and every project points
// the UI at Larder's REST API under /api/v1, the same paths Feast's own UI server uses. Larder
// adds a History tab to object pages and a Changes page (/changes), both reading
// /api/v1/larder/... .
import "./icons";
import React from "react";
import { createRoot } from "react-dom/client";
import { EuiProvider } from "@elastic/eui";
import FeastUI from "@feast-dev/feast-ui";
import "@feast-dev/feast-ui/dist/feast-ui.css";
import { ChangesPage } from "./ChangesPage";
import { historyTabsRegistry } from "./HistoryTab";

const root = createRoot(document.getElementById("root"));

// Feast's UI owns the routing of every other path, so the Changes page is mounted beside it,
// and a fixed link on every Feast page leads to it.
const changesLink = {
  position: "fixed",
  right: 16,
  bottom: 16,
  zIndex: 9000,
  padding: "6px 12px",
  borderRadius: 6,
  background: "#07c",
  color: "white",
  font: "14px sans-serif",
  textDecoration: "none",
};

if (window.location.pathname.replace(/\/+$/, "") === "/changes") {
  root.render(
    <React.StrictMode>
      <EuiProvider colorMode="light">
        <ChangesPage />
      </EuiProvider>
    </React.StrictMode>
  );
} else {
  const projectListPromise = fetch("/projects-list.json", {
    headers: { "Content-Type": "application/json" },
  }).then((res) => res.json());
  root.render(
    <React.StrictMode>
      <FeastUI feastUIConfigs={{ projectListPromise, tabsRegistry: historyTabsRegistry }} />
      <a href="/changes" style={changesLink} data-test-subj="larder-changes-link">
        Changes
      </a>
    </React.StrictMode>
  );
}
