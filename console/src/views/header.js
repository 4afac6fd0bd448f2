import { busy, h, problemView } from "../ui.js";

const MODES = { local: "Cloudivize account", amazon: "Amazon" };

/** Who am I, in which organization with which role, the organization switcher, and sign out. */
export function renderHeader(target, app) {
  const { me, api, auth } = app;
  const status = h("div", { className: "header-status", "aria-live": "polite" });
  const switcher = h(
    "select",
    {
      id: "organization",
      onChange: async (event) => {
        const id = event.target.value;
        switcher.disabled = true;
        try {
          // Remembered as the default (PUT /me/organization) and sent as the header from now on.
          await api.chooseOrganization(id);
          api.setOrganization(id);
          await app.reloadMe();
        } catch (error) {
          switcher.disabled = false;
          status.replaceChildren(problemView(error));
        }
      },
    },
    me.organizations.map((org) =>
      h("option", { value: org.organization_id, selected: org.organization_id === me.organization?.organization_id }, `${org.name} (${org.role})`),
    ),
  );
  const signOut = h("button", { type: "button", onClick: () => busy(signOut, () => auth.signOut()) }, "Sign out");
  target.replaceChildren(
    h(
      "div",
      { className: "header-inner" },
      h("a", { href: "/", "data-route": "", className: "brand" }, "Cloudivize"),
      h(
        "nav",
        { "aria-label": "Main" },
        h("a", { href: "/", "data-route": "" }, "Connections"),
        h("a", { href: "/members", "data-route": "" }, "Members"),
      ),
      h(
        "div",
        { className: "whoami", "data-testid": "whoami" },
        h("span", { className: "email" }, me.email ?? me.user_id),
        h("span", { className: "sign-in-mode", title: MODES[me.sign_in_mode] ?? me.sign_in_mode }, `sign-in: ${me.sign_in_mode}`),
        h("span", { className: "role" }, me.role ? `role: ${me.role}` : "no organization"),
      ),
      me.organizations.length ? h("div", { className: "field inline" }, h("label", { for: "organization" }, "Organization"), switcher) : null,
      signOut,
    ),
    status,
  );
}
