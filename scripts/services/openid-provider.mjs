#!/usr/bin/env node
/**
 * A real OpenID provider for developing and testing Tarn's token logins: the certified `oidc-provider` package,
 * on 127.0.0.1, configured the way an experiment's INDIGO IAM or Keycloak is configured for Tarn:
 *
 * - the public client `tarn-cli` (device authorization grant, authorization code with PKCE, refresh tokens);
 * - the confidential client `tarn-service` (client credentials, and token exchange, RFC 8693, for storage audiences);
 * - the confidential client `tarn-web` (secret `tarn-web-secret`), the web UI's login (authorization code with PKCE)
 *   with redirect URIs `webRedirectUris` (default http://127.0.0.1:8080/auth/oidc/callback), and its logout (RP-initiated,
 *   back to /ui/ of the same origins);
 * - JWT access tokens (RFC 9068) for Tarn's audience and for each storage audience, carrying the user's groups in a
 *   `wlcg.groups` (or `groups`) claim as they are when the token is issued;
 * - users with passwords and groups, a login page, consent given for these first-party clients.
 *
 * oidc-provider has no token exchange grant of its own: it is added here with its extension point
 * (`provider.registerGrantType`), so the exchange runs inside the real provider with its own clients, keys and tokens.
 *
 *   node scripts/services/openid-provider.mjs [--port 8443] [--config provider.json]
 *
 * The config file (JSON, or the same JSON in TARN_OIDC_PROVIDER_CONFIG) may set: port, tarnAudience, storageAudiences [...], groupsClaim, accessTokenTtl (seconds),
 * users [{sub, username, password, groups}], serviceSecret, webSecret, webRedirectUris. Started by a test with an IPC channel (child_process.fork),
 * it answers control messages {id, op, args} (setUser, removeUser, rotateKeys, setAccessTokenTtl, setGroupsClaim,
 * setWebRedirectUris, stats) with {id, ok, result | error}, and announces {ready: {issuer, port}} once it listens.
 */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { generateKeyPairSync, randomUUID, timingSafeEqual } from 'node:crypto';
import * as jose from 'jose';
import Provider, { errors } from 'oidc-provider';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
/** Audiences that would let a token through at any storage: never issued by exchange. */
const WILDCARD_AUDIENCES = new Set(['*', 'https://wlcg.cern.ch/jwt/v1/any']);
const STORAGE_SCOPES = 'storage.read:/ storage.create:/ storage.modify:/ storage.stage:/';

function option(name) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
}

const fileConfig = option('config')
  ? JSON.parse(readFileSync(option('config'), 'utf8'))
  : JSON.parse(process.env.TARN_OIDC_PROVIDER_CONFIG || '{}');
const settings = {
  port: Number(option('port') ?? fileConfig.port ?? process.env.TARN_OIDC_PROVIDER_PORT ?? 8443),
  tarnAudience: fileConfig.tarnAudience ?? 'https://tarn.example.org',
  storageAudiences: new Set(fileConfig.storageAudiences ?? []),
  groupsClaim: fileConfig.groupsClaim ?? 'wlcg.groups',
  accessTokenTtl: fileConfig.accessTokenTtl ?? 3600,
  serviceSecret: fileConfig.serviceSecret ?? process.env.TARN_OIDC_PROVIDER_SERVICE_SECRET ?? 'tarn-service-secret',
  webSecret: fileConfig.webSecret ?? 'tarn-web-secret',
  webRedirectUris: fileConfig.webRedirectUris ?? ['http://127.0.0.1:8080/auth/oidc/callback'],
};
/** sub -> {sub, username, password, groups} */
const users = new Map(
  (fileConfig.users ?? [{ sub: 'jdoe', username: 'jdoe', password: 'jdoe-secret', groups: ['/tarn'] }]).map((u) => [u.sub, { groups: [], ...u }]),
);
const stats = { accessTokens: 0, refreshes: 0, exchanges: [], deviceLogins: 0, codeLogins: 0 };

function newSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

let keys = [newSigningKey()];
/** Known once the server listens (port 0 asks for a free port). */
let issuer;
let current;
let server;

const html = (title, body) =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function sameSecret(given, expected) {
  const a = Buffer.from(String(given));
  const b = Buffer.from(String(expected));
  return a.length === b.length && timingSafeEqual(a, b);
}

function resourceServer(indicator) {
  if (indicator === settings.tarnAudience) {
    return { audience: indicator, scope: 'tarn', accessTokenFormat: 'jwt', accessTokenTTL: settings.accessTokenTtl, jwt: { sign: { alg: 'RS256' } } };
  }
  if (settings.storageAudiences.has(indicator)) {
    return { audience: indicator, scope: STORAGE_SCOPES, accessTokenFormat: 'jwt', accessTokenTTL: settings.accessTokenTtl, jwt: { sign: { alg: 'RS256' } } };
  }
  throw new errors.InvalidTarget(`unknown resource ${indicator}`);
}

/** RFC 8693: the `tarn-service` client trades a token this provider issued for one of a storage audience it may ask for. */
async function tokenExchange(ctx) {
  const { client, params, provider } = ctx.oidc;
  const allowed = new Set(client.metadata().token_exchange_audiences ?? []);
  const audience = params.audience ?? params.resource;
  if (!params.subject_token) throw new errors.InvalidRequest('subject_token is missing');
  if (![ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE].includes(params.subject_token_type)) {
    throw new errors.InvalidRequest(`unsupported subject_token_type ${params.subject_token_type}`);
  }
  if (params.requested_token_type && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
    throw new errors.InvalidRequest('only access tokens are issued by exchange');
  }
  if (!audience) throw new errors.InvalidTarget('name the audience of the token you want');
  if (WILDCARD_AUDIENCES.has(audience)) throw new errors.InvalidTarget(`a token for any audience (${audience}) is never issued`);
  if (!allowed.has(audience) || !settings.storageAudiences.has(audience)) {
    throw new errors.InvalidTarget(`client ${client.clientId} may not exchange tokens for the audience ${audience}`);
  }
  let subject;
  try {
    const jwks = jose.createLocalJWKSet({ keys: keys.map(({ kid, kty, n, e, alg, use }) => ({ kid, kty, n, e, alg, use })) });
    ({ payload: subject } = await jose.jwtVerify(params.subject_token, jwks, { issuer }));
  } catch (error) {
    throw new errors.InvalidGrant(`the subject token is not valid: ${error.message}`);
  }
  const token = new provider.AccessToken({
    accountId: subject.sub,
    client,
    gty: 'token-exchange',
    scope: (params.scope ?? '').split(' ').filter((s) => STORAGE_SCOPES.split(' ').includes(s)).join(' ') || undefined,
  });
  token.resourceServer = new provider.ResourceServer(audience, resourceServer(audience));
  const value = await token.save();
  stats.exchanges.push({ client: client.clientId, audience, subject: subject.sub });
  ctx.body = {
    access_token: value,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: token.expiration,
    ...(token.scope ? { scope: token.scope } : {}),
  };
}

function build() {
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'tarn-cli',
        client_name: 'Tarn command line',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
      },
      {
        client_id: 'tarn-service',
        client_secret: settings.serviceSecret,
        client_name: 'Tarn',
        grant_types: ['client_credentials', TOKEN_EXCHANGE],
        response_types: [],
        redirect_uris: [],
        token_exchange_audiences: [...settings.storageAudiences],
      },
      {
        client_id: 'tarn-web',
        client_secret: settings.webSecret,
        client_name: "Tarn's web UI",
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: settings.webRedirectUris,
        // Tarn's web UI, where the provider sends the browser after a logout it asked for.
        post_logout_redirect_uris: settings.webRedirectUris.map((uri) => new URL('/ui/', uri).href),
      },
    ],
    extraClientMetadata: { properties: ['token_exchange_audiences'] },
    jwks: { keys },
    scopes: ['openid', 'offline_access', 'profile', 'wlcg.groups', 'groups', 'tarn', ...STORAGE_SCOPES.split(' ')],
    claims: { openid: ['sub'], profile: ['preferred_username'], 'wlcg.groups': ['wlcg.groups'], groups: ['groups'] },
    async findAccount(_ctx, sub) {
      const user = users.get(sub);
      if (!user) return undefined;
      return { accountId: sub, claims: async () => ({ sub, preferred_username: user.username, [settings.groupsClaim]: user.groups }) };
    },
    async extraTokenClaims(_ctx, token) {
      const user = token.accountId ? users.get(token.accountId) : undefined;
      return user ? { [settings.groupsClaim]: [...user.groups] } : undefined;
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    features: {
      devInteractions: { enabled: false },
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        userCodeInputSource: async (ctx, form, _out, err) => {
          ctx.body = html('Device login', `${err ? '<p>The code is not right, try again.</p>' : '<p>Enter the code shown by your device.</p>'}${form}<button type="submit" form="op.deviceInputForm">Continue</button>`);
        },
        userCodeConfirmSource: async (ctx, form, client, _info, userCode) => {
          ctx.body = html('Confirm the device', `<p>${escape(client.clientName ?? client.clientId)} shows the code <code>${escape(userCode)}</code>.</p>${form}<button type="submit" form="op.deviceConfirmForm">Continue</button>`);
        },
        successSource: async (ctx) => {
          stats.deviceLogins += 1;
          ctx.body = html('Signed in', '<p>You may close this window and return to your device.</p>');
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => settings.tarnAudience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator) => resourceServer(indicator),
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = html('Sign out', `<p>Sign out of this provider?</p>${form}<button type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button>`);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = html('Signed out', '<p>You are signed out.</p>');
        },
      },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
    },
    pkce: { required: () => true },
    ttl: {
      AccessToken: () => settings.accessTokenTtl,
      ClientCredentials: () => settings.accessTokenTtl,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      DeviceCode: 600,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = html('Error', `<pre>${escape(JSON.stringify(out))}</pre>`);
    },
    cookies: { keys: ['tarn-dev-provider-cookie-key'] },
  });
  provider.registerGrantType(TOKEN_EXCHANGE, tokenExchange, [
    'subject_token',
    'subject_token_type',
    'actor_token',
    'actor_token_type',
    'requested_token_type',
    'audience',
    'resource',
    'scope',
  ]);
  provider.on('access_token.issued', () => (stats.accessTokens += 1));
  provider.on('grant.success', (ctx) => {
    if (ctx.oidc.params?.grant_type === 'refresh_token') stats.refreshes += 1;
  });
  return provider;
}

async function formBody(req) {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 65536) throw new Error('form too large');
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function loginPage(uid, message = '') {
  return html(
    'Sign in',
    `${message ? `<p>${escape(message)}</p>` : ''}<form method="post" action="/interaction/${escape(uid)}/login">` +
      '<input name="username" autocomplete="username"><input name="password" type="password" autocomplete="current-password">' +
      '<button type="submit">Sign in</button></form>',
  );
}

/** Login (username and password of the configured users) and consent (given at once: the clients are first-party). */
async function interaction(req, res, provider) {
  const url = new URL(req.url, issuer);
  const [, , uid, action] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new errors.SessionNotFound('interaction mismatch');
  if (req.method === 'POST' && action === 'login') {
    const form = await formBody(req);
    const user = [...users.values()].find((u) => u.username === form.username);
    if (!user || !sameSecret(form.password ?? '', user.password)) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(loginPage(uid, 'Wrong username or password.'));
      return;
    }
    if (details.params.response_type === 'code') stats.codeLogins += 1;
    await provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
    return;
  }
  if (details.prompt.name === 'consent') {
    const { prompt, params, session } = details;
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html' }).end(loginPage(uid));
}

function control(message) {
  const { op, args = {} } = message;
  switch (op) {
    case 'setUser':
      users.set(args.sub, { groups: [], ...users.get(args.sub), ...args });
      return users.get(args.sub);
    case 'removeUser':
      return users.delete(args.sub);
    case 'rotateKeys': {
      // The new key signs from now on; the old one stays published (args.keepOld, default true) so issued tokens still verify.
      keys = args.keepOld === false ? [newSigningKey()] : [newSigningKey(), ...keys];
      current = build();
      return { kid: keys[0].kid };
    }
    case 'setAccessTokenTtl':
      settings.accessTokenTtl = args.seconds;
      return settings.accessTokenTtl;
    case 'setGroupsClaim':
      settings.groupsClaim = args.claim;
      return settings.groupsClaim;
    case 'setWebRedirectUris':
      settings.webRedirectUris = args.uris;
      current = build();
      return settings.webRedirectUris;
    case 'addStorageAudience':
      settings.storageAudiences.add(args.audience);
      current = build();
      return [...settings.storageAudiences];
    case 'stats':
      return { ...stats, signingKid: keys[0].kid };
    default:
      throw new Error(`unknown control operation ${op}`);
  }
}

server = createServer((req, res) => {
  const provider = current;
  if (req.url?.startsWith('/interaction/')) {
    interaction(req, res, provider).catch((error) => {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`interaction failed: ${error.message}`);
    });
    return;
  }
  provider.callback()(req, res);
});
server.listen(settings.port, '127.0.0.1', () => {
  const { port } = server.address();
  issuer = `http://127.0.0.1:${port}`;
  current = build();
  if (process.send) process.send({ ready: { issuer, port } });
  else process.stdout.write(`OpenID provider at ${issuer} (clients tarn-cli, tarn-service, tarn-web; users ${[...users.values()].map((u) => u.username).join(', ')})\n`);
});
server.on('error', (error) => {
  process.stderr.write(`openid-provider: ${error.message}\n`);
  process.exit(1);
});
process.on('message', (message) => {
  try {
    process.send({ id: message.id, ok: true, result: control(message) });
  } catch (error) {
    process.send({ id: message.id, ok: false, error: error.message });
  }
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
