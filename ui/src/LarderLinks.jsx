// Larder's buttons, fixed in a corner of every Feast page: "Changes" always, and "History" on
// the Feast pages whose kinds FeastUI takes no History tab for (a label view's page, the
// permissions list, a saved dataset's page for its validation references), leading to Larder's
// History page.
import React, { useEffect, useState } from "react";
import { historyPage } from "./larderApi";

const bar = {
  position: "fixed",
  right: 16,
  bottom: 16,
  zIndex: 9000,
  display: "flex",
  gap: 8,
};
const button = {
  padding: "6px 12px",
  borderRadius: 6,
  background: "#07c",
  color: "white",
  font: "14px sans-serif",
  textDecoration: "none",
};

// FeastUI routes in the browser (history.pushState), which fires no event, so the path is
// re-read on a short timer as well as on back/forward.
function usePathname() {
  const [pathname, setPathname] = useState(window.location.pathname);
  useEffect(() => {
    const update = () => setPathname(window.location.pathname);
    const timer = setInterval(update, 250);
    window.addEventListener("popstate", update);
    return () => {
      clearInterval(timer);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return pathname;
}

// The History page for the Feast page at `pathname`, when FeastUI shows no History tab there.
export function historyLinkFor(pathname) {
  const match = pathname.match(/^\/p\/([^/]+)\/([^/]+)(?:\/([^/]+))?/);
  if (!match) return null;
  const project = decodeURIComponent(match[1]);
  const name = match[3] ? decodeURIComponent(match[3]) : "";
  if (match[2] === "label-view" && name) {
    return { href: historyPage(project, "label_view", name), label: "History" };
  }
  if (match[2] === "permissions") {
    return { href: historyPage(project, "permission"), label: "Permission history" };
  }
  if (match[2] === "data-set") {
    return {
      href: historyPage(project, "validation_reference"),
      label: "Validation reference history",
    };
  }
  return null;
}

export function LarderLinks() {
  const history = historyLinkFor(usePathname());
  return (
    <div style={bar}>
      {history ? (
        <a href={history.href} style={button} data-test-subj="larder-history-link">
          {history.label}
        </a>
      ) : null}
      <a href="/changes" style={button} data-test-subj="larder-changes-link">
        Changes
      </a>
    </div>
  );
}
