// Larder's History page (/history?project=P&kind=K[&name=N]), for the kinds Feast's UI gives no
// History tab: its label view page takes no custom tabs, permissions have only a list page and
// validation references no page at all. With a name it shows that object's History tab (the
// same component as on Feast's pages); without one it lists the objects of the kind that the
// change log has seen, each linking to its history.
import React, { useEffect, useState } from "react";
import {
  EuiBasicTable,
  EuiCallOut,
  EuiLink,
  EuiPage,
  EuiPageBody,
  EuiPageHeader,
  EuiPanel,
  EuiSpacer,
} from "@elastic/eui";
import { HistoryTab } from "./HistoryTab";
import { fetchChanges, formatTime, historyPage, kindTitles, objectPage } from "./larderApi";

// The newest change of each object of `kind` in `project`, newest first. One page of the feed
// (the endpoint's maximum); a project with more changes to one kind lists the recent ones.
function useObjectsOfKind(project, kind) {
  const [objects, setObjects] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    fetchChanges({ project, kind, limit: 1000 })
      .then((feed) => {
        if (!live) return;
        const latest = new Map();
        for (const change of feed.changes) {
          if (!latest.has(change.name)) latest.set(change.name, change);
        }
        setObjects([...latest.values()]);
      })
      .catch((e) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [project, kind]);
  return { objects, error };
}

function ObjectsOfKind({ project, kind }) {
  const { objects, error } = useObjectsOfKind(project, kind);
  if (error) return <EuiCallOut color="danger" title={error} />;
  return (
    <EuiPanel hasBorder data-test-subj="larder-history-objects">
      <EuiBasicTable
        tableLayout="auto"
        loading={!objects}
        items={objects || []}
        noItemsMessage={`No ${kindTitles[kind]} has been written in project ${project}`}
        columns={[
          {
            field: "name",
            name: "Name",
            render: (name) => <EuiLink href={historyPage(project, kind, name)}>{name}</EuiLink>,
          },
          { field: "operation", name: "Last operation" },
          { field: "version", name: "Latest version" },
          { field: "changedAt", name: "Last changed", render: formatTime },
          { field: "actor", name: "By", render: (a) => a || "(anonymous)" },
        ]}
      />
    </EuiPanel>
  );
}

export function HistoryPage() {
  const query = new URLSearchParams(window.location.search);
  const project = query.get("project") || "";
  const kind = query.get("kind") || "";
  const name = query.get("name") || "";
  const title = kindTitles[kind];
  const feastPage = name ? objectPage(project, kind, name) : null;
  const links = (
    <span>
      {name ? (
        <>
          <EuiLink href={historyPage(project, kind)}>Every {title}</EuiLink>
          {" · "}
        </>
      ) : null}
      {feastPage ? (
        <>
          <EuiLink href={feastPage}>Its page</EuiLink>
          {" · "}
        </>
      ) : null}
      <EuiLink href={`/p/${encodeURIComponent(project)}`}>Project {project}</EuiLink>
      {" · "}
      <EuiLink href={`/changes?project=${encodeURIComponent(project)}`}>Changes</EuiLink>
    </span>
  );
  let body;
  if (!project || !title) {
    body = (
      <EuiCallOut color="danger" title="Not a history page">
        The address needs a project and one of the kinds {Object.keys(kindTitles).join(", ")}.
      </EuiCallOut>
    );
  } else if (name) {
    body = <HistoryTab project={project} kind={kind} id={name} />;
  } else {
    body = <ObjectsOfKind project={project} kind={kind} />;
  }
  return (
    <EuiPage paddingSize="l">
      <EuiPageBody>
        <EuiPageHeader
          pageTitle={name ? `History of ${title} ${name}` : `History: every ${title || "object"}`}
          description={links}
        />
        <EuiSpacer />
        {body}
      </EuiPageBody>
    </EuiPage>
  );
}
