import { busy, checklist, field, formatTime, h, load, problemView } from "../ui.js";
import { assetsPanel } from "./assets.js";
import { activityPanel } from "./activity.js";

/** One connection: its metadata, rename, verify (the checklist), delete, then its live assets and activity. */
export function connectionView(app, connectionId) {
  const { api } = app;
  const summary = h("div", {});
  const verification = h("div", { className: "verification", "aria-live": "polite" });
  const status = h("div", { "aria-live": "polite" });
  const live = h("div", {});
  let connection = null;

  async function read() {
    const found = await load(summary, api.connection(connectionId), "Loading the connection…");
    if (!found) return;
    connection = found.data;
    show();
  }

  async function verify(button) {
    verification.replaceChildren(h("p", { className: "loading", role: "status" }, "Verifying live…"));
    await busy(button, async () => {
      try {
        const result = await api.verifyConnection(connectionId);
        verification.replaceChildren(
          h("p", { className: result.ok ? "verified ok" : "verified fail" }, result.ok ? "Verified: Cloudivize can use this connection." : "Not verified: fix what is marked below, then verify again."),
          checklist(result.checks),
        );
        await read();
      } catch (error) {
        verification.replaceChildren(problemView(error));
      }
    });
  }

  function show() {
    const name = h("input", { name: "name", required: true, maxlength: 128, value: connection.name });
    const rename = h("button", { type: "submit" }, "Rename");
    const reverify = h("button", { type: "button", onClick: () => verify(reverify) }, "Verify again");
    const remove = h("button", { type: "button", className: "danger" }, "Delete");
    remove.addEventListener("click", () => {
      if (!window.confirm(`Delete the connection "${connection.name}"? Nothing in your cloud changes.`)) return;
      busy(remove, async () => {
        try {
          await api.deleteConnection(connectionId);
          app.navigate("/");
        } catch (error) {
          status.replaceChildren(problemView(error));
        }
      });
    });
    const form = h(
      "form",
      {
        className: "inline-form",
        onSubmit: (event) => {
          event.preventDefault();
          busy(rename, async () => {
            try {
              connection = await api.updateConnection(connectionId, connection.version, { name: name.value.trim() });
              status.replaceChildren(h("p", { className: "ok", role: "status" }, "Renamed."));
              show();
            } catch (error) {
              const reload = error.status === 412 ? h("button", { type: "button", onClick: () => read().then(() => status.replaceChildren()) }, "Reload") : null;
              status.replaceChildren(problemView(error), reload ?? "");
            }
          });
        },
      },
      field("Name", name),
      rename,
    );
    const descriptors = connection.aws
      ? [["Account", connection.aws.account_id], ["Role", connection.aws.role_arn], ["Regions", (connection.aws.regions ?? ["all enabled"]).join(", ")]]
      : [["Directory", connection.azure.directory_id], ["Application", connection.azure.application_id], ["Subscriptions", (connection.azure.subscription_ids ?? ["all visible"]).join(", ")], ["Secret", `${connection.azure.secret_hint}… (expires ${formatTime(connection.azure.secret_expires_at)})`]];
    summary.replaceChildren(
      h("h1", { id: "connection-title" }, connection.name),
      h(
        "dl",
        { className: "facts" },
        [["Provider", connection.provider.toUpperCase()], ["Status", connection.status], ["Last verified", formatTime(connection.last_verified_at)], ["Version", String(connection.version)], ...descriptors].map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
      ),
      form,
      h("div", { className: "actions" }, reverify, remove),
    );
    if (!live.children.length) {
      live.append(assetsPanel(app, connection), activityPanel(app, connection));
    }
  }

  read().then(() => {
    // A connection just created: show what its verification checked.
    if (connection && new URLSearchParams(window.location.search).has("created")) {
      window.history.replaceState({}, "", `/connections/${encodeURIComponent(connectionId)}`);
      verify(h("button"));
    }
  });
  return h("section", { "aria-labelledby": "connection-title" }, summary, status, verification, live);
}
