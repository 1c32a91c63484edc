// A throw-away OpenID Connect provider for roomchat's tests: oidc-provider
// (8.x, in memory) on 127.0.0.1 with one confidential client, PKCE S256
// required, and an interaction that signs the test user in and consents
// without a form. Started by tests/oidc_test.cc and web/e2e/oidc.test.mjs.
//
//   node index.mjs --ready-file FILE [--port 0] [--client-id roomchat]
//                  [--client-secret SECRET] [--redirect-path /api/auth/oidc/test/callback]
//
// Once listening it writes {"issuer","port"} to the ready file. The client
// is "native" with a loopback redirect URI, so (RFC 8252 §7.3) any port of
// 127.0.0.1 is accepted: the roomchat under test picks its own port.
//
// Test controls (plain HTTP, loopback only; this is a test tool):
//   POST /admin/user?sub=&name=&username=&email=  who the next sign-in is
//   POST /admin/deny?on=1                         the user refuses (access_denied)
//   POST /admin/rotate?alg=RS256|ES256            a new signing key replaces the old one
//   POST /admin/tamper?mode=                      the next id_tokens are altered:
//        aud | iss | nonce | expired | signature | none | otherkey | "" (off)
//   POST /admin/stale-jwks?on=1                   /jwks keeps serving the previous key set
import http from 'node:http';
import fs from 'node:fs';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => {
    if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const port = Number(args.port ?? 0);
const clientId = args['client-id'] ?? 'roomchat';
const clientSecret = args['client-secret'] ?? 'roomchat-test-secret-0123456789';
const redirectPath = args['redirect-path'] ?? '/api/auth/oidc/test/callback';

const state = {
  user: { sub: 'test-user-1', name: 'Tess Tester', preferred_username: 'tess', email: 'tess@example.test' },
  deny: false,
  tamper: '',
  staleJwks: false,
  keys: [],         // private JWKs, the current one first
  previousPublic: null,
};

async function newKey(alg) {
  const { privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  return { ...jwk, kid: `${alg.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}`, alg, use: 'sig' };
}

const publicJwks = (keys) => ({
  keys: keys.map(({ d, p, q, dp, dq, qi, ...pub }) => pub), // eslint-disable-line no-unused-vars
});

async function tamper(idToken, issuer) {
  const [h, p, s] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  const key = state.keys[0];
  const resign = async (c, signingKey = key) =>
    new jose.SignJWT(c).setProtectedHeader({ alg: header.alg, kid: header.kid, typ: header.typ })
      .sign(await jose.importJWK(signingKey, header.alg));
  const now = Math.floor(Date.now() / 1000);
  switch (state.tamper) {
    case 'aud': return resign({ ...claims, aud: 'someone-else' });
    case 'iss': return resign({ ...claims, iss: 'http://evil.example' });
    case 'nonce': return resign({ ...claims, nonce: 'not-the-nonce' });
    case 'expired': return resign({ ...claims, iat: now - 7200, exp: now - 3600 });
    case 'signature': return `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    case 'none': {
      const none = Buffer.from(JSON.stringify({ alg: 'none', kid: header.kid })).toString('base64url');
      return `${none}.${p}.`;
    }
    case 'otherkey': {
      const other = await newKey(header.alg);
      return resign(claims, other);
    }
    default: return idToken;
  }
}

function buildProvider(issuer) {
  const alg = state.keys[0].alg;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      application_type: 'native',
      redirect_uris: [`http://127.0.0.1${redirectPath}`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: alg,
    }],
    jwks: { keys: state.keys },
    pkce: { required: () => true, methods: ['S256'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    cookies: { keys: ['roomchat-test-cookie-key'] },
    findAccount: async (ctx, sub) => ({
      accountId: sub,
      claims: async () => (sub === state.user.sub ? { ...state.user, email_verified: true } : { sub }),
    }),
    renderError: async (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  });
  provider.proxy = false;
  // The interaction: no form, the configured user signs in and consents.
  provider.use(async (ctx, next) => {
    const m = ctx.path.match(/^\/interaction\/([^/]+)$/);
    if (!m || ctx.method !== 'GET') {
      await next();
      if (ctx.path === '/token' && state.tamper && ctx.body && ctx.body.id_token) {
        ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token, issuer) };
      }
      if (ctx.path === '/jwks' && state.staleJwks && state.previousPublic) {
        ctx.body = state.previousPublic;
      }
      return;
    }
    ctx.respond = false;
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (state.deny) {
      await provider.interactionFinished(ctx.req, ctx.res,
        { error: 'access_denied', error_description: 'the test user said no' },
        { mergeWithLastSubmission: false });
      return;
    }
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(ctx.req, ctx.res,
        { login: { accountId: state.user.sub } }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    if (details.prompt.details.missingOIDCScope) grant.addOIDCScope(details.prompt.details.missingOIDCScope.join(' '));
    if (details.prompt.details.missingOIDCClaims) grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } },
      { mergeWithLastSubmission: true });
  });
  return provider;
}

async function admin(req, res, url, issuer, swap) {
  const q = url.searchParams;
  if (url.pathname === '/admin/user') {
    state.user = {
      sub: q.get('sub') ?? state.user.sub,
      name: q.get('name') ?? state.user.name,
      preferred_username: q.get('username') ?? state.user.preferred_username,
      email: q.get('email') ?? state.user.email,
    };
  } else if (url.pathname === '/admin/deny') {
    state.deny = q.get('on') === '1';
  } else if (url.pathname === '/admin/tamper') {
    state.tamper = q.get('mode') ?? '';
  } else if (url.pathname === '/admin/stale-jwks') {
    state.staleJwks = q.get('on') === '1';
  } else if (url.pathname === '/admin/rotate') {
    state.previousPublic = publicJwks(state.keys);
    state.keys = [await newKey(q.get('alg') ?? 'RS256')];
    swap(buildProvider(issuer));
  } else {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kid: state.keys[0].kid, tamper: state.tamper, user: state.user }));
}

state.keys = [await newKey('RS256')];
let handler = null;
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname.startsWith('/admin/')) {
    admin(req, res, url, server.issuer, (p) => { handler = p.callback(); }).catch((e) => {
      res.writeHead(500).end(String(e));
    });
    return;
  }
  handler(req, res);
});
server.listen(port, '127.0.0.1', () => {
  const bound = server.address().port;
  server.issuer = `http://127.0.0.1:${bound}`;
  handler = buildProvider(server.issuer).callback();
  const ready = JSON.stringify({ issuer: server.issuer, port: bound });
  if (args['ready-file']) {
    fs.writeFileSync(`${args['ready-file']}.tmp`, ready);
    fs.renameSync(`${args['ready-file']}.tmp`, args['ready-file']);
  }
  console.log(ready);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
