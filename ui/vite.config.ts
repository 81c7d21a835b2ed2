import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

// The Tauri window loads the built files from ui/dist; no dev server is needed to run the console.
// Solid compiles the frame's and the screens' JSX to direct DOM updates (no virtual DOM).
export default defineConfig({
  clearScreen: false,
  plugins: [solid()],
  build: {
    target: "safari15",
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  test: {
    environment: "node",
    globals: true,
    include: ["src/**/*.test.ts"],
  },
});
