/// <reference types="vitest/config" />
import path from "node:path";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const server = process.env.ROOMCHAT_DEV_SERVER ?? "http://127.0.0.1:8080";

// The server only accepts state-changing requests and socket upgrades from its own origin (or
// configured ones). In development the page's origin is Vite's, so the proxy presents the
// server's own origin instead; nothing else about the request changes.
type OutgoingRequest = { getHeader(n: string): unknown; setHeader(n: string, v: string): void };
const sameOriginAsServer = (proxy: { on(event: "proxyReq" | "proxyReqWs", fn: (req: OutgoingRequest) => void): void }) => {
  const rewrite = (req: OutgoingRequest) => {
    if (req.getHeader("origin")) req.setHeader("origin", new URL(server).origin);
  };
  proxy.on("proxyReq", rewrite);
  proxy.on("proxyReqWs", rewrite);
};

export default defineConfig({
  plugins: [
    react({ babel: { plugins: [["babel-plugin-react-compiler", {}]] } }),
    tailwindcss(),
  ],
  resolve: { alias: { "@": path.resolve(import.meta.dirname, "src") } },
  server: {
    proxy: {
      "/api": { target: server, ws: true, configure: sameOriginAsServer },
      "/blobs": { target: server, configure: sameOriginAsServer },
    },
  },
  build: { target: "es2022", sourcemap: false, chunkSizeWarningLimit: 800 },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
    watch: false,
  },
});
