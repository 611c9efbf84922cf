#pragma once

// The one list of the Feast message kinds the registry stores, and the helpers that visit it.
// Everything per kind lives in its ObjectTraits specialization (object_traits.h); code that must
// do something for every kind visits this list instead of naming the kinds again, so adding a
// kind means adding its traits and one entry here.

#include <utility>

#include "feast/registry/RegistryServer.pb.h"
#include "server/registry/object_traits.h"

namespace larder::registry {

template <typename... Messages>
struct KindList {};

// Every kind with a Feast message, in storage::ObjectKind order. (Infra is one opaque row per
// project, written by UpdateInfra only, so it has no traits.)
using AllKinds =
    KindList<feast::core::Project, feast::core::Entity, feast::core::DataSource,
             feast::core::FeatureView, feast::core::StreamFeatureView,
             feast::core::OnDemandFeatureView, feast::core::LabelView, feast::core::FeatureService,
             feast::core::SavedDataset, feast::core::ValidationReference, feast::core::Permission>;

// Calls `visit.template operator()<Message>()` for every kind, in list order.
template <typename Visitor>
void ForEachKind(Visitor&& visit) {
  [&]<typename... Messages>(KindList<Messages...>) {
    (visit.template operator()<Messages>(), ...);
  }(AllKinds{});
}

// Calls `visit.template operator()<Message>()` for the message type stored as `kind`. Returns
// false (and calls nothing) for kinds without one (infra).
template <typename Visitor>
bool VisitKind(storage::ObjectKind kind, Visitor&& visit) {
  bool found = false;
  ForEachKind([&]<typename Message>() {
    if (!found && ObjectTraits<Message>::kKind == kind) {
      found = true;
      visit.template operator()<Message>();
    }
  });
  return found;
}

// Whether Message is one of the four feature-view kinds (an arm of AnyFeatureView).
template <typename Message>
constexpr bool kIsViewKind = storage::IsFeatureViewKind(ObjectTraits<Message>::kKind);

// Calls `visit(view)` with the typed view inside `any` (nothing when `any` holds none) and
// returns whether it did.
template <typename Visitor>
bool VisitAnyView(const feast::registry::AnyFeatureView& any, Visitor&& visit) {
  bool found = false;
  ForEachKind([&]<typename Message>() {
    if constexpr (kIsViewKind<Message>) {
      static const google::protobuf::FieldDescriptor* field =
          feast::registry::AnyFeatureView::descriptor()->FindFieldByName(
              std::string(ObjectTraits<Message>::kAnyViewField));
      const google::protobuf::Reflection* reflection = any.GetReflection();
      if (!found && reflection->HasField(any, field)) {
        found = true;
        visit(static_cast<const Message&>(reflection->GetMessage(any, field)));
      }
    }
  });
  return found;
}

// The AnyFeatureView arm for a view of type Message.
template <typename Message>
void SetAnyView(feast::registry::AnyFeatureView& any, Message view) {
  static const google::protobuf::FieldDescriptor* field =
      feast::registry::AnyFeatureView::descriptor()->FindFieldByName(
          std::string(ObjectTraits<Message>::kAnyViewField));
  static_cast<Message&>(*any.GetReflection()->MutableMessage(&any, field)) = std::move(view);
}

}  // namespace larder::registry
