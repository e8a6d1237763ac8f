import { defineConfig } from "vitest/config";

// The Tauri window loads ui/dist (release) or this dev server on port 1420
// (src-tauri/tauri.conf.json `devUrl`). No inline scripts or styles are
// emitted, so the window's CSP can forbid them.
export default defineConfig({
  clearScreen: false,
  server: { port: 1420, strictPort: true, host: "127.0.0.1" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari15",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    include: ["tests/unit/**/*.test.ts"],
    environment: "node",
  },
});
