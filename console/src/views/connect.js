import { busy, checklist, field, h, list, load, problemView } from "../ui.js";

function copyable(label, value, id) {
  return h("div", { className: "copyable" }, h("span", { className: "label" }, label), h("code", { id }, value));
}

/** Creates the connection, then shows its verification's checklist; a refused one shows its checks too. */
async function create(app, form, result, body) {
  const key = form.dataset.idempotencyKey; // one key per attempt at this form: a retry cannot create two
  result.replaceChildren(h("p", { className: "loading", role: "status" }, "Connecting and verifying…"));
  try {
    const connection = await app.api.createConnection(body, key);
    app.navigate(`/connections/${encodeURIComponent(connection.id)}?created=1`);
  } catch (error) {
    form.dataset.idempotencyKey = crypto.randomUUID();
    result.replaceChildren(problemView(error));
  }
}

export function connectAwsView(app) {
  const onboarding = h("div", {});
  const result = h("div", { "aria-live": "polite" });
  const name = h("input", { name: "name", required: true, maxlength: 128, value: "My AWS account", autocomplete: "off" });
  const roleArn = h("input", { name: "role_arn", required: true, placeholder: "arn:aws:iam::123456789012:role/CloudivizeAccess", autocomplete: "off", spellcheck: "false" });
  const regions = h("input", { name: "regions", placeholder: "us-east-1, eu-west-1", autocomplete: "off" });
  const submit = h("button", { type: "submit", className: "primary" }, "Connect");
  const form = h(
    "form",
    {
      onSubmit: (event) => {
        event.preventDefault();
        const chosen = list(regions.value);
        const body = { provider: "aws", name: name.value.trim(), role_arn: roleArn.value.trim() };
        if (chosen.length) body.regions = chosen;
        busy(submit, () => create(app, form, result, body));
      },
    },
    field("Name", name),
    field("Role ARN", roleArn, "The ARN of the role the CloudFormation stack created (its output RoleArn)."),
    field("Regions", regions, "Comma-separated; empty means every region enabled in your account."),
    submit,
  );
  form.dataset.idempotencyKey = crypto.randomUUID();

  load(onboarding, app.api.onboardingAws(), "Loading your External ID…").then((info) => {
    if (!info) return;
    onboarding.replaceChildren(
      h("ol", { className: "steps" }, info.steps.map((step) => h("li", {}, step))),
      copyable("Your External ID", info.external_id, "external-id"),
      copyable("Cloudivize's principal", info.principal_arn, "principal-arn"),
      info.quick_create_url
        ? h("p", {}, h("a", { href: info.quick_create_url, target: "_blank", rel: "noopener noreferrer", className: "button" }, "Open the template in AWS CloudFormation"))
        : null,
      h("details", {}, h("summary", {}, "The CloudFormation template"), h("pre", { className: "template" }, info.cloudformation_template)),
      h("details", {}, h("summary", {}, "The trust policy it creates"), h("pre", {}, JSON.stringify(info.trust_policy, null, 2))),
    );
  });
  return h(
    "section",
    { "aria-labelledby": "connect-aws-title" },
    h("h1", { id: "connect-aws-title" }, "Connect an AWS account"),
    onboarding,
    h("h2", {}, "Your role"),
    form,
    result,
  );
}

export function connectAzureView(app) {
  const onboarding = h("div", {});
  const result = h("div", { "aria-live": "polite" });
  const input = (name, attributes = {}) => h("input", { name, autocomplete: "off", spellcheck: "false", ...attributes });
  const name = input("name", { required: true, value: "My Azure subscription" });
  const directory = input("directory_id", { required: true });
  const application = input("application_id", { required: true });
  const secret = input("application_secret", { required: true, type: "password", autocomplete: "new-password" });
  const subscriptions = input("subscription_ids");
  const expires = input("secret_expires_at", { type: "date" });
  const submit = h("button", { type: "submit", className: "primary" }, "Connect");
  const form = h(
    "form",
    {
      onSubmit: (event) => {
        event.preventDefault();
        const body = {
          provider: "azure",
          name: name.value.trim(),
          directory_id: directory.value.trim(),
          application_id: application.value.trim(),
          application_secret: secret.value,
        };
        const chosen = list(subscriptions.value);
        if (chosen.length) body.subscription_ids = chosen;
        if (expires.value) body.secret_expires_at = `${expires.value}T00:00:00Z`;
        busy(submit, () => create(app, form, result, body));
      },
    },
    field("Name", name),
    field("Directory (tenant) ID", directory),
    field("Application (client) ID", application),
    field("Client secret value", secret, "The secret's Value, not its Secret ID."),
    field("Subscription IDs", subscriptions, "Comma-separated; empty means every subscription the application can see."),
    field("Secret expires on", expires),
    submit,
  );
  form.dataset.idempotencyKey = crypto.randomUUID();

  load(onboarding, app.api.onboardingAzure(), "Loading the steps…").then((info) => {
    if (!info) return;
    onboarding.replaceChildren(
      h("p", {}, `Assign ${info.recommended_role} to view; to operate, also ${info.operate_roles.join(" and ")}.`),
      h("h2", {}, "Commands (Azure CLI)"),
      h("pre", { className: "commands" }, info.commands.join("\n")),
      h("ul", {}, info.secret_advice.map((advice) => h("li", {}, advice))),
      h("h2", {}, "What to fill in"),
      h("dl", {}, info.fields.map((f) => [h("dt", {}, f.name, f.required ? "" : " (optional)"), h("dd", {}, f.description)])),
    );
  });
  return h(
    "section",
    { "aria-labelledby": "connect-azure-title" },
    h("h1", { id: "connect-azure-title" }, "Connect an Azure subscription"),
    onboarding,
    h("h2", {}, "Your application"),
    form,
    result,
  );
}

export { checklist };
