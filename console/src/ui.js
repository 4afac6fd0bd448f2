// Small DOM helpers: elements built with text nodes only (nothing from the API is parsed as HTML).
import { ApiError } from "./api.js";

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (name === "className") element.className = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** A problem document as a person reads it: its detail, each invalid field, what the role or cloud lacks. */
export function problemView(error) {
  const problem = error instanceof ApiError ? error.problem : { detail: "Something went wrong in the console." };
  if (!(error instanceof ApiError)) console.error(error);
  const lines = [];
  if (problem.status === 412) {
    lines.push(h("p", { className: "problem-title" }, "Changed by someone else — reload"));
  }
  lines.push(h("p", { className: "problem-detail" }, problem.detail));
  if (problem.missing_permission) {
    lines.push(h("p", {}, "Permission your role lacks: ", h("code", { className: "missing-permission" }, problem.missing_permission)));
  }
  if (problem.role_needed) lines.push(h("p", {}, `Role needed: ${problem.role_needed}`));
  if (problem.errors?.length) {
    lines.push(h("ul", { className: "field-errors" }, problem.errors.map((e) => h("li", {}, h("code", {}, e.field), `: ${e.message}`))));
  }
  if (problem.checks?.length) lines.push(checklist(problem.checks));
  return h("div", { className: "problem", role: "alert" }, lines);
}

/** A verification's named checks, each passed or with what to fix. */
export function checklist(checks) {
  return h(
    "ul",
    { className: "checklist", "aria-label": "Verification checks" },
    checks.map((check) =>
      h(
        "li",
        { className: check.ok ? "check ok" : check.required === false ? "check warn" : "check fail", "data-check": check.name },
        h("span", { className: "check-mark", "aria-hidden": "true" }, check.ok ? "✓" : "✗"),
        h("strong", {}, check.name),
        h("span", { className: "visually-hidden" }, check.ok ? " passed" : " failed"),
        h("span", { className: "check-detail" }, ` — ${check.detail}`),
      ),
    ),
  );
}

/** Runs a live call with a loading state in `target`; answers its result, or shows its problem and answers null. */
export async function load(target, promise, label = "Loading…") {
  target.replaceChildren(h("p", { className: "loading", role: "status" }, label));
  try {
    const result = await promise;
    target.replaceChildren();
    return result;
  } catch (error) {
    target.replaceChildren(problemView(error));
    return null;
  }
}

/** Disables a button while its action runs, so a slow call cannot be sent twice. */
export async function busy(button, action) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

export function field(label, input, hint) {
  const id = input.id || `field-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) input.setAttribute("aria-describedby", hintId);
  return h("div", { className: "field" }, h("label", { for: id }, label), input, hint && h("small", { id: hintId }, hint));
}

export const list = (text) =>
  text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean);

export function formatTime(value) {
  return value ? new Date(value).toLocaleString() : "—";
}
