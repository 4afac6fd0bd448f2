import { formatTime, h, load } from "../ui.js";

/** What Cloudivize's sessions did in the customer's cloud (the provider's own trail), newest first, paged. */
export function activityPanel({ api }, connection) {
  const body = h("div", { "aria-live": "polite" });
  const rows = h("tbody", {});
  const more = h("div", {});

  async function page(nextToken) {
    const found = await load(more, api.activity(connection.id, { next_token: nextToken }), "Reading the activity…");
    if (!found) return;
    for (const event of found.items) {
      rows.append(
        h("tr", {}, h("td", {}, formatTime(event.time)), h("td", {}, event.name), h("td", {}, event.source_identity ?? event.username ?? "—"), h("td", {}, event.error_code ?? "ok")),
      );
    }
    body.replaceChildren(
      rows.children.length
        ? h("table", {}, h("thead", {}, h("tr", {}, ["Time", "Event", "Who", "Outcome"].map((t) => h("th", { scope: "col" }, t)))), rows)
        : h("p", {}, "No activity recorded."),
    );
    if (found.next_token) more.replaceChildren(h("button", { type: "button", onClick: () => page(found.next_token) }, "Older activity"));
  }
  const start = h("button", { type: "button", onClick: () => { start.remove(); page(); } }, "Show activity");
  return h("section", { "aria-labelledby": "activity-title", className: "panel" }, h("h2", { id: "activity-title" }, "Activity"), start, body, more);
}
