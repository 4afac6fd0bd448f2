import { defineConfig } from "vite";

// `npm run dev` serves the console on Vite's default port (5173), an origin the local API allows by default;
// public/config.json (not committed) or the local stack's console_url supplies the runtime config.
export default defineConfig({
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
  },
  server: { host: "127.0.0.1", port: 5173, strictPort: true },
});
