// The Feast web UI (@feast-dev/feast-ui) mounted over Larder: the project list comes from
// Larder's /projects-list.json (built from the registry's projects), and every project points
// the UI at Larder's REST API under /api/v1, the same paths Feast's own UI server uses.
import React from "react";
import { createRoot } from "react-dom/client";
import FeastUI from "@feast-dev/feast-ui";
import "@feast-dev/feast-ui/dist/feast-ui.css";

const projectListPromise = fetch("/projects-list.json", {
  headers: { "Content-Type": "application/json" },
}).then((res) => res.json());

createRoot(document.getElementById("root")).render(
  <React.StrictMode>
    <FeastUI feastUIConfigs={{ projectListPromise }} />
  </React.StrictMode>
);
