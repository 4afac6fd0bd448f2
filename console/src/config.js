// The runtime configuration, served next to the console as /config.json (the local stack writes it from its
// info file; the deployed stack from its outputs), so one build runs against any stack.
const KEYS = [
  "apiUrl",
  "authority",
  "metadataUrl",
  "clientId",
  "redirectUri",
  "postLogoutRedirectUri",
  "logoutEndpoint",
  "scope",
  "identityProviders",
];

export class ConfigError extends Error {}

export async function loadConfig() {
  let response;
  try {
    response = await fetch("/config.json", { cache: "no-store" });
  } catch {
    throw new ConfigError("The console could not load its configuration (/config.json).");
  }
  if (!response.ok) {
    throw new ConfigError(`The console could not load its configuration (/config.json answered ${response.status}).`);
  }
  let config;
  try {
    config = await response.json();
  } catch {
    throw new ConfigError("The console's configuration (/config.json) is not JSON.");
  }
  const missing = KEYS.filter((key) => config[key] === undefined || config[key] === "");
  if (missing.length) {
    throw new ConfigError(`The console's configuration lacks ${missing.join(", ")}.`);
  }
  return { ...config, apiUrl: config.apiUrl.replace(/\/+$/, "") };
}
