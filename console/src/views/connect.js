import { busy, checklist, field, h, list, load, problemView } from "../ui.js";

function copyable(label, value, id) {
  return h("div", { className: "copyable" }, h("span", { className: "label" }, label), h("code", { id }, value));
}

/** Creates the connection, then shows its verification's checklist; a refused one shows its checks too. */
async function create(app, form, result, body, label = "Connecting and verifying…") {
  const key = form.dataset.idempotencyKey; // one key per attempt at this form: a retry cannot create two
  result.replaceChildren(h("p", { className: "loading", role: "status" }, label));
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

const CREDENTIAL_LABELS = { federated: "Federated credential", certificate: "Certificate", secret: "Client secret" };

/** What the chosen credential type takes: its summary, its commands, the federated credential's values, advice. */
function credentialGuide(option) {
  const federated = option.federated_credential;
  return [
    h("p", { className: "credential-summary" }, option.summary),
    option.commands.length ? h("pre", { className: "commands", id: "credential-commands" }, option.commands.join("\n")) : null,
    federated
      ? h(
          "div",
          { className: "federated-credential" },
          copyable("Issuer", federated.issuer, "federated-issuer"),
          copyable("Subject", federated.subject, "federated-subject"),
          copyable("Audience", federated.audience, "federated-audience"),
        )
      : null,
    h("ul", { className: "advice" }, option.advice.map((advice) => h("li", {}, advice))),
  ];
}

export function connectAzureView(app) {
  const onboarding = h("div", {});
  const application = h("div", {});
  const result = h("div", { "aria-live": "polite" });

  load(onboarding, app.api.onboardingAzure(), "Loading the steps…").then((info) => {
    if (!info) return;
    onboarding.replaceChildren(
      h("p", {}, `Assign ${info.recommended_role} to view; to operate, also ${info.operate_roles.join(" and ")}.`),
      h("h2", {}, "Create the application and assign its roles (Azure CLI)"),
      h("pre", { className: "commands", id: "application-commands" }, info.commands.join("\n")),
    );
    application.replaceChildren(azureForm(app, info.credential_types, result));
  });
  return h(
    "section",
    { "aria-labelledby": "connect-azure-title" },
    h("h1", { id: "connect-azure-title" }, "Connect an Azure subscription"),
    onboarding,
    application,
    result,
  );
}

/** The credential type to choose (the recommended one first chosen), its guide, and a form asking only what it takes. */
function azureForm(app, options, result) {
  const input = (name, attributes = {}) => h("input", { name, autocomplete: "off", spellcheck: "false", ...attributes });
  const name = input("name", { required: true, value: "My Azure subscription" });
  const directory = input("directory_id", { required: true });
  const applicationId = input("application_id", { required: true });
  const subscriptions = input("subscription_ids");
  // Disabled while hidden: a hidden required field would block the form, and is not sent either way.
  const secret = input("application_secret", { required: true, type: "password", autocomplete: "new-password" });
  const expires = input("secret_expires_at", { type: "date" });
  const secretFields = h(
    "div",
    { className: "secret-fields" },
    field("Client secret value", secret, "The secret's Value, not its Secret ID."),
    field("Secret expires on", expires),
  );
  const guide = h("div", { className: "credential-guide", "aria-live": "polite" });
  const submit = h("button", { type: "submit", className: "primary" }, "Connect");
  const chosenOption = () => options.find((option) => option.credential_type === form.elements.credential_type.value);

  function choose() {
    const option = chosenOption();
    guide.replaceChildren(...credentialGuide(option).filter(Boolean));
    const isSecret = option.credential_type === "secret";
    secretFields.hidden = !isSecret;
    secret.disabled = expires.disabled = !isSecret;
  }

  const initial = options.find((option) => option.recommended && option.available) ?? options.find((option) => option.available);
  const choices = h(
    "fieldset",
    { className: "credential-types" },
    h("legend", {}, "How Cloudivize signs in"),
    options.map((option) => {
      const radio = h("input", {
        type: "radio",
        name: "credential_type",
        value: option.credential_type,
        id: `credential-${option.credential_type}`,
        checked: option === initial,
        disabled: !option.available,
        onChange: choose,
      });
      const label = `${CREDENTIAL_LABELS[option.credential_type] ?? option.credential_type}${option.recommended ? " (recommended)" : ""}`;
      return h(
        "div",
        { className: "choice" },
        radio,
        h("label", { for: radio.id }, label),
        // An unavailable type says why (its summary) next to its disabled choice.
        option.available ? null : h("small", {}, ` — not offered here. ${option.summary}`),
      );
    }),
  );

  const form = h(
    "form",
    {
      onSubmit: (event) => {
        event.preventDefault();
        const kind = chosenOption().credential_type;
        const body = {
          provider: "azure",
          name: name.value.trim(),
          credential_type: kind,
          directory_id: directory.value.trim(),
          application_id: applicationId.value.trim(),
        };
        const chosen = list(subscriptions.value);
        if (chosen.length) body.subscription_ids = chosen;
        if (kind === "secret") {
          body.application_secret = secret.value;
          if (expires.value) body.secret_expires_at = `${expires.value}T00:00:00Z`;
        }
        // A certificate connection is stored unverified: its certificate is added to the application first.
        const label = kind === "certificate" ? "Issuing the certificate…" : undefined;
        busy(submit, () => create(app, form, result, body, label));
      },
    },
    choices,
    guide,
    h("h2", {}, "Your application"),
    field("Name", name),
    field("Directory (tenant) ID", directory),
    field("Application (client) ID", applicationId),
    field("Subscription IDs", subscriptions, "Comma-separated; empty means every subscription the application can see."),
    secretFields,
    submit,
  );
  form.dataset.idempotencyKey = crypto.randomUUID();
  choose();
  return form;
}

export { checklist };
