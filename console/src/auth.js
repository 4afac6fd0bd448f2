// Sign-in through the managed login (Cognito's hosted UI, or its local stand-in): authorization code + PKCE.
// Tokens live in memory only (a reload signs in again through the managed login's session); the PKCE state of
// a redirect in progress lives in sessionStorage, as it must survive the redirect.
import { InMemoryWebStorage, OidcClient, UserManager, WebStorageStateStore } from "oidc-client-ts";

export const AMAZON = "LoginWithAmazon";
// The SAML provider the deployed stack adds when its context names an Identity Center (the config lists it then).
export const IDENTITY_CENTER = "IdentityCenter";

export function createAuth(config) {
  const settings = {
    authority: config.authority,
    metadataUrl: config.metadataUrl,
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    post_logout_redirect_uri: config.postLogoutRedirectUri,
    response_type: "code",
    scope: config.scope,
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
    // Renewed with the refresh token at the token endpoint before the tokens expire: no iframe, no third-party
    // cookie (Cognito's managed login offers no prompt=none anyway).
    automaticSilentRenew: true,
    // Everything the console shows of the user comes from GET /me.
    loadUserInfo: false,
  };
  const manager = new UserManager(settings);
  // Same settings and state store: a request it creates is completed by manager.signinCallback.
  const client = new OidcClient(settings);
  const offers = (provider) => config.identityProviders.includes(provider);

  return {
    manager,
    offersAmazon: offers(AMAZON),
    offersIdentityCenter: offers(IDENTITY_CENTER),
    async user() {
      const user = await manager.getUser();
      return user && !user.expired ? user : null;
    },
    /** The API's authorizer is Cognito's: it takes the ID token (aud = this client), not the access token. */
    async idToken() {
      return (await this.user())?.id_token ?? null;
    },
    signIn(provider) {
      const extraQueryParams = provider ? { identity_provider: provider } : {};
      return manager.signinRedirect({ extraQueryParams });
    },
    /** The managed login's sign-up page takes the authorize request's parameters, as Cognito's does. */
    async signUp() {
      const request = await client.createSigninRequest({ request_type: "si:r" });
      const url = new URL(request.url);
      url.pathname = url.pathname.replace(/\/oauth2\/authorize$/, "/signup");
      window.location.assign(url.toString());
    },
    /** Completes a redirect back to redirectUri; answers the signed-in user. */
    completeSignIn(url) {
      return manager.signinCallback(url);
    },
    /** Cognito has no end_session_endpoint: revoke the refresh token, then end the managed login's session. */
    async signOut() {
      try {
        await manager.revokeTokens(["refresh_token"]);
      } finally {
        await manager.removeUser();
        const logout = new URL(config.logoutEndpoint);
        logout.searchParams.set("client_id", config.clientId);
        logout.searchParams.set("logout_uri", config.postLogoutRedirectUri);
        window.location.assign(logout.toString());
      }
    },
  };
}
