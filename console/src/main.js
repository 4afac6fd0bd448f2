// The console's entry point: load /config.json, complete a sign-in redirect if this is one, then route.
import "./style.css";
import { createApi } from "./api.js";
import { createAuth } from "./auth.js";
import { loadConfig } from "./config.js";
import { h, problemView } from "./ui.js";
import { renderHeader } from "./views/header.js";
import { signedOutView } from "./views/signed-out.js";
import { connectionsView } from "./views/connections.js";
import { connectionView } from "./views/connection.js";
import { connectAwsView, connectAzureView } from "./views/connect.js";
import { membersView } from "./views/members.js";

const CALLBACK_PATH = "/auth/callback";
const main = document.getElementById("main");
const header = document.getElementById("header");

const routes = [
  [/^\/$/, connectionsView],
  [/^\/connect\/aws$/, connectAwsView],
  [/^\/connect\/azure$/, connectAzureView],
  [/^\/connections\/([^/]+)$/, connectionView],
  [/^\/members$/, membersView],
];

async function start() {
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    main.replaceChildren(h("div", { className: "problem", role: "alert" }, h("p", {}, error.message)));
    return;
  }
  const auth = createAuth(config);
  const api = createApi(config, auth);
  const app = { config, auth, api, me: null, navigate, refresh: () => route() };

  // In-app navigation keeps the page (and the tokens in memory): links and history go through here.
  function navigate(path) {
    window.history.pushState({}, "", path);
    route();
  }
  document.addEventListener("click", (event) => {
    const anchor = event.target.closest?.("a[data-route]");
    if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
    event.preventDefault();
    navigate(anchor.getAttribute("href"));
  });
  window.addEventListener("popstate", () => route());
  auth.manager.events.addSilentRenewError(() => route());

  if (window.location.pathname === CALLBACK_PATH) {
    const params = new URLSearchParams(window.location.search);
    try {
      if (params.has("error")) {
        throw new Error(params.get("error_description") || params.get("error"));
      }
      await auth.completeSignIn(window.location.href);
      window.history.replaceState({}, "", "/");
    } catch (error) {
      window.history.replaceState({}, "", "/");
      header.replaceChildren();
      main.replaceChildren(signedOutView(app, `Sign-in did not complete: ${error.message}`));
      return;
    }
  }

  async function route() {
    const user = await auth.user();
    if (!user) {
      app.me = null;
      header.replaceChildren();
      main.replaceChildren(signedOutView(app));
      return;
    }
    if (!app.me) {
      main.replaceChildren(h("p", { className: "loading", role: "status" }, "Loading your account…"));
      try {
        app.me = await api.me();
        api.setOrganization(app.me.organization?.organization_id ?? null);
      } catch (error) {
        main.replaceChildren(problemView(error));
        return;
      }
    }
    renderHeader(header, app);
    const path = window.location.pathname;
    for (const [pattern, view] of routes) {
      const found = pattern.exec(path);
      if (found) {
        main.replaceChildren(view(app, ...found.slice(1).map(decodeURIComponent)));
        return;
      }
    }
    main.replaceChildren(h("h1", {}, "Not found"), h("p", {}, h("a", { href: "/", "data-route": "" }, "Back to connections")));
  }

  app.reloadMe = async () => {
    app.me = await api.me();
    await route();
  };
  await route();
}

start();
