import { h, load, formatTime } from "../ui.js";

/** What a connection connects: a cloud, an AWS organization, or one of its member accounts (and where it stands). */
export function kindOf(connection) {
  if (connection.scope === "organization") return "AWS organization";
  if (connection.organization_connection_id) {
    return connection.account_state === "active" ? "AWS (organization member)" : `AWS (organization member, ${connection.account_state})`;
  }
  return connection.provider.toUpperCase();
}

/** The organization's connections (metadata only, paged) and the ways to add one. */
export function connectionsView({ api }) {
  const body = h("div", {});
  const more = h("div", {});
  const rows = h("tbody", {});
  const table = h(
    "table",
    { className: "connections" },
    h("caption", { className: "visually-hidden" }, "Connections"),
    h("thead", {}, h("tr", {}, ["Name", "Provider", "Status", "Last verified"].map((title) => h("th", { scope: "col" }, title)))),
    rows,
  );

  async function page(nextToken) {
    const found = await load(more, api.connections(nextToken), "Loading connections…");
    if (!found) return;
    for (const connection of found.items) {
      rows.append(
        h(
          "tr",
          {},
          h("td", {}, h("a", { href: `/connections/${encodeURIComponent(connection.id)}`, "data-route": "" }, connection.name)),
          h("td", {}, kindOf(connection)),
          h("td", {}, h("span", { className: `status status-${connection.status}` }, connection.status)),
          h("td", {}, formatTime(connection.last_verified_at)),
        ),
      );
    }
    if (!rows.children.length) body.replaceChildren(h("p", {}, "No connections yet: connect an AWS account or an Azure subscription."));
    else body.replaceChildren(table);
    if (found.next_token) {
      const button = h("button", { type: "button", onClick: () => page(found.next_token) }, "More connections");
      more.replaceChildren(button);
    }
  }
  page();
  return h(
    "section",
    { "aria-labelledby": "connections-title" },
    h("h1", { id: "connections-title" }, "Connections"),
    h(
      "div",
      { className: "actions" },
      h("a", { href: "/connect/aws", "data-route": "", className: "button primary" }, "Connect an AWS account"),
      h("a", { href: "/connect/azure", "data-route": "", className: "button" }, "Connect an Azure subscription"),
    ),
    body,
    more,
  );
}
