import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Builds the app into dist/, which larder serves at / (--ui-dir, or the installed
// share/larder/ui). Bundles land in dist/assets with content hashes, so they cache forever.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", chunkSizeWarningLimit: 10000 },
  // The UI package is CommonJS-flavoured in places; give it the globals it expects.
  define: { "process.env": {} },
});
