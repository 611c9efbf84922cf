-- Feast's SqlRegistry tables, column for column (Feast v0.66 sql.py), so an existing Feast
-- database is adopted in place and Feast's own SQL readers keep working. IF NOT EXISTS: on an
-- adopted database these statements change nothing.

CREATE TABLE IF NOT EXISTS projects (
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  project_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  project_proto LONGBLOB NOT NULL,
  PRIMARY KEY (project_id),
  INDEX idx_projects_project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS entities (
  entity_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  entity_proto LONGBLOB NOT NULL,
  PRIMARY KEY (entity_name, project_id),
  INDEX idx_entities_project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS data_sources (
  data_source_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  data_source_proto LONGBLOB NOT NULL,
  PRIMARY KEY (data_source_name, project_id),
  INDEX idx_data_sources_project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS feature_views (
  feature_view_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  materialized_intervals LONGBLOB NULL,
  feature_view_proto LONGBLOB NOT NULL,
  user_metadata LONGBLOB NULL,
  PRIMARY KEY (feature_view_name, project_id),
  INDEX idx_feature_views_project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS stream_feature_views (
  feature_view_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  feature_view_proto LONGBLOB NOT NULL,
  user_metadata LONGBLOB NULL,
  PRIMARY KEY (feature_view_name, project_id),
  INDEX idx_stream_feature_views_project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS on_demand_feature_views (
  feature_view_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  feature_view_proto LONGBLOB NOT NULL,
  user_metadata LONGBLOB NULL,
  PRIMARY KEY (feature_view_name, project_id),
  INDEX idx_on_demand_feature_views_project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS label_views (
  feature_view_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  feature_view_proto LONGBLOB NOT NULL,
  user_metadata LONGBLOB NULL,
  PRIMARY KEY (feature_view_name, project_id),
  INDEX idx_label_views_project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS feature_services (
  feature_service_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  feature_service_proto LONGBLOB NOT NULL,
  PRIMARY KEY (feature_service_name, project_id),
  INDEX idx_feature_services_project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS saved_datasets (
  saved_dataset_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  saved_dataset_proto LONGBLOB NOT NULL,
  PRIMARY KEY (saved_dataset_name, project_id),
  INDEX idx_saved_datasets_project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS validation_references (
  validation_reference_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  validation_reference_proto LONGBLOB NOT NULL,
  PRIMARY KEY (validation_reference_name, project_id),
  INDEX idx_validation_references_project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS managed_infra (
  infra_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  infra_proto LONGBLOB NOT NULL,
  PRIMARY KEY (infra_name, project_id),
  INDEX idx_managed_infra_project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS permissions (
  permission_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  permission_proto LONGBLOB NOT NULL,
  PRIMARY KEY (permission_name, project_id),
  INDEX idx_permissions_project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS feature_view_version_history (
  feature_view_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  version_number INTEGER NOT NULL,
  feature_view_type VARCHAR(50) NOT NULL,
  feature_view_proto LONGBLOB NOT NULL,
  created_timestamp BIGINT NOT NULL,
  description TEXT NULL,
  version_id VARCHAR(36) NOT NULL,
  PRIMARY KEY (feature_view_name, project_id, version_number),
  INDEX idx_fv_version_history_project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS feast_metadata (
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  metadata_key VARCHAR(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  metadata_value TEXT NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  PRIMARY KEY (project_id, metadata_key),
  INDEX idx_feast_metadata_project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
