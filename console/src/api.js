// The Cloudivize API over fetch: the ID token as bearer, the organization chosen in the header, and every
// failure turned into the API's problem document (RFC 9457) so that screens show its detail, never a trace.
export const ORGANIZATION_HEADER = "X-Cloudivize-Organization";

export class ApiError extends Error {
  constructor(problem) {
    super(problem.detail);
    this.problem = problem;
    this.status = problem.status;
  }
}

function problemOf(status, body) {
  if (body && typeof body === "object" && typeof body.detail === "string") {
    return { ...body, status };
  }
  return { status, title: "Error", detail: `The API answered ${status} without an explanation.` };
}

export function createApi(config, auth) {
  let organizationId = null;

  async function request(method, path, { body, query, headers = {} } = {}) {
    const url = new URL(config.apiUrl + path);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    const token = await auth.idToken();
    if (!token) {
      throw new ApiError({ status: 401, title: "Signed out", detail: "Your session has ended: sign in again." });
    }
    const sent = { Authorization: `Bearer ${token}`, ...headers };
    if (organizationId) sent[ORGANIZATION_HEADER] = organizationId;
    if (body !== undefined) sent["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError({ status: 0, title: "Unreachable", detail: `Cloudivize's API (${config.apiUrl}) could not be reached.` });
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) throw new ApiError(problemOf(response.status, data));
    return { data, etag: response.headers.get("ETag"), status: response.status };
  }

  const get = async (path, query) => (await request("GET", path, { query })).data;
  const send = async (method, path, body, headers) => (await request(method, path, { body, headers })).data;

  return {
    request,
    setOrganization(id) {
      organizationId = id;
    },
    organization: () => organizationId,
    me: () => get("/me"),
    organizations: () => get("/organizations"),
    chooseOrganization: (id) => send("PUT", "/me/organization", { organization_id: id }),
    onboardingAws: () => get("/onboarding/aws"),
    onboardingAzure: () => get("/onboarding/azure"),
    connections: (nextToken) => get("/connections", { next_token: nextToken }),
    connection: (id) => request("GET", `/connections/${encodeURIComponent(id)}`),
    createConnection: (body, idempotencyKey) => send("POST", "/connections", body, { "Idempotency-Key": idempotencyKey }),
    // The version read goes as If-Match: a connection changed meanwhile answers 412 and nothing changes.
    updateConnection: (id, version, patch) =>
      send("PATCH", `/connections/${encodeURIComponent(id)}`, patch, { "If-Match": `"${version}"` }),
    deleteConnection: (id) => send("DELETE", `/connections/${encodeURIComponent(id)}`),
    verifyConnection: (id) => send("POST", `/connections/${encodeURIComponent(id)}/verify`),
    syncConnection: (id) => send("POST", `/connections/${encodeURIComponent(id)}/sync`),
    assets: (id, query) => get(`/connections/${encodeURIComponent(id)}/assets`, query),
    runAction: (id, body) => send("POST", `/connections/${encodeURIComponent(id)}/actions`, body),
    activity: (id, query) => get(`/connections/${encodeURIComponent(id)}/activity`, query),
    members: () => get("/members"),
    changeRole: (userId, role) => send("PATCH", `/members/${encodeURIComponent(userId)}`, { role }),
    removeMember: (userId) => send("DELETE", `/members/${encodeURIComponent(userId)}`),
    invitations: () => get("/invitations"),
    invite: (email, role) => send("POST", "/invitations", { email, role }),
    revokeInvitation: (id) => send("DELETE", `/invitations/${encodeURIComponent(id)}`),
    myInvitations: () => get("/me/invitations"),
    acceptInvitation: (id) => send("POST", `/invitations/${encodeURIComponent(id)}/accept`),
  };
}
