// The History tab on object pages (and the body of Larder's History page): every version of the object (newest first) with its time,
// actor and revision, and the field-by-field diff of a chosen version against the one before.
import React, { useEffect, useState } from "react";
import {
  EuiBasicTable,
  EuiCallOut,
  EuiCode,
  EuiLoadingSpinner,
  EuiPanel,
  EuiSpacer,
  EuiText,
  EuiTitle,
} from "@elastic/eui";
import { currentProject, fetchDiff, fetchHistory, formatTime } from "./larderApi";

function show(value) {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function VersionDiff({ project, kind, name, version }) {
  const [diff, setDiff] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    setDiff(null);
    fetchDiff(project, kind, name, version - 1, version)
      .then((d) => live && setDiff(d))
      .catch((e) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [project, kind, name, version]);
  if (error) return <EuiCallOut color="danger" title={error} />;
  if (!diff) return <EuiLoadingSpinner />;
  const title =
    version === 1 ? `Version 1 (created)` : `Changes from version ${version - 1} to ${version}`;
  return (
    <div data-test-subj="larder-history-diff">
      <EuiTitle size="xs">
        <h3>{title}</h3>
      </EuiTitle>
      <EuiSpacer size="s" />
      <EuiBasicTable
        tableLayout="auto"
        items={diff.changes}
        noItemsMessage="No differences"
        columns={[
          { field: "path", name: "Field", render: (p) => <EuiCode>{p || "(object)"}</EuiCode> },
          { field: "change", name: "Change" },
          { field: "from", name: "Before", render: (_v, row) => show(row.from) },
          { field: "to", name: "After", render: (_v, row) => show(row.to) },
        ]}
      />
    </div>
  );
}

// `project` defaults to the one of the Feast page showing the tab (/p/<project>/...).
export function HistoryTab({ kind, id, project = currentProject() }) {
  const [history, setHistory] = useState(null);
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(null);
  useEffect(() => {
    let live = true;
    fetchHistory(project, kind, id)
      .then((h) => {
        if (!live) return;
        setHistory(h);
        const latest = h.versions.find((v) => v.operation !== "delete");
        setSelected(latest ? latest.version : null);
      })
      .catch((e) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [project, kind, id]);

  if (error) return <EuiCallOut color="warning" title="No history" children={error} />;
  if (!history) return <EuiLoadingSpinner size="l" />;
  return (
    <EuiPanel hasBorder data-test-subj="larder-history">
      <EuiTitle size="s">
        <h2>History</h2>
      </EuiTitle>
      <EuiText size="s" color="subdued">
        Every version of {kind.replace(/_/g, " ")} <b>{id}</b> kept in Larder&apos;s change log,
        newest first. Select a version to see what it changed.
      </EuiText>
      <EuiSpacer size="m" />
      <EuiBasicTable
        tableLayout="auto"
        items={history.versions}
        rowProps={(row) => ({
          onClick: () => row.operation !== "delete" && setSelected(row.version),
          style: { cursor: "pointer" },
          className: row.version === selected ? "euiTableRow-isSelected" : "",
        })}
        columns={[
          { field: "version", name: "Version" },
          { field: "revision", name: "Revision" },
          { field: "operation", name: "Operation" },
          { field: "changedAt", name: "Time", render: formatTime },
          { field: "actor", name: "Actor", render: (a) => a || "(anonymous)" },
        ]}
      />
      <EuiSpacer size="l" />
      {selected ? (
        <VersionDiff project={project} kind={kind} name={id} version={selected} />
      ) : null}
    </EuiPanel>
  );
}

// The tab registrations FeastUI takes (feastUIConfigs.tabsRegistry): one History tab per kind of
// object page, each reading that kind's history.
function historyTab(kind) {
  const Component = ({ id }) => <HistoryTab kind={kind} id={id} />;
  return [{ label: "History", path: "history", Component }];
}

export const historyTabsRegistry = {
  RegularFeatureViewCustomTabs: historyTab("feature_view"),
  OnDemandFeatureViewCustomTabs: historyTab("on_demand_feature_view"),
  StreamFeatureViewCustomTabs: historyTab("stream_feature_view"),
  FeatureServiceCustomTabs: historyTab("feature_service"),
  DataSourceCustomTabs: historyTab("data_source"),
  EntityCustomTabs: historyTab("entity"),
  DatasetCustomTabs: historyTab("saved_dataset"),
};
