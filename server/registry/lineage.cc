#include "server/registry/lineage.h"

#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace larder::registry {
namespace {

using feast::registry::EntityReference;
using feast::registry::EntityRelation;

EntityRelation MakeRelation(absl::string_view source_type, absl::string_view source_name,
                            absl::string_view target_type, absl::string_view target_name) {
  EntityRelation relation;
  relation.mutable_source()->set_type(std::string(source_type));
  relation.mutable_source()->set_name(std::string(source_name));
  relation.mutable_target()->set_type(std::string(target_type));
  relation.mutable_target()->set_name(std::string(target_name));
  return relation;
}

EntityRelation MakeRelation(const EntityReference& source, absl::string_view target_type,
                            absl::string_view target_name) {
  EntityRelation relation;
  *relation.mutable_source() = source;
  relation.mutable_target()->set_type(std::string(target_type));
  relation.mutable_target()->set_name(std::string(target_name));
  return relation;
}

bool IsViewType(absl::string_view type) {
  return type == lineage_type::kFeatureView || type == lineage_type::kLabelView;
}

// Appends entity → view and feature → view relations, the part every view kind with
// entities and features shares.
template <typename Spec>
void AddEntityAndFeatureRelations(const Spec& spec, std::vector<EntityRelation>& out) {
  for (const std::string& entity : spec.entities()) {
    out.push_back(
        MakeRelation(lineage_type::kEntity, entity, lineage_type::kFeatureView, spec.name()));
  }
  for (const feast::core::FeatureSpecV2& feature : spec.features()) {
    out.push_back(MakeRelation(lineage_type::kFeature, feature.name(), lineage_type::kFeatureView,
                               spec.name()));
  }
}

std::vector<EntityRelation> DirectRelations(const ProjectObjects& objects) {
  std::vector<EntityRelation> out;

  std::unordered_set<std::string> label_view_names;
  for (const feast::core::LabelView& lv : objects.label_views) {
    label_view_names.insert(lv.spec().name());
  }

  // 1. Feature services: each projected view feeds the service.
  for (const feast::core::FeatureService& fs : objects.feature_services) {
    for (const feast::core::FeatureViewProjection& p : fs.spec().features()) {
      const bool is_label_view =
          p.view_type() == "labelView" || label_view_names.count(p.feature_view_name()) > 0;
      out.push_back(
          MakeRelation(is_label_view ? lineage_type::kLabelView : lineage_type::kFeatureView,
                       p.feature_view_name(), lineage_type::kFeatureService, fs.spec().name()));
    }
  }

  // 2. Feature views: entities, features, then exactly one batch source.
  for (const feast::core::FeatureView& fv : objects.feature_views) {
    const feast::core::FeatureViewSpec& spec = fv.spec();
    AddEntityAndFeatureRelations(spec, out);
    // Deviation: for an unnamed batch source Feast emits "unnamed_source_" + Python's
    // per-process string hash of the source, which differs on every server start. Suffixing
    // the view name instead keeps the reference stable and still unique per view.
    const std::string source_name = spec.batch_source().name().empty()
                                        ? "unnamed_source_" + spec.name()
                                        : spec.batch_source().name();
    out.push_back(MakeRelation(lineage_type::kDataSource, source_name, lineage_type::kFeatureView,
                               spec.name()));
  }

  // 3. On-demand views: entities and features.
  for (const feast::core::OnDemandFeatureView& odfv : objects.on_demand_feature_views) {
    AddEntityAndFeatureRelations(odfv.spec(), out);
  }

  // 4. On-demand views: named request sources and projected views. Feast walks the proto map
  // in its (unspecified) iteration order; we walk it by key so the output is reproducible.
  for (const feast::core::OnDemandFeatureView& odfv : objects.on_demand_feature_views) {
    std::map<absl::string_view, const feast::core::OnDemandSource*> by_key;
    for (const auto& [key, source] : odfv.spec().sources()) by_key.emplace(key, &source);
    for (const auto& [key, source_ptr] : by_key) {
      const feast::core::OnDemandSource& source = *source_ptr;
      if (source.has_request_data_source() && !source.request_data_source().name().empty()) {
        out.push_back(MakeRelation(lineage_type::kDataSource, source.request_data_source().name(),
                                   lineage_type::kFeatureView, odfv.spec().name()));
      } else if (source.has_feature_view_projection() &&
                 !source.feature_view_projection().feature_view_name().empty()) {
        out.push_back(MakeRelation(lineage_type::kFeatureView,
                                   source.feature_view_projection().feature_view_name(),
                                   lineage_type::kFeatureView, odfv.spec().name()));
      }
    }
  }

  // 5. Stream views: their named stream and batch sources (Feast emits no entity or feature
  // relations for them).
  for (const feast::core::StreamFeatureView& sfv : objects.stream_feature_views) {
    const feast::core::StreamFeatureViewSpec& spec = sfv.spec();
    if (!spec.stream_source().name().empty()) {
      out.push_back(MakeRelation(lineage_type::kDataSource, spec.stream_source().name(),
                                 lineage_type::kFeatureView, spec.name()));
    }
    if (!spec.batch_source().name().empty()) {
      out.push_back(MakeRelation(lineage_type::kDataSource, spec.batch_source().name(),
                                 lineage_type::kFeatureView, spec.name()));
    }
  }

  // 6. Label views: entities, the named source and that source's named batch source.
  for (const feast::core::LabelView& lv : objects.label_views) {
    const feast::core::LabelViewSpec& spec = lv.spec();
    for (const std::string& entity : spec.entities()) {
      out.push_back(
          MakeRelation(lineage_type::kEntity, entity, lineage_type::kLabelView, spec.name()));
    }
    if (!spec.source().name().empty()) {
      out.push_back(MakeRelation(lineage_type::kDataSource, spec.source().name(),
                                 lineage_type::kLabelView, spec.name()));
    }
    if (!spec.source().batch_source().name().empty()) {
      out.push_back(MakeRelation(lineage_type::kDataSource, spec.source().batch_source().name(),
                                 lineage_type::kLabelView, spec.name()));
    }
  }
  return out;
}

std::vector<EntityRelation> IndirectRelations(const ProjectObjects& objects,
                                              const std::vector<EntityRelation>& direct) {
  std::vector<EntityRelation> out;

  // Everything pointing at a view, by view name, in direct order. Feast matches on the name
  // only, whichever of featureView/labelView the relation targets.
  std::unordered_map<std::string, std::vector<const EntityReference*>> feeds_view;
  // Data sources feeding each view (by name), in direct order, duplicates kept.
  std::unordered_map<std::string, std::vector<const std::string*>> sources_of_view;
  for (const EntityRelation& r : direct) {
    if (!IsViewType(r.target().type())) continue;
    feeds_view[r.target().name()].push_back(&r.source());
    if (r.source().type() == lineage_type::kDataSource) {
      sources_of_view[r.target().name()].push_back(&r.source().name());
    }
  }

  // 1. Whatever feeds a projected view also feeds the feature service.
  for (const feast::core::FeatureService& fs : objects.feature_services) {
    for (const feast::core::FeatureViewProjection& p : fs.spec().features()) {
      auto it = feeds_view.find(p.feature_view_name());
      if (it == feeds_view.end()) continue;
      for (const EntityReference* source : it->second) {
        out.push_back(MakeRelation(*source, lineage_type::kFeatureService, fs.spec().name()));
      }
    }
  }

  // 2. An entity of a view is related to every data source of that view.
  for (const EntityRelation& r : direct) {
    if (r.source().type() != lineage_type::kEntity || !IsViewType(r.target().type())) continue;
    auto it = sources_of_view.find(r.target().name());
    if (it == sources_of_view.end()) continue;
    for (const std::string* source_name : it->second) {
      out.push_back(MakeRelation(r.source(), lineage_type::kDataSource, *source_name));
    }
  }
  return out;
}

}  // namespace

Lineage ComputeLineage(const ProjectObjects& objects) {
  Lineage lineage;
  lineage.direct = DirectRelations(objects);
  lineage.indirect = IndirectRelations(objects, lineage.direct);
  return lineage;
}

bool IsLineageObjectType(absl::string_view type) {
  for (absl::string_view known :
       {lineage_type::kDataSource, lineage_type::kEntity, lineage_type::kFeatureView,
        lineage_type::kLabelView, lineage_type::kFeatureService, lineage_type::kFeature,
        lineage_type::kSavedDataset}) {
    if (type == known) return true;
  }
  return false;
}

bool RelationTouches(const EntityRelation& relation, absl::string_view type,
                     absl::string_view name) {
  return (relation.source().type() == type && relation.source().name() == name) ||
         (relation.target().type() == type && relation.target().name() == name);
}

}  // namespace larder::registry
