import { busy, field, formatTime, h, load, problemView } from "../ui.js";

const ROLES = ["viewer", "operator", "admin", "owner"];
const isAdmin = (role) => role === "admin" || role === "owner";

/** The organization's members (roles and removal for admins), its invitations, and those addressed to me. */
export function membersView(app) {
  const { api, me } = app;
  const members = h("div", {});
  const invitations = h("div", {});
  const mine = h("div", {});
  const status = h("div", { "aria-live": "polite" });
  const admin = isAdmin(me.role);
  const report = (error) => status.replaceChildren(problemView(error));

  async function showMembers() {
    const found = await load(members, api.members(), "Loading members…");
    if (!found) return;
    members.replaceChildren(
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, ["Email", "Role", "Joined", ""].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          found.items.map((member) => {
            const self = member.user_id === me.user_id;
            const role = h(
              "select",
              { "aria-label": `Role of ${member.email ?? member.user_id}`, disabled: !admin },
              ROLES.map((r) => h("option", { value: r, selected: r === member.role }, r)),
            );
            role.addEventListener("change", async () => {
              role.disabled = true;
              try {
                await api.changeRole(member.user_id, role.value);
                status.replaceChildren(h("p", { role: "status" }, `${member.email ?? member.user_id} is now ${role.value}.`));
              } catch (error) {
                role.value = member.role;
                report(error);
              } finally {
                role.disabled = false;
              }
            });
            const remove = h("button", { type: "button", className: "danger" }, self ? "Leave" : "Remove");
            remove.addEventListener("click", () =>
              busy(remove, async () => {
                try {
                  await api.removeMember(member.user_id);
                  if (self) await app.reloadMe();
                  else showMembers();
                } catch (error) {
                  report(error);
                }
              }),
            );
            return h("tr", {}, h("td", {}, member.email ?? member.user_id), h("td", {}, role), h("td", {}, formatTime(member.joined_at)), h("td", {}, admin || self ? remove : ""));
          }),
        ),
      ),
    );
  }

  async function showInvitations() {
    const found = await load(invitations, api.invitations(), "Loading invitations…");
    if (!found) return;
    invitations.replaceChildren(
      found.items.length
        ? h(
            "ul",
            { className: "invitations" },
            found.items.map((invitation) => {
              const revoke = h("button", { type: "button" }, "Revoke");
              revoke.addEventListener("click", () =>
                busy(revoke, async () => {
                  try {
                    await api.revokeInvitation(invitation.invitation_id);
                    showInvitations();
                  } catch (error) {
                    report(error);
                  }
                }),
              );
              return h("li", {}, `${invitation.email} as ${invitation.role}, until ${formatTime(invitation.expires_at)} `, revoke);
            }),
          )
        : h("p", {}, "No pending invitations."),
    );
  }

  async function showMine() {
    const found = await load(mine, api.myInvitations(), "Loading your invitations…");
    if (!found || !found.items.length) return;
    mine.replaceChildren(
      h("h2", {}, "Invitations for you"),
      h(
        "ul",
        {},
        found.items.map((invitation) => {
          const accept = h("button", { type: "button" }, "Accept");
          accept.addEventListener("click", () =>
            busy(accept, async () => {
              try {
                await api.acceptInvitation(invitation.invitation_id);
                await app.reloadMe();
              } catch (error) {
                report(error);
              }
            }),
          );
          return h("li", {}, `${invitation.organization_name} as ${invitation.role} `, accept);
        }),
      ),
    );
  }

  const email = h("input", { name: "email", type: "email", required: true, autocomplete: "off" });
  const role = h("select", { name: "role" }, ROLES.map((r) => h("option", { value: r, selected: r === "viewer" }, r)));
  const invite = h("button", { type: "submit" }, "Invite");
  const inviteForm = h(
    "form",
    {
      className: "inline-form",
      onSubmit: (event) => {
        event.preventDefault();
        busy(invite, async () => {
          try {
            await api.invite(email.value.trim(), role.value);
            email.value = "";
            status.replaceChildren(h("p", { role: "status" }, "Invitation sent."));
            showInvitations();
          } catch (error) {
            report(error);
          }
        });
      },
    },
    field("Email", email),
    field("Role", role),
    invite,
  );

  showMembers();
  showMine();
  if (admin) showInvitations();
  return h(
    "section",
    { "aria-labelledby": "members-title" },
    h("h1", { id: "members-title" }, `Members of ${me.organization?.name ?? "your organization"}`),
    status,
    members,
    admin ? [h("h2", {}, "Invitations"), inviteForm, invitations] : null,
    mine,
  );
}
