// The operator's dashboard: the server at a glance (attempts of the last
// hour, the queue, the endpoints failing now, the deliveries that failed
// for good), the applications with their endpoints' health, messages and
// attempts, the event types, the operational webhook endpoints, and the
// inbound gateway's sources with what they received and the attempts it
// led to. It signs in with an admin token, kept for the tab's session
// only.
import {
  Api, applyTheme, barChart, busy, disabledWhy, el, enc, endpointState, pretty, q, replace, session, showView, statusBadge, when,
} from "./ui.js";

const KEY = "hookline.dashboard";
let api, view, errors;

start();

async function start() {
  applyTheme(KEY);
  const token = session.get(KEY);
  if (!token) {
    signIn();
    return;
  }
  api = new Api(token, () => signIn("The token was refused: it expired or was revoked."));
  try {
    const who = await api.get("/api/v1/auth/whoami");
    if (who.appId) {
      signIn("This token is an application's, not an admin token: open that application's portal link instead.");
      return;
    }
  } catch (e) {
    if (e.status !== 401) signIn(e.message);
    return;
  }
  shell();
  addEventListener("hashchange", route);
  route();
}

// signIn asks for an admin token; problem says why, when it was asked again.
function signIn(problem) {
  session.remove(KEY);
  document.title = "Sign in · Hookline";
  const input = el("input", { type: "password", id: "admin-token", autocomplete: "off", required: true, spellcheck: "false" });
  const err = el("div", { role: "alert" }, problem ? el("div", { class: "alert", text: problem }) : null);
  const form = el("form", {
    "aria-labelledby": "sign-in-title",
    on: {
      submit: (e) => {
        e.preventDefault();
        session.set(KEY, input.value.trim());
        location.hash = "#/";
        location.reload();
      },
    },
  },
  el("label", { for: "admin-token", text: "Admin token" }), input,
  el("p", { class: "hint", text: "The token `hookline serve` printed on its first start, HOOKLINE_ADMIN_TOKEN, or one of `hookline token`. It stays in this tab only." }),
  err, el("div", { class: "row" }, el("button", { type: "submit", id: "sign-in", text: "Sign in" })));
  replace(document.body, el("main", { class: "gate" }, el("h1", { id: "sign-in-title", text: "Hookline dashboard" }), form));
  input.focus();
}

function shell() {
  document.title = "Hookline dashboard";
  view = el("main", { id: "view", tabindex: "-1" });
  errors = el("div", { role: "alert" });
  replace(document.body,
    el("header", { class: "top" },
      el("h1", { text: "Hookline" }),
      el("nav", { class: "tabs", "aria-label": "Dashboard" },
        el("a", { href: "#/", "data-tab": "", text: "Overview" }),
        el("a", { href: "#/apps", "data-tab": "apps", text: "Applications" }),
        el("a", { href: "#/event-types", "data-tab": "event-types", text: "Event types" }),
        el("a", { href: "#/operational", "data-tab": "operational", text: "Operational webhooks" }),
        el("a", { href: "#/sources", "data-tab": "sources", text: "Sources" })),
      el("button", {
        class: "secondary", id: "sign-out", text: "Sign out",
        on: { click: () => { session.remove(KEY); location.hash = ""; location.reload(); } },
      })),
    errors, view);
}

// route shows the view the fragment names: #/ (the overview), #/apps?search=,
// #/apps/{id}, #/event-types, #/operational, #/sources, #/sources/{id}.
function route() {
  return showView(view, errors, async (parts, params) => {
    if (parts[0] === "apps" && parts[1]) await appView(parts[1]);
    else if (parts[0] === "apps") await appsView(params.get("search") || "");
    else if (parts[0] === "event-types") await eventTypesView();
    else if (parts[0] === "operational") await operationalView();
    else if (parts[0] === "sources" && parts[1]) await sourceView(parts[1]);
    else if (parts[0] === "sources") await sourcesView();
    else await overviewView();
    return ["apps", "event-types", "operational", "sources"].includes(parts[0]) ? parts[0] : "";
  });
}

function stat(label, value, cls, id) {
  return el("div", { class: "stat", id }, el("div", { class: `n ${cls || ""}`, text: String(value) }), el("div", { class: "muted", text: label }));
}

// recoverButton sends again every failed message to the endpoint since a
// time (recover, as the API does it).
function recoverButton(appID, endpointID, since, err, label = "Recover") {
  return el("button", {
    class: "secondary recover", text: label, "aria-label": `${label}: send again what failed to ${endpointID} since ${when(since)}`,
    on: {
      click: (e) => busy(e.target, err, async () => {
        await api.post(`/api/v1/app/${enc(appID)}/endpoint/${enc(endpointID)}/recover`, { since: new Date(new Date(since).getTime() - 1000).toISOString() });
        replace(err, el("div", { class: "notice", text: `Recovering: what failed to ${endpointID} since ${when(since)} is being sent again.` }));
      }),
    },
  });
}

// portalButton opens the application's portal in a new tab, with a new
// app-portal link.
function portalButton(appID, err) {
  return el("button", {
    class: "secondary open-portal", text: "Open portal",
    on: {
      click: (e) => busy(e.target, err, async () => {
        const access = await api.post(`/api/v1/auth/app-portal-access/${enc(appID)}`, {});
        window.open(access.url, "_blank", "noopener");
      }),
    },
  });
}

// heldBack says how many deliveries of a failing endpoint (as
// /api/v1/overview/failing-endpoint lists it) wait without an attempt for
// its circuit breaker or a limit; "" when none do.
function heldBack(f) {
  return f.held ? `${f.held} held back by its circuit breaker or a limit` : "";
}

function appLink(appID) {
  return el("a", { href: `#/apps/${enc(appID)}`, text: appID });
}

async function overviewView() {
  const o = await api.get("/api/v1/overview");
  const total = o.success + o.fail;
  const rate = total ? `${((100 * o.fail) / total).toFixed(1)} %` : "–";
  const buckets = o.attempts.map((a) => ({ label: new Date(a.start).toTimeString().slice(0, 5), success: a.success, fail: a.fail }));
  const err = el("div", { role: "alert" });
  const failing = o.failingEndpoints.map((f) => el("tr", {},
    el("td", { "data-label": "Application" }, appLink(f.appId)),
    el("td", { class: "wrap", "data-label": "Endpoint", text: f.url }),
    el("td", { "data-label": "Failing since", text: when(f.failingSince) }),
    el("td", { "data-label": "State" }, f.disabled ? endpointState(f) : el("span", { class: "badge fail", text: "failing" }),
      f.held ? el("div", { class: "held warn", text: heldBack(f) }) : null),
    el("td", {}, recoverButton(f.appId, f.id, f.failingSince, err))));
  const exhausted = o.exhausted.map((d) => el("tr", {},
    el("td", { "data-label": "Application" }, appLink(d.appId)),
    el("td", { class: "wrap", "data-label": "Endpoint", text: d.endpointUrl }),
    el("td", { class: "wrap", "data-label": "Message" }, el("code", { text: d.msgId })),
    el("td", { "data-label": "Failed at", text: when(d.failedAt) }),
    el("td", {}, recoverButton(d.appId, d.endpointId, d.createdAt, err))));
  replace(view,
    el("div", { class: "row spread" }, el("h2", { text: "Overview" }),
      el("button", { class: "secondary", id: "refresh", text: "Refresh", on: { click: () => route() } })),
    el("h3", { text: "The last hour" }),
    el("div", { class: "grid" },
      stat("attempts", total, "", "stat-attempts"), stat("succeeded", o.success, "ok", "stat-success"),
      stat("failed", o.fail, "bad", "stat-fail"), stat("failure rate", rate, o.fail ? "bad" : "", "stat-rate")),
    barChart(buckets, "attempts a minute"),
    el("h3", { text: "Queue" }),
    el("div", { class: "grid" },
      stat("pending", o.queue.pending, "", "queue-pending"), stat("sending", o.queue.sending, "", "queue-sending"),
      stat("held (breaker or limits)", o.queue.held, o.queue.held ? "warn" : "", "queue-held"),
      stat("failed, to recover", o.queue.failed, o.queue.failed ? "bad" : "", "queue-failed")),
    el("h3", { text: "Endpoints failing now" }), err,
    failing.length ? el("table", { class: "responsive", id: "failing" },
      el("thead", {}, el("tr", {}, ["Application", "Endpoint", "Failing since", "State", ""].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, failing)) : el("p", { class: "muted", id: "no-failing", text: "None: every endpoint's last attempt succeeded." }),
    el("h3", { text: "Deliveries that failed for good" }),
    exhausted.length ? el("table", { class: "responsive", id: "exhausted" },
      el("thead", {}, el("tr", {}, ["Application", "Endpoint", "Message", "Failed at", ""].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, exhausted)) : el("p", { class: "muted", text: "None." }));
}

async function appsView(search) {
  const input = el("input", { type: "search", id: "app-search", value: search, placeholder: "app_…, a uid or a name" });
  const form = el("form", {
    role: "search", "aria-label": "Find an application",
    on: { submit: (e) => { e.preventDefault(); location.hash = `#/apps${q({ search: input.value.trim() })}`; } },
  }, el("label", { for: "app-search", text: "Find an application by id, uid or name" }),
  el("div", { class: "row" }, input, el("button", { type: "submit", id: "find-apps", text: "Find" })));
  const apps = search
    ? (await api.get(`/api/v1/overview/app${q({ search })}`)).data
    : (await api.get(`/api/v1/app${q({ limit: 50, order: "descending" })}`)).data;
  const err = el("div", { role: "alert" });
  const rows = apps.map((a) => el("tr", {},
    el("td", { "data-label": "Name" }, el("a", { href: `#/apps/${enc(a.id)}`, text: a.name })),
    el("td", { "data-label": "Uid", text: a.uid || "" }),
    el("td", { class: "wrap", "data-label": "Id" }, el("code", { text: a.id })),
    el("td", { "data-label": "Created", text: when(a.createdAt) }),
    el("td", {}, portalButton(a.id, err))));
  replace(view, el("h2", { text: "Applications" }), form, err,
    el("p", { class: "hint", text: search ? `Matching “${search}”:` : "The newest applications:" }),
    rows.length ? el("table", { class: "responsive", id: "apps" },
      el("thead", {}, el("tr", {}, ["Name", "Uid", "Id", "Created", ""].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows)) : el("p", { class: "muted", text: "No application matches." }));
  if (!search) input.focus();
}

async function appView(id) {
  const A = `/api/v1/app/${enc(id)}`;
  const app = await api.get(A);
  const [endpoints, failing, msgs] = await Promise.all([
    api.get(`${A}/endpoint${q({ limit: 250 })}`).then((r) => r.data),
    api.get(`/api/v1/overview/failing-endpoint${q({ app_id: app.id, limit: 250 })}`).then((r) => r.data),
    api.get(`${A}/msg${q({ limit: 25, with_content: "false" })}`).then((r) => r.data),
  ]);
  const failingNow = new Map(failing.map((f) => [f.id, f]));
  const err = el("div", { role: "alert" });
  const epRows = endpoints.map((ep) => {
    const f = failingNow.get(ep.id);
    const since = f && f.failingSince;
    const why = disabledWhy(ep);
    const parts = [];
    if (ep.disabled) parts.push(why ? `disabled: ${why}` : "disabled");
    if (since) parts.push(`failing since ${when(since)}`);
    if (f && f.held) parts.push(heldBack(f));
    const health = parts.join(" · ") || "healthy";
    return el("tr", { "data-endpoint": ep.id },
      el("td", { class: "wrap", "data-label": "Endpoint" }, ep.url, el("div", { class: "muted" }, el("code", { text: ep.id }))),
      el("td", { "data-label": "Event types", text: (ep.filterTypes || []).join(", ") || "all" }),
      el("td", { class: since || ep.disabled ? "bad health" : "ok health", "data-label": "Health", text: health }),
      el("td", {}, since ? recoverButton(app.id, ep.id, since, err) : null));
  });
  const msgRows = msgs.map((m) => lazyDetails(
    el("summary", {}, el("code", { text: m.eventType }), ` · ${when(m.timestamp)} · `, el("code", { text: m.id })),
    async () => attemptsTable((await api.get(`${A}/attempt/msg/${enc(m.id)}${q({ limit: 50 })}`)).data)));
  replace(view,
    el("p", {}, el("a", { href: "#/apps", text: "← Applications" })),
    el("div", { class: "row spread" }, el("h2", { id: "app-name", text: app.name }), portalButton(app.id, err)),
    el("p", { class: "muted" }, el("code", { text: app.id }), app.uid ? ` · uid ${app.uid}` : "", ` · created ${when(app.createdAt)}`),
    err,
    el("h3", { text: "Endpoints" }),
    epRows.length ? el("table", { class: "responsive", id: "app-endpoints" },
      el("thead", {}, el("tr", {}, ["Endpoint", "Event types", "Health", ""].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, epRows)) : el("p", { class: "muted", text: "No endpoints." }),
    el("p", { class: "hint", text: "A failing endpoint's circuit breaker opens after 5 failed attempts in a row: its deliveries are then held back, without an attempt, until it lets a probe through." }),
    el("h3", { text: "Latest messages" }),
    msgRows.length ? el("div", { id: "app-messages" }, msgRows) : el("p", { class: "muted", text: "No messages." }));
}

// lazyDetails returns a <details> with summary, whose content load returns
// (nodes) the first time it is opened; it says what went wrong, if that
// fails.
function lazyDetails(summary, load, ...before) {
  const box = el("div", { class: "attempts" }, el("p", { class: "muted", text: "Loading…" }));
  const d = el("details", {
    on: {
      toggle: async () => {
        if (!d.open || d.dataset.loaded) return;
        d.dataset.loaded = "1";
        try {
          replace(box, await load());
        } catch (e) {
          replace(box, el("div", { class: "alert", text: e.message }));
        }
      },
    },
  }, summary, before, box);
  return d;
}

// attemptsTable shows attempts as /api/v1 lists them: each with its status,
// its response's status, its URL (or action:NAME), when and how long, and
// the response (an action's output).
function attemptsTable(list) {
  if (!list.length) return el("p", { class: "muted", text: "No attempt." });
  return el("table", {}, el("tbody", {}, list.map((a) => {
    const action = a.url.startsWith("action:");
    return el("tr", { class: "attempt" },
      el("td", {}, statusBadge(a.statusText)),
      el("td", { text: a.responseStatusCode ? `HTTP ${a.responseStatusCode}` : action ? "a command" : "no response" }),
      el("td", { class: "wrap", text: a.url }),
      el("td", { text: `${when(a.timestamp)} · ${a.responseDurationMs} ms` }),
      el("td", {}, el("details", { class: "response" }, el("summary", { text: action ? "output" : "response" }),
        el("pre", { text: a.response || "(empty)" }))));
  })));
}

async function eventTypesView() {
  const types = (await api.get(`/api/v1/event-type${q({ limit: 250, with_content: "true", include_archived: "true" })}`)).data;
  replace(view, el("h2", { text: "Event types" }),
    types.length ? el("table", { class: "responsive", id: "event-types" },
      el("thead", {}, el("tr", {}, ["Name", "Description", "State", "Schema"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, types.map((t) => el("tr", {},
        el("td", { "data-label": "Name" }, el("code", { text: t.name })),
        el("td", { "data-label": "Description", text: t.description }),
        el("td", { "data-label": "State", text: t.archived ? "archived" : t.deprecated ? "deprecated" : "active" }),
        el("td", {}, t.schemas ? el("details", {}, el("summary", { text: "schema" }), el("pre", { text: pretty(t.schemas) })) : "–")))))
      : el("p", { class: "muted", text: "No event types." }));
}

async function operationalView() {
  const eps = (await api.get(`/api/v1/operational-webhook/endpoint${q({ limit: 250 })}`)).data;
  replace(view, el("h2", { text: "Operational webhooks" }),
    el("p", { class: "hint", text: "Endpoints of yours that receive Hookline's events about endpoints and deliveries (endpoint.disabled, message.attempt.exhausted…)." }),
    eps.length ? el("table", { class: "responsive", id: "operational" },
      el("thead", {}, el("tr", {}, ["URL", "Events", "State"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, eps.map((e) => el("tr", {},
        el("td", { class: "wrap", "data-label": "URL", text: e.url }),
        el("td", { "data-label": "Events", text: (e.filterTypes || []).join(", ") || "all" }),
        el("td", { "data-label": "State" }, endpointState(e))))))
      : el("p", { class: "muted", text: "None." }));
}

async function sourcesView() {
  const sources = (await api.get(`/ingest/api/v1/source${q({ limit: 250 })}`)).data;
  replace(view, el("h2", { text: "Sources" }),
    el("p", { class: "hint", text: "The inbound gateway: a source receives a provider's webhooks at its ingest URL, verifies and de-duplicates them, and forwards them to its ingest endpoints (URLs, or actions of the --actions file)." }),
    sources.length ? el("table", { class: "responsive", id: "sources" },
      el("thead", {}, el("tr", {}, ["Name", "Type", "Id", "Created"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, sources.map((src) => el("tr", {},
        el("td", { "data-label": "Name" }, el("a", { href: `#/sources/${enc(src.id)}`, text: src.name })),
        el("td", { "data-label": "Type", text: src.type }),
        el("td", { class: "wrap", "data-label": "Id" }, el("code", { text: src.id })),
        el("td", { "data-label": "Created", text: when(src.createdAt) })))))
      : el("p", { class: "muted", text: "No sources." }));
}

// OUTCOME is the badge of what became of a received request.
const OUTCOME = { accepted: "success", refused: "fail", duplicate: "pending", challenge: "pending" };

async function sourceView(id) {
  const S = `/ingest/api/v1/source/${enc(id)}`;
  const src = await api.get(S);
  const [endpoints, log] = await Promise.all([
    api.get(`${S}/endpoint${q({ limit: 250 })}`).then((r) => r.data),
    api.get(`${S}/log${q({ limit: 25 })}`).then((r) => r.data),
  ]);
  const received = log.map((r) => lazyDetails(
    el("summary", {}, el("span", { class: `badge ${OUTCOME[r.outcome] || ""}`, text: r.outcome }),
      ` HTTP ${r.status_code} · ${when(r.created_at)} · from ${r.remote_addr}`, r.delivery_id ? [" · ", el("code", { text: r.delivery_id })] : null),
    async () => r.msg_id ? attemptsTable((await api.get(`${S}/attempt/msg/${enc(r.msg_id)}${q({ limit: 50 })}`)).data)
      : el("p", { class: "muted", text: "Not forwarded." }),
    r.error_text ? el("div", { class: "alert", text: r.error_text }) : null,
    el("h4", { text: "Headers" }),
    el("pre", { class: "headers", text: Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`).join("\n") || "(none)" }),
    el("h4", { text: "Payload" }), el("pre", { class: "payload", text: pretty(r.payload) || "(empty)" }),
    el("h4", { text: "Attempts" })));
  replace(view,
    el("p", {}, el("a", { href: "#/sources", text: "← Sources" })),
    el("h2", { id: "source-name", text: src.name }),
    el("p", { class: "muted" }, el("code", { text: src.id }), ` · ${src.type} · created ${when(src.createdAt)}`),
    src.ingestUrl ? el("p", { class: "wrap" }, "Ingest URL: ", el("code", { text: src.ingestUrl })) : null,
    el("h3", { text: "Ingest endpoints" }),
    endpoints.length ? el("table", { class: "responsive", id: "source-endpoints" },
      el("thead", {}, el("tr", {}, ["Endpoint", "Description", "State"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, endpoints.map((ep) => el("tr", { "data-endpoint": ep.id },
        el("td", { class: "wrap", "data-label": "Endpoint" }, ep.url, el("div", { class: "muted" }, el("code", { text: ep.id }))),
        el("td", { "data-label": "Description", text: ep.description }),
        el("td", { "data-label": "State" }, endpointState(ep))))))
      : el("p", { class: "muted", text: "No ingest endpoints: what it receives goes nowhere." }),
    el("h3", { text: "Received" }),
    el("p", { class: "hint", text: "The latest requests, newest first; open one for its headers, payload and the attempts it led to, each with its response (an action's output)." }),
    received.length ? el("div", { id: "received" }, received) : el("p", { class: "muted", text: "Nothing received yet." }));
}
