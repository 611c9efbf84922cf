#pragma once

#include <vector>

#include "feast/core/DataSource.pb.h"
#include "feast/core/Entity.pb.h"
#include "feast/core/FeatureService.pb.h"
#include "feast/core/FeatureView.pb.h"
#include "feast/core/LabelView.pb.h"
#include "feast/core/OnDemandFeatureView.pb.h"
#include "feast/core/StreamFeatureView.pb.h"

namespace larder::registry {

// The objects of one project that lineage and feature listing look at, each list in the
// registry's list order (by name).
struct ProjectObjects {
  std::vector<feast::core::Entity> entities;
  std::vector<feast::core::DataSource> data_sources;
  std::vector<feast::core::FeatureView> feature_views;
  std::vector<feast::core::StreamFeatureView> stream_feature_views;
  std::vector<feast::core::OnDemandFeatureView> on_demand_feature_views;
  std::vector<feast::core::LabelView> label_views;
  std::vector<feast::core::FeatureService> feature_services;
};

}  // namespace larder::registry
