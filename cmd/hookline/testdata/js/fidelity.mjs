// Checks, through the official Svix JavaScript SDK v2 (svix 2.5.0), the
// behaviours of svix-server Hookline keeps where SDK v2 names or defaults
// differ from v1 (cmd/hookline/fidelity_test.go). It reads a JSON file
// (argv[2]): {"base": URL, "admin": admin token, "receiver": URL}, and
// prints {"checks": [{"name", "ok", "detail"}]}.
import { readFileSync } from "node:fs";
import { ApiException, Svix, messageInRaw } from "svix";

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const opts = { serverUrl: input.base, requestTimeout: 30000 };
const admin = new Svix(input.admin, opts);
const checks = [];
const check = (name, ok, detail) => checks.push({ name, ok: !!ok, detail: JSON.stringify(detail ?? null) });
async function status(promise) {
  try {
    await promise;
    return 200;
  } catch (e) {
    if (e instanceof ApiException) return e.code;
    throw e;
  }
}

const app = await admin.application.create({ name: "fidelity" });
await admin.eventType.create({ name: "a.made", description: "made" });
await admin.eventType.create({ name: "b.beta", description: "beta only", featureFlags: ["beta"] });

// v2 names an endpoint's event types eventTypes, on the way in and out.
const ep = await admin.endpoint.create(app.id, { url: `${input.receiver}/v2`, eventTypes: ["a.made"] });
check("endpoint eventTypes out", JSON.stringify(ep.eventTypes) === '["a.made"]', ep);
check("endpoint eventTypes must exist",
  (await status(admin.endpoint.create(app.id, { url: `${input.receiver}/x`, eventTypes: ["nope"] }))) === 422);

// v2 asks for messages without their content unless told.
const msg = await admin.message.create(app.id, { eventType: "a.made", payload: { n: 1 } });
check("create without content", JSON.stringify(msg.payload) === "{}", msg);
const got = await admin.message.get(app.id, msg.id);
check("get without content", JSON.stringify(got.payload) === "{}", got);
const full = await admin.message.get(app.id, msg.id, { withContent: true });
check("get with content", full.payload.n === 1, full);

// messageInRaw: delivered as given; the raw route reads it.
const raw = await admin.message.create(app.id, messageInRaw("a.made", "<a>1</a>", "application/xml"));
const res = await fetch(`${input.base}/api/v1/app/${app.id}/msg/${raw.id}/raw`, {
  headers: { authorization: `Bearer ${input.admin}` },
});
const rawOut = await res.json();
check("raw payload", rawOut.payload === "<a>1</a>", rawOut);

// precheck.
const pre = await admin.message.precheck(app.id, { eventType: "a.made" });
const preNone = await admin.message.precheck(app.id, { eventType: "b.beta" });
check("precheck", pre.active === true && preNone.active === false, [pre, preNone]);

// bulkExpungeContent: by id or eventId, a result for each; the payload
// then reads as svix-server's expunged one.
const secret = await admin.message.create(app.id, { eventType: "a.made", eventId: "evt-js-secret", payload: { card: "4242" } });
const kept = await admin.message.create(app.id, { eventType: "a.made", payload: { n: 2 } });
const bulk = await admin.message.bulkExpungeContent(app.id, { ids: ["evt-js-secret", "msg_nope"] });
const expunged = await admin.message.get(app.id, secret.id, { withContent: true });
const untouched = await admin.message.get(app.id, kept.id, { withContent: true });
check("bulk expunge",
  bulk.results["evt-js-secret"] === "expunged" && bulk.results["msg_nope"] === "not-found" &&
    JSON.stringify(expunged.payload) === '{"expired":true}' && untouched.payload.n === 2,
  [bulk, expunged.payload, untouched.payload]);

// A deleted endpoint stays among a message's destinations.
await admin.endpoint.delete(app.id, ep.id);
const dests = await admin.messageAttempt.listAttemptedDestinations(app.id, msg.id);
check("deleted endpoint destination", dests.data.some((d) => d.id === ep.id), dests);

// PUT of an endpoint id that does not exist creates one.
const made = await admin.endpoint.upsert(app.id, "ep_2mYkxQ4l7cRAkSCtPwZlGJ", { url: `${input.receiver}/made` });
check("upsert creates", made.id !== "ep_2mYkxQ4l7cRAkSCtPwZlGJ" && made.url === `${input.receiver}/made`, made);

// Hookline's extension disabledReason (and disabledAt): the SDK decodes an
// endpoint that has them, and keeps what it knows.
const off = await admin.endpoint.create(app.id, { url: `${input.receiver}/off`, disabled: true });
const offGot = await admin.endpoint.get(app.id, off.id);
check("disabled endpoint decodes", off.disabled === true && offGot.disabled === true && offGot.id === off.id, offGot);

// Feature flags of app-portal tokens.
const names = async (svix) => (await svix.eventType.list()).data.map((e) => e.name).sort();
const beta = new Svix((await admin.authentication.appPortalAccess(app.id, { featureFlags: ["beta"] })).token, opts);
const plain = new Svix((await admin.authentication.appPortalAccess(app.id, { featureFlags: [] })).token, opts);
const seen = [await names(beta), await names(plain)];
check("feature flags", JSON.stringify(seen) === '[["a.made","b.beta"],["a.made"]]', seen);

// Ingest: a source and one of its ingest endpoints, created, read,
// replaced (upsert) and deleted.
const src = await admin.ingest.source.create({ name: "js", uid: "js-github", type: "github", config: { secret: "gh" } });
check("ingest source create", src.id.startsWith("src_") && src.type === "github" && src.ingestUrl?.includes("/ingest/in/"), src);
const srcGot = await admin.ingest.source.get("js-github");
check("ingest source get", srcGot.id === src.id && srcGot.ingestUrl === src.ingestUrl, srcGot);
const srcUp = await admin.ingest.source.upsert(src.id, { name: "js 2", uid: "js-github", type: "github", config: { secret: "gh2" } });
check("ingest source upsert", srcUp.id === src.id && srcUp.name === "js 2" && srcUp.ingestUrl === src.ingestUrl, srcUp);
const iep = await admin.ingest.endpoint.create(src.id, { url: `${input.receiver}/in` });
const iepGot = await admin.ingest.endpoint.get(src.id, iep.id);
check("ingest endpoint create, get", iepGot.id === iep.id && iepGot.url === `${input.receiver}/in`, iepGot);
const iepUp = await admin.ingest.endpoint.upsert(src.id, iep.id, { url: `${input.receiver}/in2` });
check("ingest endpoint upsert", iepUp.id === iep.id && iepUp.url === `${input.receiver}/in2`, iepUp);
await admin.ingest.endpoint.delete(src.id, iep.id);
check("ingest endpoint delete", (await status(admin.ingest.endpoint.get(src.id, iep.id))) === 404);
await admin.ingest.source.delete(src.id);
check("ingest source delete", (await status(admin.ingest.source.get(src.id))) === 404);

process.stdout.write(JSON.stringify({ checks }));
