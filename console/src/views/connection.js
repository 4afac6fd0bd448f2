import { busy, checklist, field, formatTime, h, load, problemView } from "../ui.js";
import { assetsPanel } from "./assets.js";
import { activityPanel } from "./activity.js";
import { kindOf } from "./connections.js";

const CREDENTIAL_TYPES = { federated: "Federated (no secret)", certificate: "Certificate", secret: "Client secret" };

/** How an Azure connection signs in, as terms and values of its facts. */
function azureCredential(azure) {
  const facts = [["Credential", CREDENTIAL_TYPES[azure.credential_type] ?? azure.credential_type]];
  if (azure.credential_type === "secret") {
    facts.push(["Secret", `${azure.secret_hint}… (expires ${formatTime(azure.secret_expires_at)})`]);
  } else if (azure.certificate) {
    facts.push(["Certificate", azure.certificate.thumbprint], ["Certificate expires", formatTime(azure.certificate.expires_at)]);
    if (azure.previous_certificate_thumbprint) facts.push(["Previous certificate", azure.previous_certificate_thumbprint]);
  }
  return facts;
}

let certificateUrl = null; // the Blob URL of the PEM shown: released when another replaces it

/** The certificate to add to the application: its command, its PEM to download, and its rotation. */
function certificatePanel(azure, rotate) {
  const { certificate } = azure;
  if (certificateUrl) URL.revokeObjectURL(certificateUrl);
  // A Blob URL, not a data: one: the CSP allows data: for images only, and a download needs no CSP source.
  certificateUrl = URL.createObjectURL(new Blob([certificate.pem], { type: "application/x-pem-file" }));
  const rotateButton = h("button", { type: "button", onClick: () => rotate(rotateButton) }, "Rotate certificate");
  return h(
    "section",
    { className: "certificate", "aria-labelledby": "certificate-title" },
    h("h2", { id: "certificate-title" }, "Certificate"),
    h("p", {}, "Add it to your application (Azure CLI, with the file downloaded below), then Verify:"),
    h("pre", { className: "commands", id: "certificate-command" }, certificate.command),
    h(
      "details",
      {},
      h("summary", {}, "The certificate (PEM)"),
      h("pre", { className: "pem" }, certificate.pem),
      h("a", { href: certificateUrl, download: `cloudivize-${certificate.thumbprint.slice(0, 8).toLowerCase()}.pem`, className: "button" }, "Download"),
    ),
    azure.previous_certificate_thumbprint
      ? h("p", {}, "Cloudivize signs in with the previous certificate until this one is added; remove the previous one from the application once the connection verifies.")
      : null,
    rotateButton,
  );
}

/** An organization connection's last sync, its members as they stand, and a sync now (live: it lists the accounts). */
function syncPanel(api, connection) {
  const outcome = h("div", { className: "sync-outcome", "aria-live": "polite" });
  const members = h("div", {});
  function showResult(result) {
    const counts = `${result.accounts} accounts; added ${result.added.length}, left ${result.left.length}, suspended ${result.suspended.length}, active again ${result.rejoined.length}.`;
    outcome.replaceChildren(h("p", { role: "status" }, `Synced ${formatTime(result.synced_at)}: ${counts}`));
    members.replaceChildren(
      h(
        "table",
        { className: "members" },
        h("caption", {}, "Member accounts"),
        h("thead", {}, h("tr", {}, ["Account", "Name", "Status", "In the organization", "What to fix"].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          result.member_connections.map((m) =>
            h(
              "tr",
              { "data-account-id": m.account_id },
              h("td", {}, h("a", { href: `/connections/${encodeURIComponent(m.connection_id)}`, "data-route": "" }, m.account_id)),
              h("td", {}, m.name),
              h("td", {}, h("span", { className: `status status-${m.status}` }, m.status)),
              h("td", {}, m.account_state),
              h("td", {}, m.what_to_fix ?? ""),
            ),
          ),
        ),
      ),
    );
  }
  const button = h("button", { type: "button" }, "Sync now");
  button.addEventListener("click", () =>
    busy(button, async () => {
      outcome.replaceChildren(h("p", { className: "loading", role: "status" }, "Listing the organization's accounts and verifying new ones…"));
      try {
        // The result stays on the page (a sync changes the members, not this connection's version).
        showResult(await api.syncConnection(connection.id));
      } catch (error) {
        outcome.replaceChildren(problemView(error));
      }
    }),
  );
  if (connection.last_sync) {
    outcome.replaceChildren(h("p", {}, `Last synced ${formatTime(connection.last_synced_at)}: ${connection.last_sync.accounts} accounts, ${connection.last_sync.members} member connections.`));
  }
  return h("section", { className: "organization", "aria-labelledby": "organization-title" }, h("h2", { id: "organization-title" }, "Organization"), outcome, button, members);
}

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

  // A change refused: its problem, and for a connection changed meanwhile (412) a way to read it again.
  function refused(error) {
    const reload = error.status === 412 ? h("button", { type: "button", onClick: () => read().then(() => status.replaceChildren()) }, "Reload") : null;
    status.replaceChildren(problemView(error), reload ?? "");
  }

  function rotate(button) {
    busy(button, async () => {
      try {
        // Stored unverified by the API: the new certificate signs in once the customer adds it (until then the
        // previous one does, so nothing is interrupted).
        connection = await api.updateConnection(connectionId, connection.version, { rotate_certificate: true });
        status.replaceChildren(
          h("p", { className: "ok", role: "status" }, "New certificate issued: add it to the application, then Verify. Until then Cloudivize signs in with the previous one."),
        );
        show();
      } catch (error) {
        refused(error);
      }
    });
  }

  function show() {
    const name = h("input", { name: "name", required: true, maxlength: 128, value: connection.name });
    const rename = h("button", { type: "submit" }, "Rename");
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
              refused(error);
            }
          });
        },
      },
      field("Name", name),
      rename,
    );
    const organization = connection.aws?.organization;
    const descriptors = connection.aws
      ? [
          [organization ? "Management account" : "Account", connection.aws.account_id],
          [organization ? "Discovery role" : "Role", connection.aws.role_arn],
          ["Regions", (connection.aws.regions ?? ["all enabled"]).join(", ")],
          ...(organization ? [["Organization", organization.organization_id ?? "not discovered yet"], ["Member role", organization.member_role_name]] : []),
        ]
      : [["Directory", connection.azure.directory_id], ["Application", connection.azure.application_id], ["Subscriptions", (connection.azure.subscription_ids ?? ["all visible"]).join(", ")], ...azureCredential(connection.azure)];
    const reverify = h("button", { type: "button", onClick: () => verify(reverify) }, connection.last_verified_at ? "Verify again" : "Verify");
    summary.replaceChildren(
      h("h1", { id: "connection-title" }, connection.name),
      h(
        "dl",
        { className: "facts" },
        [["Provider", kindOf(connection)], ["Status", connection.status], ["Last verified", formatTime(connection.last_verified_at)], ["Version", String(connection.version)], ...descriptors].map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
      ),
      form,
      h("div", { className: "actions" }, reverify, remove),
      connection.azure?.certificate ? certificatePanel(connection.azure, rotate) : null,
      connection.scope === "organization" ? syncPanel(api, connection) : null,
    );
    if (!live.children.length) {
      live.append(assetsPanel(app, connection));
      // Activity is per account: an organization's is on each member connection's page.
      if (connection.scope !== "organization") live.append(activityPanel(app, connection));
    }
  }

  read().then(() => {
    // A connection just created: show what its verification checked.
    if (connection && new URLSearchParams(window.location.search).has("created")) {
      window.history.replaceState({}, "", `/connections/${encodeURIComponent(connectionId)}`);
      if (connection.azure?.credential_type === "certificate") {
        // Nothing accepts the certificate until the customer adds it: say so rather than verify in vain.
        verification.replaceChildren(
          h("p", { className: "next-step", role: "status" }, "Connection created. Next: add its certificate to your application (the command below), then choose Verify."),
        );
      } else {
        verify(h("button"));
      }
    }
  });
  return h("section", { "aria-labelledby": "connection-title" }, summary, status, verification, live);
}
