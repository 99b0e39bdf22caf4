// Drives Hookline's API through the official Svix JavaScript SDK (v2) for
// cmd/hookline/capabilities_test.go. It reads a JSON file (argv[2]):
//
//   {"base": URL, "admin": admin token,
//    "mint": [{"app", "readOnly", "capabilities"}],   asks for app-portal tokens
//    "calls": [{"route", "token", "ids"}]}            calls routes with tokens
//
// and prints {"tokens": [...], "answers": [{"status", "code"}]}: a token per
// mint, in order, and per call its status (200 for success) and the code of
// its Svix error body. Routes SDK 2.5.0 has no method for go over fetch.
import { readFileSync } from "node:fs";
import { ApiException, Svix } from "svix";

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const clients = new Map();
function sdk(token) {
  if (!clients.has(token)) clients.set(token, new Svix(token, { serverUrl: input.base, requestTimeout: 30000 }));
  return clients.get(token);
}

async function raw(token, method, path, body) {
  const res = await fetch(input.base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30000),
  });
  const text = await res.text();
  if (res.status >= 300) throw new ApiException(res.status, text ? JSON.parse(text) : {}, res.headers);
}

const A = "/api/v1/app/{app_id}";
const E = `${A}/endpoint/{endpoint_id}`;
const M = `${A}/msg/{msg_id}`;
const O = "/api/v1/operational-webhook/endpoint/{endpoint_id}";
const S = "/ingest/api/v1/source/{source_id}";
const SE = `${S}/endpoint/{endpoint_id}`;
const src = "/ingest/api/v1/source/src_none";
const ep = (i, tail) => `/api/v1/app/${i.app}/endpoint/${i.endpoint}${tail}`;

// ops calls each route: (SDK client, ids, token) => promise.
const ops = {
  [`GET ${A}`]: (s, i) => s.application.get(i.app),
  [`GET ${A}/endpoint`]: (s, i) => s.endpoint.list(i.app),
  [`GET ${E}`]: (s, i) => s.endpoint.get(i.app, i.endpoint),
  [`GET ${E}/headers`]: (s, i) => s.endpoint.getHeaders(i.app, i.endpoint),
  [`GET ${E}/mtls`]: (s, i, t) => raw(t, "GET", ep(i, "/mtls")),
  [`GET ${E}/oauth`]: (s, i, t) => raw(t, "GET", ep(i, "/oauth")),
  [`GET ${E}/mtls-config`]: (s, i, t) => raw(t, "GET", ep(i, "/mtls-config")),
  [`GET ${E}/oauth-config`]: (s, i, t) => raw(t, "GET", ep(i, "/oauth-config")),
  [`GET ${E}/ca`]: (s, i, t) => raw(t, "GET", ep(i, "/ca")),
  [`GET ${E}/stats`]: (s, i) => s.endpoint.getStats(i.app, i.endpoint),
  [`GET ${E}/msg`]: (s, i) => s.messageAttempt.listAttemptedMessages(i.app, i.endpoint),
  [`GET ${A}/msg`]: (s, i) => s.message.list(i.app),
  [`GET ${M}`]: (s, i) => s.message.get(i.app, i.msg),
  [`GET ${M}/raw`]: (s, i, t) => raw(t, "GET", `/api/v1/app/${i.app}/msg/${i.msg}/raw`),
  [`GET ${M}/endpoint`]: (s, i) => s.messageAttempt.listAttemptedDestinations(i.app, i.msg),
  [`GET ${M}/attempt/{attempt_id}`]: (s, i) => s.messageAttempt.get(i.app, i.msg, i.attempt),
  [`GET ${M}/attempt/{attempt_id}/headers`]: (s, i, t) => raw(t, "GET", `/api/v1/app/${i.app}/msg/${i.msg}/attempt/${i.attempt}/headers`),
  [`GET ${A}/attempt/endpoint/{endpoint_id}`]: (s, i) => s.messageAttempt.listByEndpoint(i.app, i.endpoint),
  [`GET ${A}/attempt/endpoint/{endpoint_id}/count`]: (s, i, t) =>
    raw(t, "GET", `/api/v1/app/${i.app}/attempt/endpoint/${i.endpoint}/count`),
  [`GET ${A}/stats/attempts`]: (s, i, t) => {
    const now = encodeURIComponent(new Date().toISOString());
    return raw(t, "GET", `/api/v1/app/${i.app}/stats/attempts?since=${now}&until=${now}`);
  },
  "GET /api/v1/stats/app/{app_id}/attempt": (s, i, t) => raw(t, "GET", `/api/v1/stats/app/${i.app}/attempt`),
  [`POST ${A}/msg/search`]: (s, i, t) => raw(t, "POST", `/api/v1/app/${i.app}/msg/search`, { limit: 10 }),
  [`GET ${A}/attempt/msg/{msg_id}`]: (s, i) => s.messageAttempt.listByMsg(i.app, i.msg),
  "GET /api/v1/event-type": (s) => s.eventType.list(),
  "GET /api/v1/event-type/{event_type_name}": (s, i) => s.eventType.get(i.eventType),
  "GET /api/v1/egress-ips": (s, i, t) => raw(t, "GET", "/api/v1/egress-ips"),
  "GET /api/v1/auth/whoami": (s, i, t) => raw(t, "GET", "/api/v1/auth/whoami"),
  "GET /api/v1/background-task": (s, i, t) => raw(t, "GET", "/api/v1/background-task"),
  "GET /api/v1/background-task/{task_id}": (s, i, t) => raw(t, "GET", `/api/v1/background-task/${i.task}`),
  "GET /api/v1/health": (s) => s.health.get(),
  "GET /api/v1/health/ping": (s, i, t) => raw(t, "GET", "/api/v1/health/ping"),

  [`GET ${E}/secret`]: (s, i) => s.endpoint.getSecret(i.app, i.endpoint),
  [`POST ${E}/secret/rotate`]: (s, i) => s.endpoint.rotateSecret(i.app, i.endpoint, {}),

  [`POST ${A}/msg`]: (s, i) => s.message.create(i.app, { eventType: i.eventType, payload: { sent: "by a portal" } }),
  [`POST ${A}/msg/precheck/active`]: (s, i) => s.message.precheck(i.app, { eventType: i.eventType }),
  [`POST ${M}/endpoint/{endpoint_id}/resend`]: (s, i) => s.messageAttempt.resend(i.app, i.msg, i.endpoint),
  [`POST ${E}/recover`]: (s, i) => s.endpoint.recover(i.app, i.endpoint, { since: new Date(i.since) }),
  [`POST ${E}/replay-missing`]: (s, i, t) => raw(t, "POST", ep(i, "/replay-missing"), { since: i.since }),
  [`POST ${E}/bulk-replay`]: (s, i, t) => raw(t, "POST", ep(i, "/bulk-replay"), { since: i.since }),
  [`POST ${E}/send-example`]: (s, i) => s.endpoint.sendExample(i.app, i.endpoint, { eventType: i.eventType }),

  [`POST ${A}/endpoint`]: (s, i) => s.endpoint.create(i.app, { url: `${i.url}/made-by-a-portal` }),
  [`PUT ${E}`]: (s, i) => s.endpoint.upsert(i.app, i.endpoint, { url: `${i.url}/put`, description: "put" }),
  [`PATCH ${E}`]: (s, i) => s.endpoint.patch(i.app, i.endpoint, { description: "patched" }),
  [`PUT ${E}/headers`]: (s, i) => s.endpoint.setHeaders(i.app, i.endpoint, { headers: { "X-Put": "1" } }),
  [`PATCH ${E}/headers`]: (s, i) => s.endpoint.patchHeaders(i.app, i.endpoint, { headers: { "X-Patch": "1" } }),
  [`PUT ${E}/mtls`]: (s, i, t) => raw(t, "PUT", ep(i, "/mtls"), { identity: i.identity }),
  [`DELETE ${E}/mtls`]: (s, i, t) => raw(t, "DELETE", ep(i, "/mtls")),
  [`PUT ${E}/oauth`]: (s, i, t) =>
    raw(t, "PUT", ep(i, "/oauth"), {
      tokenUrl: `${i.url}/token`,
      clientId: "portal",
      clientSecret: "s3cret",
      authMethod: "clientSecretBasic",
      grantType: "clientCredentials",
    }),
  [`DELETE ${E}/oauth`]: (s, i, t) => raw(t, "DELETE", ep(i, "/oauth")),
  [`PUT ${E}/ca`]: (s, i, t) => raw(t, "PUT", ep(i, "/ca"), { cert: null }),

  [`DELETE ${M}/attempt/{attempt_id}/content`]: (s, i) => s.messageAttempt.expungeContent(i.app, i.msg, i.attempt),
  [`DELETE ${M}/content`]: (s, i) => s.message.expungeContent(i.app, i.msg),
  [`POST ${A}/msg/bulk-expunge`]: (s, i, t) => raw(t, "POST", `/api/v1/app/${i.app}/msg/bulk-expunge`, { ids: [i.msg] }),
  [`POST ${A}/msg/expunge-all-contents`]: (s, i, t) => raw(t, "POST", `/api/v1/app/${i.app}/msg/expunge-all-contents`),
  [`DELETE ${E}`]: (s, i) => s.endpoint.delete(i.app, i.endpoint),

  "GET /api/v1/app": (s) => s.application.list(),
  "POST /api/v1/app": (s) => s.application.create({ name: "made by a portal" }),
  [`PUT ${A}`]: (s, i) => s.application.upsert(i.app, { name: "put by a portal" }),
  [`PATCH ${A}`]: (s, i) => s.application.patch(i.app, { name: "patched by a portal" }),
  [`DELETE ${A}`]: (s, i) => s.application.delete(i.app),
  "POST /api/v1/event-type": (s) => s.eventType.create({ name: "portal.made", description: "x" }),
  "PUT /api/v1/event-type/{event_type_name}": (s, i) => s.eventType.upsert(i.eventType, { description: "put by a portal" }),
  "PATCH /api/v1/event-type/{event_type_name}": (s, i) => s.eventType.patch(i.eventType, { description: "patched" }),
  "DELETE /api/v1/event-type/{event_type_name}": (s, i) => s.eventType.delete(i.eventType),
  "POST /api/v1/event-type/import/openapi": (s) =>
    s.eventType.importOpenapi({ spec: { openapi: "3.1.0", webhooks: { "portal.imported": { post: {} } } } }),
  "POST /api/v1/event-type/export/openapi": (s, i, t) => raw(t, "POST", "/api/v1/event-type/export/openapi"),
  "GET /api/v1/operational-webhook/endpoint": (s) => s.operationalWebhook.endpoint.list(),
  "POST /api/v1/operational-webhook/endpoint": (s, i) => s.operationalWebhook.endpoint.create({ url: `${i.url}/ops` }),
  [`GET ${O}`]: (s) => s.operationalWebhook.endpoint.get("ep_none"),
  [`PUT ${O}`]: (s, i) => s.operationalWebhook.endpoint.upsert("portal-ops", { url: `${i.url}/ops` }),
  [`DELETE ${O}`]: (s) => s.operationalWebhook.endpoint.delete("ep_none"),
  [`GET ${O}/secret`]: (s) => s.operationalWebhook.endpoint.getSecret("ep_none"),
  [`POST ${O}/secret/rotate`]: (s) => s.operationalWebhook.endpoint.rotateSecret("ep_none", {}),
  [`GET ${O}/headers`]: (s) => s.operationalWebhook.endpoint.getHeaders("ep_none"),
  [`PUT ${O}/headers`]: (s) => s.operationalWebhook.endpoint.setHeaders("ep_none", { headers: { "X-A": "1" } }),
  "GET /api/v1/overview": (s, i, t) => raw(t, "GET", "/api/v1/overview"),
  "GET /api/v1/overview/app": (s, i, t) => raw(t, "GET", `/api/v1/overview/app?search=${i.app}`),
  "GET /api/v1/overview/failing-endpoint": (s, i, t) => raw(t, "GET", `/api/v1/overview/failing-endpoint?app_id=${i.app}`),
  "POST /api/v1/auth/app-portal-access/{app_id}": (s, i) => s.authentication.appPortalAccess(i.app, {}),
  "POST /api/v1/auth/dashboard-access/{app_id}": (s, i, t) => raw(t, "POST", `/api/v1/auth/dashboard-access/${i.app}`),
  "POST /api/v1/auth/app/{app_id}/expire-all": (s, i, t) => raw(t, "POST", `/api/v1/auth/app/${i.app}/expire-all`, {}),

  "GET /ingest/api/v1/source": (s) => s.ingest.source.list(),
  "POST /ingest/api/v1/source": (s, i, t) =>
    raw(t, "POST", "/ingest/api/v1/source", { name: "portal", type: "generic-webhook", config: {} }),
  [`GET ${S}`]: (s) => s.ingest.source.get("src_none"),
  [`PUT ${S}`]: (s, i, t) =>
    raw(t, "PUT", "/ingest/api/v1/source/portal-src", { name: "portal", type: "generic-webhook", config: {} }),
  [`PATCH ${S}`]: (s, i, t) => raw(t, "PATCH", `${src}`, { name: "renamed" }),
  [`DELETE ${S}`]: (s) => s.ingest.source.delete("src_none"),
  [`POST ${S}/token/rotate`]: (s) => s.ingest.source.rotateToken("src_none"),
  [`GET ${S}/log`]: (s, i, t) => raw(t, "GET", `${src}/log`),
  [`GET ${S}/endpoint`]: (s) => s.ingest.endpoint.list("src_none"),
  [`POST ${S}/endpoint`]: (s, i, t) => raw(t, "POST", `${src}/endpoint`, { url: `${i.url}/ingest` }),
  [`GET ${SE}`]: (s) => s.ingest.endpoint.get("src_none", "ep_none"),
  [`PUT ${SE}`]: (s, i, t) => raw(t, "PUT", `${src}/endpoint/ep_none`, { url: `${i.url}/ingest` }),
  [`DELETE ${SE}`]: (s) => s.ingest.endpoint.delete("src_none", "ep_none"),
  [`GET ${SE}/secret`]: (s) => s.ingest.endpoint.getSecret("src_none", "ep_none"),
  [`POST ${SE}/secret/rotate`]: (s, i, t) => raw(t, "POST", `${src}/endpoint/ep_none/secret/rotate`, {}),
  [`GET ${SE}/headers`]: (s) => s.ingest.endpoint.getHeaders("src_none", "ep_none"),
  [`PUT ${SE}/headers`]: (s, i, t) => raw(t, "PUT", `${src}/endpoint/ep_none/headers`, { headers: { "X-A": "1" } }),
  [`POST ${SE}/recover`]: (s, i, t) => raw(t, "POST", `${src}/endpoint/ep_none/recover`, { since: i.since }),
  [`GET ${S}/attempt/endpoint/{endpoint_id}`]: (s, i, t) => raw(t, "GET", `${src}/attempt/endpoint/ep_none`),
  [`GET ${S}/attempt/msg/{msg_id}`]: (s, i, t) => raw(t, "GET", `${src}/attempt/msg/msg_none`),
  [`GET ${S}/msg/{msg_id}/endpoint`]: (s, i, t) => raw(t, "GET", `${src}/msg/msg_none/endpoint`),
  [`POST ${S}/msg/{msg_id}/endpoint/{endpoint_id}/resend`]: (s, i, t) =>
    raw(t, "POST", `${src}/msg/msg_none/endpoint/ep_none/resend`),
  "POST /ingest/in/{token}": (s, i, t) => raw(t, "POST", i.ingest, { portal: true }),

  "POST /api/v1/auth/logout": (s) => s.authentication.logout(),
};

const out = {};
if (input.mint) {
  out.tokens = [];
  for (const m of input.mint) {
    const req = {};
    if (m.readOnly != null) req.readOnly = m.readOnly;
    if (m.capabilities != null) req.capabilities = m.capabilities;
    out.tokens.push((await sdk(input.admin).authentication.appPortalAccess(m.app, req)).token);
  }
}
if (input.calls) {
  out.answers = [];
  for (const c of input.calls) {
    const op = ops[c.route];
    if (op === undefined) {
      out.answers.push({ status: 0, code: "the script has no call for this route" });
      continue;
    }
    try {
      await op(sdk(c.token), c.ids, c.token);
      out.answers.push({ status: 200, code: "" });
    } catch (e) {
      if (!(e instanceof ApiException)) throw e;
      out.answers.push({ status: e.code, code: e.body?.code ?? "" });
    }
  }
}
process.stdout.write(JSON.stringify(out));
