import { AMAZON, IDENTITY_CENTER } from "../auth.js";
import { busy, h } from "../ui.js";

export function signedOutView({ auth }, message) {
  const failed = h("div", { "aria-live": "polite" });
  const start = (button, action) =>
    busy(button, async () => {
      try {
        await action();
      } catch (error) {
        failed.replaceChildren(h("div", { className: "problem", role: "alert" }, h("p", {}, `Sign-in could not start: ${error.message}`)));
      }
    });
  const signIn = h("button", { type: "button", className: "primary", onClick: () => start(signIn, () => auth.signIn()) }, "Sign in");
  const amazon = auth.offersAmazon
    ? h("button", { type: "button", className: "amazon", onClick: () => start(amazon, () => auth.signIn(AMAZON)) }, "Continue with Amazon")
    : null;
  const identityCenter = auth.offersIdentityCenter
    ? h(
        "button",
        { type: "button", className: "amazon", onClick: () => start(identityCenter, () => auth.signIn(IDENTITY_CENTER)) },
        "Continue with AWS IAM Identity Center",
      )
    : null;
  const signUp = h("button", { type: "button", className: "link", onClick: () => start(signUp, () => auth.signUp()) }, "Create an account");
  return h(
    "section",
    { className: "signed-out", "aria-labelledby": "signed-out-title" },
    h("h1", { id: "signed-out-title" }, "Cloudivize"),
    h("p", {}, "Connect your AWS accounts and Azure subscriptions, and view and operate their assets in one place."),
    message && h("div", { className: "problem", role: "alert" }, h("p", {}, message)),
    h("div", { className: "actions" }, signIn, amazon, identityCenter, signUp),
    failed,
  );
}
