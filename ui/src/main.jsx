// The Feast web UI (@feast-dev/feast-ui) mounted over Larder: the project list comes from
// Larder's /projects-list.json (built from the registry's projects), and every project points
// the UI at Larder's REST API under /api/v1, the same paths Feast's own UI server uses. Larder
// adds a History tab to object pages, a History page (/history) for the kinds FeastUI takes no
// tab for, and a Changes page (/changes), all reading /api/v1/larder/... .
import "./icons";
import React from "react";
import { createRoot } from "react-dom/client";
import { EuiProvider } from "@elastic/eui";
import FeastUI from "@feast-dev/feast-ui";
import "@feast-dev/feast-ui/dist/feast-ui.css";
import { ChangesPage } from "./ChangesPage";
import { HistoryPage } from "./HistoryPage";
import { historyTabsRegistry } from "./HistoryTab";
import { LarderLinks } from "./LarderLinks";

const root = createRoot(document.getElementById("root"));

// Feast's UI owns the routing of every other path, so Larder's pages (Changes, History) are
// mounted beside it, and fixed buttons on every Feast page lead to them (LarderLinks).
const path = window.location.pathname.replace(/\/+$/, "");
const larderPages = { "/changes": ChangesPage, "/history": HistoryPage };

if (larderPages[path]) {
  const Page = larderPages[path];
  root.render(
    <React.StrictMode>
      <EuiProvider colorMode="light">
        <Page />
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
      <LarderLinks />
    </React.StrictMode>
  );
}
