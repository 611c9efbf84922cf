// The Changes page (/changes): Larder's change feed, newest first, refreshed every few seconds
// while the newest page is shown; older pages by the feed's `nextBefore` cursor.
import React, { useCallback, useEffect, useState } from "react";
import {
  EuiBasicTable,
  EuiButton,
  EuiCallOut,
  EuiFlexGroup,
  EuiFlexItem,
  EuiLink,
  EuiPage,
  EuiPageBody,
  EuiPageHeader,
  EuiPanel,
  EuiSpacer,
  EuiText,
} from "@elastic/eui";
import { fetchChanges, formatTime, historyPage, kindTitles, objectPage } from "./larderApi";

const kRefreshMs = 3000;

export function ChangesPage() {
  const project = new URLSearchParams(window.location.search).get("project") || "";
  // The `before` cursor of each page shown so far; the last is the page on screen.
  const [cursors, setCursors] = useState([null]);
  const [feed, setFeed] = useState(null);
  const [error, setError] = useState(null);
  const [updated, setUpdated] = useState(null);
  const before = cursors[cursors.length - 1];

  const load = useCallback(() => {
    fetchChanges({ project, before })
      .then((f) => {
        setFeed(f);
        setError(null);
        setUpdated(new Date());
      })
      .catch((e) => setError(e.message));
  }, [project, before]);

  useEffect(() => {
    load();
    if (before) return undefined;  // older pages do not change
    const timer = setInterval(load, kRefreshMs);
    return () => clearInterval(timer);
  }, [load, before]);

  return (
    <EuiPage paddingSize="l">
      <EuiPageBody>
        <EuiPageHeader
          pageTitle="Changes"
          description={
            <span>
              Every change to the registry{project ? ` of project ${project}` : ""}, newest first.{" "}
              <EuiLink href="/">Back to the projects</EuiLink>
            </span>
          }
        />
        <EuiSpacer />
        <EuiPanel hasBorder data-test-subj="larder-changes">
          <EuiText size="s" color="subdued">
            {before
              ? `Older changes, before revision ${before}.`
              : `Live: refreshed every ${kRefreshMs / 1000} s.`}{" "}
            {feed ? `Registry revision ${feed.currentRevision}.` : ""}{" "}
            {updated ? `Updated ${updated.toLocaleTimeString()}.` : ""}
          </EuiText>
          <EuiSpacer size="s" />
          {error ? <EuiCallOut color="danger" title={error} /> : null}
          <EuiBasicTable
            tableLayout="auto"
            loading={!feed && !error}
            items={feed ? feed.changes : []}
            noItemsMessage="No changes yet"
            columns={[
              { field: "revision", name: "Revision" },
              { field: "changedAt", name: "Time", render: formatTime },
              { field: "project", name: "Project" },
              { field: "kind", name: "Kind" },
              {
                field: "name",
                name: "Name",
                render: (name, row) => {
                  const page = row.operation === "delete" ? null : objectPage(row.project, row.kind, name);
                  return page ? <EuiLink href={page}>{name}</EuiLink> : name;
                },
              },
              { field: "operation", name: "Operation" },
              { field: "version", name: "Version" },
              { field: "actor", name: "Actor", render: (a) => a || "(anonymous)" },
              {
                // Every kind the History page knows, also those without a Feast page
                // (permissions, validation references) or deleted since.
                field: "kind",
                name: "",
                render: (kind, row) =>
                  kindTitles[kind] ? (
                    <EuiLink href={historyPage(row.project, kind, row.name)}>History</EuiLink>
                  ) : null,
              },
            ]}
          />
          <EuiSpacer size="m" />
          <EuiFlexGroup gutterSize="s">
            <EuiFlexItem grow={false}>
              <EuiButton
                size="s"
                isDisabled={cursors.length === 1}
                onClick={() => setCursors(cursors.slice(0, -1))}
              >
                Newer
              </EuiButton>
            </EuiFlexItem>
            <EuiFlexItem grow={false}>
              <EuiButton
                size="s"
                isDisabled={!feed || feed.nextBefore === null}
                onClick={() => setCursors([...cursors, feed.nextBefore])}
              >
                Older
              </EuiButton>
            </EuiFlexItem>
          </EuiFlexGroup>
        </EuiPanel>
      </EuiPageBody>
    </EuiPage>
  );
}
