// Lineage generation (spec §4.14) over in-memory project objects.
#include "server/registry/lineage.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace larder::registry {
namespace {

using feast::registry::EntityRelation;

// "type:name->type:name", so whole lists compare and print readably.
std::string Render(const EntityRelation& r) {
  return r.source().type() + ":" + r.source().name() + "->" + r.target().type() + ":" +
         r.target().name();
}

std::vector<std::string> Render(const std::vector<EntityRelation>& relations) {
  std::vector<std::string> out;
  for (const EntityRelation& r : relations) out.push_back(Render(r));
  return out;
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

feast::core::Entity MakeEntity(const std::string& name) {
  feast::core::Entity e;
  e.mutable_spec()->set_name(name);
  return e;
}

feast::core::DataSource MakeFileSource(const std::string& name) {
  feast::core::DataSource s;
  s.set_name(name);
  s.set_type(feast::core::DataSource::BATCH_FILE);
  return s;
}

feast::core::FeatureView MakeFeatureView(const std::string& name, const std::string& entity,
                                         const std::string& source,
                                         const std::vector<std::string>& features) {
  feast::core::FeatureView fv;
  fv.mutable_spec()->set_name(name);
  fv.mutable_spec()->add_entities(entity);
  *fv.mutable_spec()->mutable_batch_source() = MakeFileSource(source);
  for (const std::string& f : features) {
    auto* spec = fv.mutable_spec()->add_features();
    spec->set_name(f);
    spec->set_value_type(feast::types::ValueType::DOUBLE);
  }
  return fv;
}

feast::core::FeatureViewProjection Projection(const std::string& view) {
  feast::core::FeatureViewProjection p;
  p.set_feature_view_name(view);
  return p;
}

// The example repository of spec §6, lists in registry (name) order.
ProjectObjects ExampleRepo() {
  ProjectObjects objects;
  objects.entities = {MakeEntity("__dummy"), MakeEntity("customer"), MakeEntity("driver")};
  objects.data_sources = {MakeFileSource("customer_stats_source"),
                          MakeFileSource("driver_stats_source")};
  objects.feature_views = {
      MakeFeatureView("customer_profile", "customer", "customer_stats_source", {"avg_orders"}),
      MakeFeatureView("driver_hourly_stats", "driver", "driver_stats_source",
                      {"conv_rate", "acc_rate"})};

  feast::core::OnDemandFeatureView odfv;
  odfv.mutable_spec()->set_name("driver_conv_adjusted");
  odfv.mutable_spec()->add_features()->set_name("conv_rate_adjusted");
  *(*odfv.mutable_spec()->mutable_sources())["driver_hourly_stats"]
       .mutable_feature_view_projection() = Projection("driver_hourly_stats");
  objects.on_demand_feature_views = {odfv};

  feast::core::FeatureService fs;
  fs.mutable_spec()->set_name("driver_activity");
  for (const char* view : {"driver_hourly_stats", "customer_profile", "driver_conv_adjusted"}) {
    *fs.mutable_spec()->add_features() = Projection(view);
  }
  objects.feature_services = {fs};
  return objects;
}

TEST_CASE("Lineage of the example repo has the checklist relations", "[lineage]") {
  const Lineage lineage = ComputeLineage(ExampleRepo());
  const auto direct = Render(lineage.direct);
  const auto indirect = Render(lineage.indirect);

  CHECK(Contains(direct, "entity:driver->featureView:driver_hourly_stats"));
  CHECK(Contains(direct, "dataSource:driver_stats_source->featureView:driver_hourly_stats"));
  CHECK(Contains(direct, "featureView:driver_hourly_stats->featureView:driver_conv_adjusted"));
  CHECK(Contains(direct, "featureView:driver_hourly_stats->featureService:driver_activity"));
  CHECK(Contains(indirect, "entity:driver->featureService:driver_activity"));
  CHECK(Contains(indirect, "entity:driver->dataSource:driver_stats_source"));
}

TEST_CASE("Direct relations come in the documented step order", "[lineage]") {
  const auto direct = Render(ComputeLineage(ExampleRepo()).direct);
  const std::vector<std::string> expected = {
      // 1. feature service projections, in projection order
      "featureView:driver_hourly_stats->featureService:driver_activity",
      "featureView:customer_profile->featureService:driver_activity",
      "featureView:driver_conv_adjusted->featureService:driver_activity",
      // 2. feature views: entities, features, batch source
      "entity:customer->featureView:customer_profile",
      "feature:avg_orders->featureView:customer_profile",
      "dataSource:customer_stats_source->featureView:customer_profile",
      "entity:driver->featureView:driver_hourly_stats",
      "feature:conv_rate->featureView:driver_hourly_stats",
      "feature:acc_rate->featureView:driver_hourly_stats",
      "dataSource:driver_stats_source->featureView:driver_hourly_stats",
      // 3. on-demand view features
      "feature:conv_rate_adjusted->featureView:driver_conv_adjusted",
      // 4. on-demand view sources
      "featureView:driver_hourly_stats->featureView:driver_conv_adjusted",
  };
  CHECK(direct == expected);
}

TEST_CASE("Indirect relations: view inputs feed the service, entities reach sources", "[lineage]") {
  const auto indirect = Render(ComputeLineage(ExampleRepo()).indirect);
  const std::vector<std::string> expected = {
      // 1. per projection, everything feeding the projected view
      "entity:driver->featureService:driver_activity",
      "feature:conv_rate->featureService:driver_activity",
      "feature:acc_rate->featureService:driver_activity",
      "dataSource:driver_stats_source->featureService:driver_activity",
      "entity:customer->featureService:driver_activity",
      "feature:avg_orders->featureService:driver_activity",
      "dataSource:customer_stats_source->featureService:driver_activity",
      "feature:conv_rate_adjusted->featureService:driver_activity",
      "featureView:driver_hourly_stats->featureService:driver_activity",
      // 2. entity -> each data source of its view
      "entity:customer->dataSource:customer_stats_source",
      "entity:driver->dataSource:driver_stats_source",
  };
  CHECK(indirect == expected);
}

TEST_CASE("An unnamed batch source is named after its view", "[lineage]") {
  ProjectObjects objects;
  objects.feature_views = {MakeFeatureView("fv", "driver", "", {})};
  objects.feature_views[0].mutable_spec()->mutable_batch_source()->mutable_file_options()->set_uri(
      "file:///data/x.parquet");
  const auto direct = Render(ComputeLineage(objects).direct);
  CHECK(direct == std::vector<std::string>{"entity:driver->featureView:fv",
                                           "dataSource:unnamed_source_fv->featureView:fv"});
}

TEST_CASE("Projections of label views are labelView, by view_type or by name", "[lineage]") {
  ProjectObjects objects;
  feast::core::LabelView lv;
  lv.mutable_spec()->set_name("labels");
  lv.mutable_spec()->add_entities("driver");
  lv.mutable_spec()->mutable_source()->set_name("label_push");
  lv.mutable_spec()->mutable_source()->mutable_batch_source()->set_name("label_files");
  lv.mutable_spec()->add_features()->set_name("is_fraud");  // no relation for label features
  objects.label_views = {lv};

  feast::core::FeatureService fs;
  fs.mutable_spec()->set_name("svc");
  *fs.mutable_spec()->add_features() = Projection("labels");  // matched by name
  auto typed = Projection("elsewhere");
  typed.set_view_type("labelView");  // matched by view_type
  *fs.mutable_spec()->add_features() = typed;
  objects.feature_services = {fs};

  const Lineage lineage = ComputeLineage(objects);
  CHECK(Render(lineage.direct) == std::vector<std::string>{
                                      "labelView:labels->featureService:svc",
                                      "labelView:elsewhere->featureService:svc",
                                      "entity:driver->labelView:labels",
                                      "dataSource:label_push->labelView:labels",
                                      "dataSource:label_files->labelView:labels",
                                  });
  CHECK(Render(lineage.indirect) == std::vector<std::string>{
                                        "entity:driver->featureService:svc",
                                        "dataSource:label_push->featureService:svc",
                                        "dataSource:label_files->featureService:svc",
                                        "entity:driver->dataSource:label_push",
                                        "entity:driver->dataSource:label_files",
                                    });
}

TEST_CASE("On-demand sources are walked by key; unnamed ones are skipped", "[lineage]") {
  feast::core::OnDemandFeatureView odfv;
  odfv.mutable_spec()->set_name("odfv");
  odfv.mutable_spec()->add_entities("driver");
  auto& sources = *odfv.mutable_spec()->mutable_sources();
  sources["b_request"].mutable_request_data_source()->set_name("vals_to_add");
  *sources["a_view"].mutable_feature_view_projection() = Projection("fv");
  sources["c_unnamed"].mutable_request_data_source();
  ProjectObjects objects;
  objects.on_demand_feature_views = {odfv};

  CHECK(Render(ComputeLineage(objects).direct) == std::vector<std::string>{
                                                      "entity:driver->featureView:odfv",
                                                      "featureView:fv->featureView:odfv",
                                                      "dataSource:vals_to_add->featureView:odfv",
                                                  });
}

TEST_CASE("Stream views contribute only their named sources", "[lineage]") {
  feast::core::StreamFeatureView sfv;
  sfv.mutable_spec()->set_name("sfv");
  sfv.mutable_spec()->add_entities("driver");
  sfv.mutable_spec()->add_features()->set_name("f");
  sfv.mutable_spec()->mutable_stream_source()->set_name("kafka");
  sfv.mutable_spec()->mutable_batch_source()->set_name("files");
  ProjectObjects objects;
  objects.stream_feature_views = {sfv};
  objects.stream_feature_views.push_back(sfv);
  objects.stream_feature_views[1].mutable_spec()->set_name("sfv2");
  objects.stream_feature_views[1].mutable_spec()->mutable_stream_source()->clear_name();

  CHECK(Render(ComputeLineage(objects).direct) == std::vector<std::string>{
                                                      "dataSource:kafka->featureView:sfv",
                                                      "dataSource:files->featureView:sfv",
                                                      "dataSource:files->featureView:sfv2",
                                                  });
}

TEST_CASE("Duplicate relations are kept", "[lineage]") {
  ProjectObjects objects = ExampleRepo();
  // The same view projected twice by one service.
  *objects.feature_services[0].mutable_spec()->add_features() = Projection("customer_profile");
  const Lineage lineage = ComputeLineage(objects);
  const auto direct = Render(lineage.direct);
  CHECK(std::count(direct.begin(), direct.end(),
                   "featureView:customer_profile->featureService:driver_activity") == 2);
  const auto indirect = Render(lineage.indirect);
  CHECK(std::count(indirect.begin(), indirect.end(),
                   "entity:customer->featureService:driver_activity") == 2);
}

TEST_CASE("Lineage of an empty project is empty", "[lineage]") {
  const Lineage lineage = ComputeLineage(ProjectObjects{});
  CHECK(lineage.direct.empty());
  CHECK(lineage.indirect.empty());
}

TEST_CASE("IsLineageObjectType accepts exactly the seven type strings", "[lineage]") {
  for (const char* type : {"dataSource", "entity", "featureView", "labelView", "featureService",
                           "feature", "savedDataset"}) {
    CHECK(IsLineageObjectType(type));
  }
  CHECK_FALSE(IsLineageObjectType("bogus"));
  CHECK_FALSE(IsLineageObjectType(""));
  CHECK_FALSE(IsLineageObjectType("FeatureView"));  // case matters
  CHECK_FALSE(IsLineageObjectType("onDemandFeatureView"));
}

TEST_CASE("RelationTouches matches source or target by exact type and name", "[lineage]") {
  const Lineage lineage = ComputeLineage(ExampleRepo());
  const EntityRelation& r = lineage.direct.front();  // featureView:driver_hourly_stats -> FS
  CHECK(RelationTouches(r, "featureView", "driver_hourly_stats"));
  CHECK(RelationTouches(r, "featureService", "driver_activity"));
  CHECK_FALSE(RelationTouches(r, "featureService", "driver_hourly_stats"));
  CHECK_FALSE(RelationTouches(r, "featureView", "driver_activity"));
  CHECK_FALSE(RelationTouches(r, "featureView", "driver_hourly"));
}

}  // namespace
}  // namespace larder::registry
