import { defineConfig } from "vite";

// The local stack serves dist/ at its console_url, the one origin its app client's callback and logout URLs
// name: `npm run dev` rebuilds into dist/ on every change (reload the page), so development meets the same
// sign-in as `make run`.
export default defineConfig({
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
  },
});
