// EUI loads each icon with a dynamic import whose path it builds at run time
// ("./assets/" + name), which a bundler cannot follow: in a Vite build every icon would 404.
// EUI's documented way out is to fill its icon cache up front, so this bundles the icons and
// registers them under the names EUI looks them up by.
import { appendIconComponentCache } from "@elastic/eui/es/components/icon/icon";
import { typeToPathMap } from "@elastic/eui/es/components/icon/icon_map";

const modules = import.meta.glob("../node_modules/@elastic/eui/es/components/icon/assets/*.js", {
  eager: true,
});

const cache = {};
for (const [type, file] of Object.entries(typeToPathMap)) {
  const module = modules[`../node_modules/@elastic/eui/es/components/icon/assets/${file}.js`];
  if (module && module.icon) cache[type] = module.icon;
}
appendIconComponentCache(cache);
