-- Feast's SqlRegistry tables, column for column (Feast v0.66 sql.py), so an existing Feast
-- database is adopted in place and Feast's own SQL readers keep working. IF NOT EXISTS: on an
-- adopted database these statements change nothing.

CREATE TABLE IF NOT EXISTS projects (
  project_id VARCHAR(255) NOT NULL,
  project_name VARCHAR(255) NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  project_proto BLOB NOT NULL,
  PRIMARY KEY (project_id)
);
CREATE INDEX IF NOT EXISTS idx_projects_project_id ON projects (project_id);

CREATE TABLE IF NOT EXISTS entities (
  entity_name VARCHAR(255) NOT NULL,
  project_id VARCHAR(255) NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  entity_proto BLOB NOT NULL,
  PRIMARY KEY (entity_name, project_id)
);
CREATE INDEX IF NOT EXISTS idx_entities_project_id ON entities (project_id);

CREATE TABLE IF NOT EXISTS data_sources (
  data_source_name VARCHAR(255) NOT NULL,
  project_id VARCHAR(255) NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  data_source_proto BLOB NOT NULL,
  PRIMARY KEY (data_source_name, project_id)
);
CREATE INDEX IF NOT EXISTS idx_data_sources_project_id ON data_sources (project_id);

CREATE TABLE IF NOT EXISTS feature_views (
  feature_view_name VARCHAR(255) NOT NULL,
  project_id VARCHAR(255) NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  materialized_intervals BLOB NULL,
  feature_view_proto BLOB NOT NULL,
  user_metadata BLOB NULL,
  PRIMARY KEY (feature_view_name, project_id)
);
CREATE INDEX IF NOT EXISTS idx_feature_views_project_id ON feature_views (project_id);

CREATE TABLE IF NOT EXISTS stream_feature_views (
  feature_view_name VARCHAR(255) NOT NULL,
  project_id VARCHAR(255) NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  feature_view_proto BLOB NOT NULL,
  user_metadata BLOB NULL,
  PRIMARY KEY (feature_view_name, project_id)
);
CREATE INDEX IF NOT EXISTS idx_stream_feature_views_project_id ON stream_feature_views (project_id);

CREATE TABLE IF NOT EXISTS on_demand_feature_views (
  feature_view_name VARCHAR(255) NOT NULL,
  project_id VARCHAR(255) NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  feature_view_proto BLOB NOT NULL,
  user_metadata BLOB NULL,
  PRIMARY KEY (feature_view_name, project_id)
);
CREATE INDEX IF NOT EXISTS idx_on_demand_feature_views_project_id ON on_demand_feature_views (project_id);

CREATE TABLE IF NOT EXISTS label_views (
  feature_view_name VARCHAR(255) NOT NULL,
  project_id VARCHAR(255) NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  feature_view_proto BLOB NOT NULL,
  user_metadata BLOB NULL,
  PRIMARY KEY (feature_view_name, project_id)
);
CREATE INDEX IF NOT EXISTS idx_label_views_project_id ON label_views (project_id);

CREATE TABLE IF NOT EXISTS feature_services (
  feature_service_name VARCHAR(255) NOT NULL,
  project_id VARCHAR(255) NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  feature_service_proto BLOB NOT NULL,
  PRIMARY KEY (feature_service_name, project_id)
);
CREATE INDEX IF NOT EXISTS idx_feature_services_project_id ON feature_services (project_id);

CREATE TABLE IF NOT EXISTS saved_datasets (
  saved_dataset_name VARCHAR(255) NOT NULL,
  project_id VARCHAR(255) NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  saved_dataset_proto BLOB NOT NULL,
  PRIMARY KEY (saved_dataset_name, project_id)
);
CREATE INDEX IF NOT EXISTS idx_saved_datasets_project_id ON saved_datasets (project_id);

CREATE TABLE IF NOT EXISTS validation_references (
  validation_reference_name VARCHAR(255) NOT NULL,
  project_id VARCHAR(255) NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  validation_reference_proto BLOB NOT NULL,
  PRIMARY KEY (validation_reference_name, project_id)
);
CREATE INDEX IF NOT EXISTS idx_validation_references_project_id ON validation_references (project_id);

CREATE TABLE IF NOT EXISTS managed_infra (
  infra_name VARCHAR(255) NOT NULL,
  project_id VARCHAR(255) NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  infra_proto BLOB NOT NULL,
  PRIMARY KEY (infra_name, project_id)
);
CREATE INDEX IF NOT EXISTS idx_managed_infra_project_id ON managed_infra (project_id);

CREATE TABLE IF NOT EXISTS permissions (
  permission_name VARCHAR(255) NOT NULL,
  project_id VARCHAR(255) NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  permission_proto BLOB NOT NULL,
  PRIMARY KEY (permission_name, project_id)
);
CREATE INDEX IF NOT EXISTS idx_permissions_project_id ON permissions (project_id);

CREATE TABLE IF NOT EXISTS feature_view_version_history (
  feature_view_name VARCHAR(255) NOT NULL,
  project_id VARCHAR(255) NOT NULL,
  version_number INTEGER NOT NULL,
  feature_view_type VARCHAR(50) NOT NULL,
  feature_view_proto BLOB NOT NULL,
  created_timestamp BIGINT NOT NULL,
  description TEXT NULL,
  version_id VARCHAR(36) NOT NULL,
  PRIMARY KEY (feature_view_name, project_id, version_number)
);
CREATE INDEX IF NOT EXISTS idx_fv_version_history_project_id ON feature_view_version_history (project_id);

CREATE TABLE IF NOT EXISTS feast_metadata (
  project_id VARCHAR(255) NOT NULL,
  metadata_key VARCHAR(50) NOT NULL,
  metadata_value TEXT NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  PRIMARY KEY (project_id, metadata_key)
);
CREATE INDEX IF NOT EXISTS idx_feast_metadata_project_id ON feast_metadata (project_id);
