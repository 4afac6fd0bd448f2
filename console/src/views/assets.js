import { busy, field, h, problemView } from "../ui.js";

const AWS_TYPES = ["ec2:instance", "s3:bucket", "rds:db", "lambda:function"];
const POWER = { aws: ["start", "stop", "reboot"], azure: ["start", "stop", "restart", "deallocate"] };
const PAGE_SIZE = 25;

/** Live assets: type and region filters, paging with next_token, actions with a result per asset. */
export function assetsPanel({ api }, connection) {
  const type = h("input", { name: "type", list: "asset-types", placeholder: "any type", autocomplete: "off" });
  const regionOptions = connection.aws?.regions ?? [];
  const region = regionOptions.length
    ? h("select", { name: "region" }, h("option", { value: "" }, "all regions"), regionOptions.map((r) => h("option", { value: r }, r)))
    : h("input", { name: "region", placeholder: "all regions", autocomplete: "off" });
  const table = h("div", { className: "assets", "aria-live": "polite" });
  const pager = h("div", { className: "pager" });
  const outcome = h("div", { className: "action-outcome", "aria-live": "polite" });
  const results = new Map(); // asset id sent -> its row's result cell
  let tokens = [undefined]; // tokens[i] opens page i
  let pageIndex = 0;
  let items = [];

  const targetOf = (asset) => asset.arn ?? asset.id;
  const byAccount = connection.scope === "organization"; // an organization's assets are in several accounts

  let listing = 0; // only the latest listing asked for is shown, whichever answers last

  async function show(index) {
    const mine = ++listing;
    pageIndex = index;
    table.replaceChildren(h("p", { className: "loading", role: "status" }, "Listing live assets…"));
    pager.replaceChildren();
    try {
      const page = await api.assets(connection.id, { type: type.value.trim(), region: region.value.trim(), limit: PAGE_SIZE, next_token: tokens[index] });
      if (mine !== listing) return;
      items = page.items;
      tokens = tokens.slice(0, index + 1);
      if (page.next_token) tokens.push(page.next_token);
      render(page);
    } catch (error) {
      if (mine === listing) table.replaceChildren(problemView(error));
    }
  }

  function render(page) {
    results.clear();
    const rows = items.map((asset) => {
      const result = h("td", { className: "result" });
      results.set(targetOf(asset), result);
      return h(
        "tr",
        { "data-asset-id": asset.id },
        h("td", {}, h("input", { type: "checkbox", className: "select", value: targetOf(asset), "aria-label": `Select ${asset.name ?? asset.id}` })),
        h("td", {}, asset.name ?? "—"),
        h("td", {}, h("code", {}, asset.id)),
        h("td", {}, asset.type),
        h("td", {}, asset.region ?? "—"),
        ...(byAccount ? [h("td", {}, asset.account_id ?? "—")] : []),
        h("td", { className: "state" }, asset.state ?? "—"),
        h("td", {}, Object.entries(asset.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(", ")),
        result,
      );
    });
    table.replaceChildren(
      h("div", {}, items.length
        ? h(
            "table",
            {},
            h("caption", {}, `Assets (page ${pageIndex + 1})`),
            h("thead", {}, h("tr", {}, ["", "Name", "Id", "Type", "Region", ...(byAccount ? ["Account"] : []), "State", "Tags", "Result"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, rows),
          )
        : h("p", {}, "No assets match."),
      page.errors?.length
        ? h("div", { className: "problem", role: "alert" }, h("p", {}, "Some sources could not be listed:"), h("ul", {}, page.errors.map((e) => h("li", {}, `${e.account_id ? `${e.account_id} ` : ""}${e.region} ${e.service}: ${e.detail}`))))
        : null),
    );
    if (pageIndex > 0) pager.append(h("button", { type: "button", onClick: () => show(pageIndex - 1) }, "Previous page"));
    if (tokens[pageIndex + 1]) pager.append(h("button", { type: "button", onClick: () => show(pageIndex + 1) }, "Next page"));
  }

  const selected = () => [...table.querySelectorAll("input.select:checked")].map((box) => box.value);

  async function act(button, action, tags) {
    const assetIds = selected();
    if (!assetIds.length) {
      outcome.replaceChildren(h("p", { role: "alert" }, "Select at least one asset first."));
      return;
    }
    outcome.replaceChildren(h("p", { className: "loading", role: "status" }, `Running ${action}…`));
    for (const id of assetIds) results.get(id)?.replaceChildren("…");
    await busy(button, async () => {
      try {
        const body = { action, asset_ids: assetIds };
        if (tags) body.tags = tags;
        const response = await api.runAction(connection.id, body);
        for (const result of response.results) {
          results.get(result.asset_id)?.replaceChildren(
            h("span", { className: result.ok ? "ok" : "fail" }, result.ok ? `${action}: ok` : `${action}: failed`, result.state ? ` (${result.state})` : "", result.detail ? ` — ${result.detail}` : ""),
          );
        }
        const failed = response.results.filter((r) => !r.ok).length;
        outcome.replaceChildren(h("p", { role: "status" }, failed ? `${action}: ${failed} of ${response.results.length} failed.` : `${action}: done for ${response.results.length}.`));
      } catch (error) {
        // The request as a whole was refused (e.g. the customer's role lacks the permission): say so per asset.
        const why = error.problem?.missing_permission ? `denied: needs ${error.problem.missing_permission}` : "refused";
        for (const id of assetIds) results.get(id)?.replaceChildren(h("span", { className: "fail" }, `${action}: ${why}`));
        outcome.replaceChildren(problemView(error));
      }
    });
  }

  const tagKey = h("input", { name: "tag_key", placeholder: "key", autocomplete: "off" });
  const tagValue = h("input", { name: "tag_value", placeholder: "value", autocomplete: "off" });
  const powerButtons = (POWER[connection.provider] ?? []).map((action) => {
    const button = h("button", { type: "button", onClick: () => act(button, action) }, action[0].toUpperCase() + action.slice(1));
    return button;
  });
  const tagButton = h("button", { type: "submit" }, "Tag");
  const tagForm = h(
    "form",
    {
      className: "inline-form",
      onSubmit: (event) => {
        event.preventDefault();
        if (!tagKey.value.trim()) return;
        act(tagButton, "tag", { [tagKey.value.trim()]: tagValue.value });
      },
    },
    field("Tag key", tagKey),
    field("Tag value", tagValue),
    tagButton,
  );
  const filters = h(
    "form",
    {
      className: "inline-form filters",
      onSubmit: (event) => {
        event.preventDefault();
        tokens = [undefined]; // a token is only valid for the filters it was issued with
        show(0);
      },
    },
    field("Type", type),
    h("datalist", { id: "asset-types" }, AWS_TYPES.map((t) => h("option", { value: t }))),
    field("Region", region),
    h("button", { type: "submit" }, "List"),
  );
  show(0);
  return h(
    "section",
    { "aria-labelledby": "assets-title", className: "panel" },
    h("h2", { id: "assets-title" }, "Live assets"),
    filters,
    table,
    pager,
    h("div", { className: "actions", role: "group", "aria-label": "Actions on the selected assets" }, powerButtons),
    tagForm,
    outcome,
  );
}
