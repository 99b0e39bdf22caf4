// The App Portal: an application's customers manage their endpoints, read
// the event catalog and the message log, resend and recover, with the
// app-portal token of their link. What the token's capabilities do not
// allow is not shown (the API refuses it all the same).
import {
  Api, applyTheme, barChart, busy, el, enc, endpointState, gate, pretty, q, replace, session, showView, statusBadge, takeLinkToken,
  when,
} from "./ui.js";

const KEY = "hookline.portal";
let api, app, caps;
let catalog = null; // the event types, loaded once
let view, errors;

const can = (c) => caps.has(c);
const A = () => `/api/v1/app/${enc(app.id)}`;
const STATUS = { success: 0, pending: 1, fail: 2, sending: 3 };

start();

async function start() {
  applyTheme(KEY);
  const token = takeLinkToken(KEY);
  if (!token) {
    gate("This page needs a link", "Open the webhook portal through the link your service gave you: it carries your access.");
    return;
  }
  api = new Api(token, expired);
  let who;
  try {
    who = await api.get("/api/v1/auth/whoami");
  } catch (e) {
    if (e.status !== 401) gate("The portal cannot load", e.message);
    return;
  }
  if (!who.appId) {
    gate("This is not a portal link", "This is an admin token, not an application's. The operator dashboard is elsewhere.",
      el("p", {}, el("a", { href: "/dashboard", text: "Open the dashboard" })));
    return;
  }
  caps = new Set(who.capabilities || []);
  try {
    app = await api.get(`/api/v1/app/${enc(who.appId)}`);
  } catch (e) {
    if (e.status !== 401) gate("The portal cannot load", e.message);
    return;
  }
  shell();
  addEventListener("hashchange", route);
  route();
}

// expired replaces the page when the token is refused.
function expired() {
  session.remove(KEY);
  gate("This link has expired", "Portal links work for a limited time, and can be revoked. Go back to the service that " +
    "sent you here and open its webhook portal again: you will get a new link.");
}

function shell() {
  document.title = `Webhooks · ${app.name}`;
  const readOnly = !can("ManageEndpoint") && !can("CreateAttempts") && !can("ManageEndpointSecret");
  view = el("main", { id: "view", tabindex: "-1" });
  errors = el("div", { id: "errors", role: "alert" });
  replace(document.body,
    el("header", { class: "top" },
      el("h1", {}, "Webhooks ", el("span", { class: "muted", text: `· ${app.name}` })),
      el("nav", { class: "tabs", "aria-label": "Portal" },
        el("a", { href: "#/endpoints", "data-tab": "endpoints", text: "Endpoints" }),
        el("a", { href: "#/catalog", "data-tab": "catalog", text: "Event catalog" }),
        el("a", { href: "#/logs", "data-tab": "logs", text: "Message log" })),
      readOnly ? el("span", { class: "badge", id: "read-only", text: "read-only" }) : null),
    errors, view);
}

// route shows the view the fragment names: #/endpoints, #/endpoints/new,
// #/endpoints/{id}, #/endpoints/{id}/edit, #/catalog, #/logs?..., #/messages/{id}.
function route() {
  return showView(view, errors, async (parts, params) => {
    if (parts[0] === "catalog") return catalogView().then(() => "catalog");
    if (parts[0] === "logs") return logsView(params).then(() => "logs");
    if (parts[0] === "messages" && parts[1]) return messageView(parts[1]).then(() => "logs");
    if (parts[0] === "endpoints" && parts[1] === "new") await endpointForm(null);
    else if (parts[0] === "endpoints" && parts[1] && parts[2] === "edit") await endpointForm(parts[1]);
    else if (parts[0] === "endpoints" && parts[1]) await endpointView(parts[1]);
    else await endpointsView();
    return "endpoints";
  });
}

// eventTypes returns the event types the token sees that are not archived;
// with archived, the archived ones too (an endpoint may still receive one).
async function eventTypes(archived = false) {
  if (!catalog) catalog = (await api.get(`/api/v1/event-type${q({ limit: 250, with_content: "true", include_archived: "true" })}`)).data;
  return archived ? catalog : catalog.filter((t) => !t.archived);
}

async function endpointsView() {
  const list = (await api.get(`${A()}/endpoint${q({ limit: 250 })}`)).data;
  const rows = list.map((ep) => el("tr", {},
    el("td", { class: "wrap", "data-label": "URL" }, el("a", { href: `#/endpoints/${enc(ep.id)}`, text: ep.url })),
    el("td", { "data-label": "Description", text: ep.description }),
    el("td", { "data-label": "Event types", text: (ep.filterTypes || []).join(", ") || "all" }),
    el("td", { "data-label": "Status" }, endpointState(ep))));
  replace(view,
    el("div", { class: "row spread" }, el("h2", { text: "Endpoints" }),
      can("ManageEndpoint") ? el("a", { class: "button", href: "#/endpoints/new", id: "add-endpoint", text: "Add endpoint" }) : null),
    list.length === 0
      ? el("p", { class: "muted", text: "No endpoints yet: an endpoint is a URL of yours that receives the events you choose." })
      : el("table", { class: "responsive", id: "endpoints" },
        el("thead", {}, el("tr", {}, ["URL", "Description", "Event types", "Status"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, rows)));
}

// endpointForm creates an endpoint (id null) or edits one.
async function endpointForm(id) {
  const [types, all, ep] = await Promise.all([eventTypes(), eventTypes(true), id ? api.get(`${A()}/endpoint/${enc(id)}`) : null]);
  const chosen = (ep && ep.filterTypes) || [];
  const url = el("input", { type: "url", id: "ep-url", name: "url", required: true, value: ep ? ep.url : "", placeholder: "https://example.com/webhooks" });
  const desc = el("input", { type: "text", id: "ep-description", name: "description", value: ep ? ep.description : "" });
  const channels = el("input", { type: "text", id: "ep-channels", name: "channels", value: ep && ep.channels ? ep.channels.join(", ") : "" });
  const rate = el("input", { type: "number", id: "ep-rate", name: "rate", min: "1", max: "65535", value: ep && ep.throttleRate ? ep.throttleRate : "" });
  const box = (name, note) => el("label", { class: "inline" },
    el("input", { type: "checkbox", name: "eventType", value: name, checked: chosen.includes(name) }), name,
    note ? el("span", { class: "muted", text: ` (${note})` }) : null);
  const live = types.map((t) => t.name);
  // The endpoint's types that have no box in the catalog, archived since or
  // hidden from this token, stay chosen until unchecked.
  const kept = chosen.filter((name) => !live.includes(name));
  const boxes = [...live.map((name) => box(name)),
    ...kept.map((name) => box(name, all.some((t) => t.name === name) ? "archived" : "not in your catalog"))];
  const err = el("div", { role: "alert" });
  const save = el("button", { type: "submit", id: "save-endpoint", text: id ? "Save" : "Create endpoint" });
  const form = el("form", {
    "aria-labelledby": "form-title",
    on: {
      submit: (e) => {
        e.preventDefault();
        busy(save, err, async () => {
          const body = { url: url.value.trim(), description: desc.value };
          const checked = [...form.querySelectorAll("input[name=eventType]:checked")].map((b) => b.value);
          // In the endpoint's order, the types it had first: the API checks
          // the types again only when they change, and refuses archived ones.
          const types = [...chosen.filter((name) => checked.includes(name)), ...checked.filter((name) => !chosen.includes(name))];
          if (types.length) body.filterTypes = types;
          const ch = channels.value.split(",").map((s) => s.trim()).filter(Boolean);
          if (ch.length) body.channels = ch;
          if (rate.value) body.throttleRate = Number(rate.value);
          let out;
          if (id) {
            Object.assign(body, { disabled: ep.disabled, metadata: ep.metadata });
            if (ep.uid) body.uid = ep.uid;
            out = await api.put(`${A()}/endpoint/${enc(id)}`, body);
          } else {
            out = await api.post(`${A()}/endpoint`, body);
          }
          location.hash = `#/endpoints/${enc(out.id)}`;
        });
      },
    },
  },
  el("label", { for: "ep-url", text: "URL" }), url,
  el("p", { class: "hint", text: "Where events are POSTed, signed: https:// in production." }),
  el("label", { for: "ep-description", text: "Description" }), desc,
  el("fieldset", {}, el("legend", { text: "Event types" }),
    el("p", { class: "hint", text: "None chosen: the endpoint receives every event type." }),
    boxes.length ? boxes : el("p", { class: "muted", text: "The catalog has no event types." }),
    kept.length ? el("p", { class: "hint", text: "A type marked archived or not in your catalog stays only while the event types " +
      "are left as they are: to change them, uncheck it too. Once unchecked, it cannot be chosen again." }) : null),
  el("label", { for: "ep-channels", text: "Channels" }), channels,
  el("p", { class: "hint", text: "Comma-separated. When set, only messages on one of these channels are sent." }),
  el("label", { for: "ep-rate", text: "Rate limit (messages per second)" }), rate,
  el("p", { class: "hint", text: "Empty: no limit." }),
  err,
  el("div", { class: "row" }, save, el("a", { href: id ? `#/endpoints/${enc(id)}` : "#/endpoints", text: "Cancel" })));
  replace(view, el("h2", { id: "form-title", text: id ? "Edit endpoint" : "Add an endpoint" }), form);
}

async function endpointView(id) {
  const P = `${A()}/endpoint/${enc(id)}`;
  const ep = await api.get(P);
  const parts = [
    el("h2", { class: "wrap", id: "endpoint-url", text: ep.url }),
    ep.description ? el("p", { text: ep.description }) : null,
    settingsCard(ep, P),
    secretCard(P),
    await headersCard(P),
    await chartCard(P),
    can("CreateAttempts") ? await exampleCard(ep, P) : null,
    can("CreateAttempts") ? recoverCard(P) : null,
    el("section", { class: "card" }, el("h3", { text: "Messages" }),
      el("p", {}, el("a", { href: `#/logs?endpoint=${enc(ep.id)}`, id: "endpoint-log", text: "See the messages sent to this endpoint" }))),
  ];
  replace(view, el("p", {}, el("a", { href: "#/endpoints", text: "← Endpoints" })), parts);
}

function settingsCard(ep, P) {
  const err = el("div", { role: "alert" });
  const rows = [
    ["Status", endpointState(ep)],
    ["Event types", (ep.filterTypes || []).join(", ") || "all"],
    ["Channels", (ep.channels || []).join(", ") || "all messages"],
    ["Rate limit", ep.throttleRate ? `${ep.throttleRate} per second` : "none"],
    ["Id", ep.id],
    ["Created", when(ep.createdAt)],
  ];
  const actions = el("div", { class: "row" });
  if (can("ManageEndpoint")) {
    const toggle = el("button", {
      class: "secondary", id: "toggle-endpoint", text: ep.disabled ? "Enable" : "Disable",
      on: { click: () => busy(toggle, err, async () => { await api.patch(P, { disabled: !ep.disabled }); await route(); }) },
    });
    const del = el("button", {
      class: "danger", id: "delete-endpoint", text: "Delete",
      on: {
        click: () => replace(actions, el("span", { text: "Delete this endpoint? Its log stays." }),
          el("button", {
            class: "danger", id: "confirm-delete", text: "Yes, delete",
            on: { click: (e) => busy(e.target, err, async () => { await api.del(P); location.hash = "#/endpoints"; }) },
          }),
          el("button", { class: "secondary", text: "Cancel", on: { click: () => route() } })),
      },
    });
    actions.append(el("a", { class: "button", href: `#/endpoints/${enc(ep.id)}/edit`, id: "edit-endpoint", text: "Edit" }), toggle, del);
  }
  return el("section", { class: "card", "aria-label": "Settings" },
    el("h3", { text: "Settings" }),
    el("table", {}, el("tbody", {}, rows.map(([k, v]) => el("tr", {}, el("th", { scope: "row", text: k }), el("td", { class: "wrap" }, v))))),
    actions, err);
}

function secretCard(P) {
  const err = el("div", { role: "alert" });
  const shown = el("div", { id: "secret" });
  const body = [el("p", { class: "hint", text: "Your receiver verifies each delivery's signature with this secret." })];
  if (can("ViewEndpointSecret")) {
    const reveal = el("button", {
      class: "secondary", id: "reveal-secret", text: "Reveal",
      on: {
        click: () => busy(reveal, err, async () => {
          const s = await api.get(`${P}/secret`);
          replace(shown, el("code", { class: "wrap", id: "secret-value", text: s.key }));
        }),
      },
    });
    body.push(el("div", { class: "row" }, reveal, shown));
  } else {
    body.push(el("p", { class: "muted", text: "This link does not show signing secrets." }));
  }
  if (can("ManageEndpointSecret")) {
    const rotate = el("button", {
      class: "secondary", id: "rotate-secret", text: "Rotate secret",
      on: {
        click: () => busy(rotate, err, async () => {
          await api.post(`${P}/secret/rotate`, {});
          replace(shown);
          replace(err, el("div", { class: "notice", id: "rotated", text: "Rotated. The previous secret keeps signing beside the new one for a grace period (24 hours by default)." }));
        }),
      },
    });
    body.push(el("div", { class: "row" }, rotate));
  }
  return el("section", { class: "card" }, el("h3", { text: "Signing secret" }), body, err);
}

async function headersCard(P) {
  const h = await api.get(`${P}/headers`);
  const err = el("div", { role: "alert" });
  const manage = can("ManageEndpoint");
  const names = [...Object.keys(h.headers), ...h.sensitive.filter((n) => !(n in h.headers))].sort();
  const rows = names.map((n) => el("tr", {},
    el("td", { class: "wrap", "data-label": "Header", text: n }),
    el("td", { class: "wrap", "data-label": "Value" }, n in h.headers ? h.headers[n] : el("span", { class: "muted", text: "hidden (sensitive)" })),
    manage ? el("td", {}, el("button", {
      class: "secondary", text: "Remove", "aria-label": `Remove ${n}`,
      on: { click: (e) => busy(e.target, err, async () => { await api.patch(`${P}/headers`, { headers: {}, deleteHeaders: [n] }); await route(); }) },
    })) : null));
  let form = null;
  if (manage) {
    const name = el("input", { type: "text", id: "header-name", required: true, placeholder: "X-Example" });
    const value = el("input", { type: "text", id: "header-value", required: true });
    const add = el("button", { type: "submit", id: "add-header", text: "Set header" });
    form = el("form", {
      "aria-label": "Set a header",
      on: {
        submit: (e) => {
          e.preventDefault();
          busy(add, err, async () => { await api.patch(`${P}/headers`, { headers: { [name.value.trim()]: value.value } }); await route(); });
        },
      },
    }, el("div", { class: "grid" },
      el("div", {}, el("label", { for: "header-name", text: "Name" }), name),
      el("div", {}, el("label", { for: "header-value", text: "Value" }), value)), el("div", { class: "row" }, add));
  }
  return el("section", { class: "card" }, el("h3", { text: "Custom headers" }),
    el("p", { class: "hint", text: "Sent with every delivery to this endpoint." }),
    rows.length ? el("table", { class: "responsive", id: "headers" }, el("tbody", {}, rows)) : el("p", { class: "muted", text: "None." }),
    form, err);
}

// chartCard shows the endpoint's deliveries of the last 7 days, a day a
// bar: the messages of each day that succeeded and failed.
async function chartCard(P) {
  const day = 24 * 3600 * 1000;
  const end = new Date(Math.ceil(Date.now() / day) * day);
  const days = [...Array(7).keys()].map((i) => new Date(end.getTime() - (7 - i) * day));
  const title = el("h3", { text: "Deliveries, last 7 days (UTC)" });
  try {
    const stats = await Promise.all(days.map((d) => {
      const until = new Date(Math.min(d.getTime() + day, Date.now()));
      return api.get(`${P}/stats${q({ since: d.toISOString(), until: until.toISOString() })}`);
    }));
    const buckets = stats.map((s, i) => ({ label: days[i].toISOString().slice(5, 10), success: s.success, fail: s.fail }));
    return el("section", { class: "card", id: "chart" }, title, barChart(buckets, "by day"));
  } catch (e) {
    // A clock of this device far from the server's: the rest of the page
    // still works.
    if (e.status === 401) throw e;
    return el("section", { class: "card", id: "chart" }, title, el("p", { class: "muted", text: `No chart: ${e.message}` }));
  }
}

async function exampleCard(ep, P) {
  const types = (await eventTypes()).filter((t) => !ep.filterTypes || ep.filterTypes.includes(t.name));
  const err = el("div", { role: "alert" });
  const select = el("select", { id: "example-type" }, types.map((t) => el("option", { value: t.name, text: t.name })));
  const send = el("button", {
    id: "send-example", text: "Send example", disabled: types.length === 0,
    on: {
      click: () => busy(send, err, async () => {
        const m = await api.post(`${P}/send-example`, { eventType: select.value });
        replace(err, el("div", { class: "notice" }, "Sent: ", el("a", { href: `#/messages/${enc(m.id)}`, text: m.id })));
      }),
    },
  });
  return el("section", { class: "card" }, el("h3", { text: "Send an example" }),
    el("p", { class: "hint", text: "Sends the event type's example payload to this endpoint only." }),
    el("label", { for: "example-type", text: "Event type" }), el("div", { class: "row" }, select, send), err);
}

function recoverCard(P) {
  const err = el("div", { role: "alert" });
  const since = el("input", { type: "datetime-local", id: "recover-since", value: localInput(new Date(Date.now() - 24 * 3600 * 1000)) });
  const go = el("button", {
    id: "recover", text: "Recover",
    on: {
      click: () => busy(go, err, async () => {
        await api.post(`${P}/recover`, { since: new Date(since.value).toISOString() });
        replace(err, el("div", { class: "notice", text: "Every failed message since then is being sent again." }));
      }),
    },
  });
  return el("section", { class: "card" }, el("h3", { text: "Recover failed messages" }),
    el("p", { class: "hint", text: "Sends again every message whose delivery to this endpoint failed since a time (14 days back at most)." }),
    el("label", { for: "recover-since", text: "Since" }), el("div", { class: "row" }, since, go), err);
}

// localInput formats d for a datetime-local input.
function localInput(d) {
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

async function catalogView() {
  const types = await eventTypes();
  const cards = types.map((t) => {
    const schema = newestSchema(t.schemas);
    const example = schema && (Array.isArray(schema.examples) ? schema.examples[0] : schema.example);
    return el("section", { class: "card event-type" },
      el("h3", {}, el("code", { text: t.name }), t.deprecated ? el("span", { class: "badge warn", text: " deprecated" }) : null),
      el("p", { text: t.description || "" }),
      schema ? el("details", {}, el("summary", { text: "Schema" }), el("pre", { text: pretty(schema) })) : el("p", { class: "muted", text: "No schema." }),
      example !== undefined ? el("div", {}, el("h4", { text: "Example payload" }), el("pre", { class: "example", text: pretty(example) })) : null);
  });
  replace(view, el("h2", { text: "Event catalog" }),
    el("p", { class: "hint", text: "The events your endpoints can receive." }),
    cards.length ? cards : el("p", { class: "muted", text: "No event types yet." }));
}

// newestSchema returns the schema of the newest version in schemas, which
// map versions ("1", "2") to JSON schemas.
function newestSchema(schemas) {
  if (!schemas || typeof schemas !== "object") return null;
  const v = Object.keys(schemas).sort((a, b) => a.length - b.length || (a < b ? -1 : 1)).pop();
  return v === undefined ? null : schemas[v];
}

// logsView lists messages: the application's (filtered by event type and
// time), or an endpoint's (by status too), newest first.
async function logsView(params) {
  const [endpoints, types] = await Promise.all([api.get(`${A()}/endpoint${q({ limit: 250 })}`).then((r) => r.data), eventTypes()]);
  const f = {
    endpoint: params.get("endpoint") || "", status: params.get("status") || "", type: params.get("type") || "",
    after: params.get("after") || "", before: params.get("before") || "", iterator: params.get("iterator") || "",
  };
  const epSel = el("select", { id: "log-endpoint" }, el("option", { value: "", text: "All endpoints" }),
    endpoints.map((e) => el("option", { value: e.id, text: e.url, selected: e.id === f.endpoint })));
  const stSel = el("select", { id: "log-status", disabled: !f.endpoint },
    ["", "success", "fail", "pending", "sending"].map((s) => el("option", { value: s, text: s || "Any status", selected: s === f.status })));
  const tySel = el("select", { id: "log-type" }, el("option", { value: "", text: "Any event type" }),
    types.map((t) => el("option", { value: t.name, text: t.name, selected: t.name === f.type })));
  const after = el("input", { type: "datetime-local", id: "log-after", value: f.after ? localInput(new Date(f.after)) : "" });
  const before = el("input", { type: "datetime-local", id: "log-before", value: f.before ? localInput(new Date(f.before)) : "" });
  epSel.addEventListener("change", () => { stSel.disabled = !epSel.value; });
  const form = el("form", {
    class: "grid", "aria-label": "Filters",
    on: {
      submit: (e) => {
        e.preventDefault();
        location.hash = `#/logs${q({
          endpoint: epSel.value, status: epSel.value ? stSel.value : "", type: tySel.value,
          after: after.value ? new Date(after.value).toISOString() : "", before: before.value ? new Date(before.value).toISOString() : "",
        })}`;
      },
    },
  },
  el("div", {}, el("label", { for: "log-endpoint", text: "Endpoint" }), epSel),
  el("div", {}, el("label", { for: "log-status", text: "Status" }), stSel,
    el("p", { class: "hint", text: "Of the delivery to one endpoint: choose one first." })),
  el("div", {}, el("label", { for: "log-type", text: "Event type" }), tySel),
  el("div", {}, el("label", { for: "log-after", text: "After" }), after),
  el("div", {}, el("label", { for: "log-before", text: "Before" }), before),
  el("div", { class: "row" }, el("button", { type: "submit", id: "apply-filters", text: "Apply" })));

  const common = { limit: 50, event_types: f.type, after: f.after, before: f.before, iterator: f.iterator };
  const err = el("div", { role: "alert" });
  let page, rows;
  if (f.endpoint) {
    page = await api.get(`${A()}/endpoint/${enc(f.endpoint)}/msg${q({ ...common, status: f.status ? STATUS[f.status] : "" })}`);
    rows = page.data.map((m) => el("tr", {},
      el("td", { "data-label": "Time", text: when(m.timestamp) }),
      el("td", { "data-label": "Event type" }, el("code", { text: m.eventType })),
      el("td", { class: "wrap", "data-label": "Message" }, el("a", { href: `#/messages/${enc(m.id)}`, text: m.id })),
      el("td", { "data-label": "Status" }, statusBadge(m.statusText)),
      can("CreateAttempts") ? el("td", {}, resendButton(m.id, f.endpoint, err)) : null));
  } else {
    page = await api.get(`${A()}/msg${q(common)}`);
    rows = page.data.map((m) => el("tr", {},
      el("td", { "data-label": "Time", text: when(m.timestamp) }),
      el("td", { "data-label": "Event type" }, el("code", { text: m.eventType })),
      el("td", { class: "wrap", "data-label": "Message" }, el("a", { href: `#/messages/${enc(m.id)}`, text: m.id }))));
  }
  const more = page.done ? null : el("a", {
    class: "button secondary", id: "older",
    href: `#/logs${q({ ...Object.fromEntries(Object.entries(f).filter(([k]) => k !== "iterator").map(([k, v]) => [k, v])), iterator: page.iterator })}`,
    text: "Older",
  });
  replace(view, el("h2", { text: "Message log" }), form, err,
    rows.length
      ? el("table", { class: "responsive", id: "log" },
        el("thead", {}, el("tr", {}, ["Time", "Event type", "Message", f.endpoint ? "Status" : null, f.endpoint && can("CreateAttempts") ? "" : null]
          .filter((h) => h !== null).map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, rows))
      : el("p", { class: "muted", id: "log-empty", text: "No messages match." }),
    more);
}

function resendButton(msgID, endpointID, err) {
  return el("button", {
    class: "secondary resend", text: "Resend", "aria-label": `Resend ${msgID}`,
    on: {
      click: (e) => busy(e.target, err, async () => {
        await api.post(`${A()}/msg/${enc(msgID)}/endpoint/${enc(endpointID)}/resend`);
        replace(err, el("div", { class: "notice", text: "Resent: a new attempt is on its way." }));
      }),
    },
  });
}

async function messageView(id) {
  const M = `${A()}/msg/${enc(id)}`;
  const [msg, dests, attempts] = await Promise.all([
    api.get(M), api.get(`${M}/endpoint${q({ limit: 50 })}`), api.get(`${A()}/attempt/msg/${enc(id)}${q({ limit: 50 })}`),
  ]);
  const err = el("div", { role: "alert" });
  const destRows = dests.data.map((d) => el("tr", {},
    el("td", { class: "wrap", "data-label": "Endpoint" }, el("a", { href: `#/endpoints/${enc(d.id)}`, text: d.url })),
    el("td", { "data-label": "Status" }, statusBadge(d.statusText)),
    el("td", { "data-label": "Next attempt", text: d.nextAttempt ? when(d.nextAttempt) : "" }),
    can("CreateAttempts") ? el("td", {}, resendButton(msg.id, d.id, err)) : null));
  const attemptCards = attempts.data.map((a) => el("section", { class: "card attempt" },
    el("div", { class: "row spread" },
      el("span", {}, statusBadge(a.statusText), " ", el("strong", { class: "status-code", text: a.responseStatusCode ? `HTTP ${a.responseStatusCode}` : "no response" })),
      el("span", { class: "muted", text: `${when(a.timestamp)} · ${a.responseDurationMs} ms · ${a.triggerType === 1 ? "manual" : "scheduled"}` })),
    el("p", { class: "wrap muted", text: a.url }),
    el("details", {}, el("summary", { text: "Request body" }), el("pre", { class: "request", text: pretty(msg.payload) })),
    el("details", { open: true }, el("summary", { text: "Response body" }), el("pre", { class: "response", text: a.response || "(empty)" }))));
  replace(view,
    el("p", {}, el("a", { href: "#/logs", text: "← Message log" })),
    el("div", { class: "row spread" }, el("h2", { class: "wrap", text: `Message ${msg.id}` }),
      el("button", { class: "secondary", id: "refresh", text: "Refresh", on: { click: () => route() } })),
    el("p", {}, el("code", { text: msg.eventType }), " · ", when(msg.timestamp), msg.eventId ? ` · event id ${msg.eventId}` : ""),
    el("h3", { text: "Payload" }), el("pre", { id: "payload", text: pretty(msg.payload) }),
    el("h3", { text: "Destinations" }), err,
    destRows.length ? el("table", { class: "responsive", id: "destinations" }, el("tbody", {}, destRows)) : el("p", { class: "muted", text: "No endpoint gets this message." }),
    el("h3", { text: `Attempts (${attempts.data.length})` }),
    el("div", { id: "attempts" }, attemptCards.length ? attemptCards : el("p", { class: "muted", text: "No attempt yet." })));
}
