#include "server/http/feast_rest_api.h"

#include "server/http/rest_routes.h"

namespace larder::http {

void AddFeastRestApi(Router& router, const RestCaller& caller) {
  // Order matters where paths overlap: literal routes (".../all") come before captured ones.
  AddUnavailableRoutes(router);
  AddFeatureViewRoutes(router, caller);
  AddObjectRoutes(router, caller);
  AddProjectRoutes(router, caller);
  AddLineageRoutes(router, caller);
  AddFeatureRoutes(router, caller);
  AddSearchRoutes(router, caller);
  AddMetricsRoutes(router, caller);
}

}  // namespace larder::http
