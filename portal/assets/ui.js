// What the App Portal and the dashboard share: building DOM nodes, whose
// every value is text (never HTML: the pages run under Trusted Types, so
// handing a string to a sink that parses HTML would throw), calling /api/v1 with
// the page's token, keeping that token for the tab's session, the theme,
// and a bar chart.

// el returns a new element. props: class, text, on (event handlers), and
// attributes (a value of false or null leaves the attribute out). Children
// are nodes or strings; strings become text nodes.
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  setProps(e, props);
  append(e, children);
  return e;
}

// svg returns a new SVG element with attributes and children.
export function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  setProps(e, attrs);
  append(e, children);
  return e;
}

function setProps(e, props) {
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") e.textContent = String(v);
    else if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k === "value") e.value = v;
    else if (k === "checked") e.checked = !!v;
    else e.setAttribute(k === "class" ? "class" : k, v === true ? "" : String(v));
  }
}

function append(e, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace empties node and appends children.
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

// ApiError is an answer of /api/v1 that is not a success: its status, and
// the code and detail of its Svix error body.
export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

// Api calls /api/v1 of this server with a bearer token. onUnauthorized is
// called when the token is refused (401): expired, revoked or unknown.
export class Api {
  constructor(token, onUnauthorized) {
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  async call(method, path, body) {
    const init = { method, headers: { authorization: `Bearer ${this.token}` }, cache: "no-store" };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!res.ok) {
      if (res.status === 401 && this.onUnauthorized) this.onUnauthorized();
      const detail = data && (typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail));
      throw new ApiError(res.status, data && data.code, detail);
    }
    return data;
  }

  get(path) { return this.call("GET", path); }
  post(path, body) { return this.call("POST", path, body === undefined ? {} : body); }
  put(path, body) { return this.call("PUT", path, body); }
  patch(path, body) { return this.call("PATCH", path, body); }
  del(path) { return this.call("DELETE", path); }
}

// q builds a query string from the set values of params.
export function q(params) {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    for (const item of Array.isArray(v) ? v : [v]) s.append(k, item);
  }
  const out = s.toString();
  return out ? `?${out}` : "";
}

// enc encodes a path segment.
export const enc = encodeURIComponent;

// session is the tab's sessionStorage, or a map in memory where storage is
// refused (a third-party iframe whose storage the browser blocks).
const memory = new Map();
export const session = {
  get(k) {
    try { return sessionStorage.getItem(k); } catch { return memory.get(k) ?? null; }
  },
  set(k, v) {
    try { sessionStorage.setItem(k, v); } catch { memory.set(k, v); }
  },
  remove(k) {
    try { sessionStorage.removeItem(k); } catch { memory.delete(k); }
  },
};

// fragmentParams returns the key=value pairs of the page's fragment
// (#token=…&theme=dark); none when it names a view (#/logs).
function fragmentParams() {
  const h = location.hash.slice(1);
  return new URLSearchParams(h.includes("=") && !h.startsWith("/") ? h : "");
}

// linkParams returns the parameters of the page's link: those of its query
// string, and those of its fragment, which win.
export function linkParams() {
  const p = new URLSearchParams(location.search);
  for (const [k, v] of fragmentParams()) p.set(k, v);
  return p;
}

// takeLinkToken keeps the token of the link's fragment (#token=...) for the
// tab's session under key, removes the fragment from the address bar (and
// from the history), and returns the token: the link's, or the one kept
// earlier in this tab. A token in the query string is never taken: it
// travelled in the request line, so it is only removed from the address
// bar.
export function takeLinkToken(key) {
  const search = new URLSearchParams(location.search);
  const t = fragmentParams().get("token");
  if (t) {
    session.set(key, t);
    const p = linkParams();
    for (const k of ["darkMode", "theme", "primaryColor", "primaryColorLight", "primaryColorDark"]) {
      if (p.has(k)) session.set(`${key}.${k}`, p.get(k));
    }
  }
  if (t || search.has("token")) {
    search.delete("token");
    const rest = search.toString();
    history.replaceState(null, "", location.pathname + (rest ? `?${rest}` : "") + (t ? "" : location.hash));
  }
  return session.get(key);
}

// applyTheme sets the theme the link chose (darkMode=true, or theme=dark or
// light; the system's preference otherwise) and its primary colour
// (primaryColor, or primaryColorDark/primaryColorLight for one theme: a
// hex colour, with or without #). A value that is not one is ignored.
export function applyTheme(key) {
  const p = linkParams();
  const get = (k) => p.get(k) ?? session.get(`${key}.${k}`);
  let dark = matchMedia("(prefers-color-scheme: dark)").matches;
  const mode = get("darkMode"), theme = get("theme");
  if (mode === "true" || theme === "dark") dark = true;
  if (mode === "false" || theme === "light") dark = false;
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  const colour = get(dark ? "primaryColorDark" : "primaryColorLight") || get("primaryColor");
  const m = colour && /^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$/.exec(colour);
  if (m) {
    const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join("") : m[1];
    document.documentElement.style.setProperty("--primary", `#${hex}`);
    document.documentElement.style.setProperty("--on-primary", onPrimary(hex));
  }
}

// onPrimary returns the colour of text on the colour hex: black or white,
// whichever contrasts more with it. One of the two always reaches 4.5:1 (at
// the crossover, a luminance of about 0.18, both are 4.58:1).
function onPrimary(hex) {
  const l = luminance(hex);
  return (1 + 0.05) / (l + 0.05) >= (l + 0.05) / (0 + 0.05) ? "#ffffff" : "#000000";
}

function luminance(hex) {
  const c = [0, 2, 4].map((i) => {
    const v = parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

// when formats an API time for people, in their time zone.
export function when(s) {
  if (!s) return "";
  const d = new Date(s);
  return isNaN(d) ? String(s) : d.toLocaleString();
}

// pretty formats JSON for reading: indented when it parses, as it is when not.
export function pretty(v) {
  if (typeof v === "string") {
    try {
      return JSON.stringify(JSON.parse(v), null, 2);
    } catch {
      return v;
    }
  }
  return JSON.stringify(v, null, 2);
}

// statusBadge shows a delivery or attempt status (success, fail, pending,
// sending).
export function statusBadge(text) {
  return el("span", { class: `badge ${text}`, text });
}

// disabledWhy says why and since when an endpoint, as /api/v1 shows it, is
// disabled ("gone (410) since …"), from its disabledReason and disabledAt;
// "" when it is enabled, or disabled for a reason the server did not record.
export function disabledWhy(ep) {
  const why = ep.disabled && { manual: "by hand", gone: "gone (410)", failing: "failing too long" }[ep.disabledReason];
  if (!why) return "";
  return ep.disabledAt ? `${why} since ${when(ep.disabledAt)}` : why;
}

// endpointState shows whether an endpoint is enabled, or disabled and why.
export function endpointState(ep) {
  if (!ep.disabled) return el("span", { class: "badge success", text: "enabled" });
  const why = disabledWhy(ep);
  return el("span", { class: "endpoint-state" }, statusBadge("disabled"),
    why ? el("span", { class: "disabled-why muted", text: ` ${why}` }) : null);
}

// busy runs fn while button is disabled, and shows what went wrong in
// errorBox (an element with role=alert).
export async function busy(button, errorBox, fn) {
  if (button) button.disabled = true;
  replace(errorBox);
  try {
    return await fn();
  } catch (e) {
    replace(errorBox, el("div", { class: "alert", text: e.message || String(e) }));
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// barChart draws stacked bars of success and failure counts: buckets are
// {label, success, fail}. It is an SVG with a text summary for screen
// readers.
export function barChart(buckets, title) {
  const w = 600, h = 140, pad = 18, n = Math.max(buckets.length, 1);
  const top = Math.max(1, ...buckets.map((b) => b.success + b.fail));
  const bw = (w - 2 * pad) / n;
  const bars = [];
  buckets.forEach((b, i) => {
    const x = pad + i * bw + bw * 0.1;
    const hs = ((h - 2 * pad) * b.success) / top, hf = ((h - 2 * pad) * b.fail) / top;
    const sum = `${b.label}: ${b.success} succeeded, ${b.fail} failed`;
    bars.push(svg("g", {}, svg("title", { text: sum }),
      svg("rect", { class: "success", x, y: h - pad - hs, width: bw * 0.8, height: hs }),
      svg("rect", { class: "fail", x, y: h - pad - hs - hf, width: bw * 0.8, height: hf })));
    if (buckets.length <= 14 || i % Math.ceil(buckets.length / 12) === 0) {
      bars.push(svg("text", { class: "axis", x: x + bw * 0.4, y: h - 4, "text-anchor": "middle", text: b.label }));
    }
  });
  const total = buckets.reduce((a, b) => ({ s: a.s + b.success, f: a.f + b.fail }), { s: 0, f: 0 });
  return el("figure", { class: "chart-figure" },
    svg("svg", { class: "chart", viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": `${title}: ${total.s} succeeded, ${total.f} failed` },
      svg("text", { class: "axis", x: pad, y: 10, text: `max ${top}` }), bars),
    el("figcaption", { class: "legend" }, el("span", { class: "ok", text: `succeeded ${total.s}` }),
      el("span", { class: "bad", text: `failed ${total.f}` }), el("span", { class: "muted", text: title })));
}

// showView renders the view the page's fragment names (#/a/b?k=v):
// render(parts, params) fills view, and returns the name of the tab of
// nav.tabs to mark current. It empties errors, says "Loading…" meanwhile,
// focuses the view's heading (for keyboards and screen readers), and shows
// what went wrong but a refused token (the page's Api handles that). Once
// done, view.dataset.shown holds the fragment shown, which tests wait on.
export async function showView(view, errors, render) {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  replace(errors);
  delete view.dataset.shown;
  replace(view, el("p", { class: "muted", text: "Loading…" }));
  try {
    const tab = await render(parts, new URLSearchParams(query || ""));
    for (const a of document.querySelectorAll("nav.tabs a")) {
      if (a.dataset.tab === tab) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    const h = view.querySelector("h2");
    if (h) {
      h.setAttribute("tabindex", "-1");
      h.focus({ preventScroll: true });
    }
  } catch (e) {
    if (e.status === 401) return;
    replace(view, el("h2", { text: "Something went wrong" }), el("div", { class: "alert", text: e.message }));
  }
  view.dataset.shown = location.hash;
}

// gate replaces the page with a message: a title, text, and optional nodes.
export function gate(title, text, ...more) {
  document.title = title;
  replace(document.body, el("main", { class: "gate", role: "main" }, el("h1", { text: title }), el("p", { text }), more));
}
