package api

import "slices"

// param is a query parameter, for the OpenAPI document.
type param struct {
	Name string
	Type string // integer, string, boolean, date-time, string-array, ordering, status, status-code-class
	Doc  string
}

var (
	pLimit     = param{"limit", "integer", "Items per page, 1 to 250; 50 by default."}
	pIterator  = param{"iterator", "string", "The iterator (or prevIterator) of the previous page; anything else is a 422."}
	pOrder     = param{"order", "ordering", "ascending (the default) or descending."}
	pOrderDesc = param{"order", "ordering", "descending, newest first (the default), or ascending."}
	pChannel   = param{"channel", "string", "Only items on this channel."}
	pTag       = param{"tag", "string", "Only messages with this tag."}
	pBefore    = param{"before", "date-time", "Only items created before this time."}
	pAfter     = param{"after", "date-time", "Only items created at or after this time."}
	pContent   = param{"with_content", "boolean", "Include payloads or response bodies; true by default."}
	pTypes     = param{"event_types", "string-array", "Only items of these event types, repeated or comma-separated."}
	pStatus    = param{"status", "status", "Only items in this status."}
	pCodeClass = param{"status_code_class", "status-code-class", "Only attempts whose response status is in this class (0: no response)."}
	pWithMsg   = param{"with_msg", "boolean", "Include each attempt's message, without its payload."}
	pExpanded  = param{"expanded_statuses", "boolean", "Accepted for compatibility; Hookline has no canceled status."}
)

func params(ps ...param) []param { return ps }

// table lists every operation of /api/v1.
func (s *Server) table() []*route {
	const app, ep, msg = "/api/v1/app/{app_id}", "/api/v1/app/{app_id}/endpoint/{endpoint_id}", "/api/v1/app/{app_id}/msg/{msg_id}"
	const opEp = "/api/v1/operational-webhook/endpoint/{endpoint_id}"
	apps, ops := s.appEndpoints, s.opEndpoints
	return append([]*route{
		{Method: "GET", Path: "/api/v1/app", ID: "v1.application.list", Tag: "Application", Summary: "List applications",
			Doc: "Lists the applications, by creation.", Access: adminOnly, Out: listResponse[applicationOut]{}, Status: 200,
			Query: params(pLimit, pIterator, pOrder,
				param{"exclude_apps_with_no_endpoints", "boolean", "Not supported: true is refused (422)."},
				param{"exclude_apps_with_disabled_endpoints", "boolean", "Not supported: true is refused (422)."},
				param{"exclude_apps_with_svix_play_endpoints", "boolean", "Accepted; Hookline has no Svix Play endpoints, so it excludes nothing."}),
			handle: s.listApplications},
		{Method: "POST", Path: "/api/v1/app", ID: "v1.application.create", Tag: "Application", Summary: "Create an application",
			Doc:    "Creates an application. With get_if_exists=true and the uid of an existing application, returns that one (200) instead of a conflict.",
			Access: adminOnly, In: applicationIn{}, Out: applicationOut{}, Status: 201, Also: []int{200},
			Query: params(param{"get_if_exists", "boolean", "Return the application with this uid when it exists."}), handle: s.createApplication},
		{Method: "GET", Path: app, ID: "v1.application.get", Tag: "Application", Summary: "Get an application",
			Access: appRead, Out: applicationOut{}, Status: 200, handle: s.getApplication},
		{Method: "PUT", Path: app, ID: "v1.application.update", Tag: "Application", Summary: "Update an application",
			Doc:    "Replaces an application, or creates it (201) when the path names it by a uid that is free.",
			Access: adminOnly, In: applicationIn{}, Out: applicationOut{}, Status: 200, Also: []int{201}, handle: s.updateApplication},
		{Method: "PATCH", Path: app, ID: "v1.application.patch", Tag: "Application", Summary: "Patch an application",
			Access: adminOnly, In: applicationPatch{}, Out: applicationOut{}, Status: 200, handle: s.patchApplication},
		{Method: "DELETE", Path: app, ID: "v1.application.delete", Tag: "Application", Summary: "Delete an application",
			Doc:    "Deletes an application with its endpoints, messages and attempts.",
			Access: adminOnly, Status: 204, handle: s.deleteApplication},

		{Method: "GET", Path: "/api/v1/event-type", ID: "v1.event-type.list", Tag: "Event Type", Summary: "List event types",
			Doc: "Lists event types by name. Schemas are included with with_content=true.", Access: anyToken,
			Out: listResponse[eventTypeOut]{}, Status: 200,
			Query: params(pLimit, param{"iterator", "string", "The iterator (a name) of the previous page."}, pOrder,
				param{"include_archived", "boolean", "Include archived event types."},
				param{"with_content", "boolean", "Include schemas; false by default."}), handle: s.listEventTypes},
		{Method: "POST", Path: "/api/v1/event-type", ID: "v1.event-type.create", Tag: "Event Type", Summary: "Create an event type",
			Access: adminOnly, In: eventTypeIn{}, Out: eventTypeOut{}, Status: 201, handle: s.createEventType},
		{Method: "GET", Path: "/api/v1/event-type/{event_type_name}", ID: "v1.event-type.get", Tag: "Event Type", Summary: "Get an event type",
			Access: anyToken, Out: eventTypeOut{}, Status: 200, handle: s.getEventType},
		{Method: "PUT", Path: "/api/v1/event-type/{event_type_name}", ID: "v1.event-type.update", Tag: "Event Type", Summary: "Update an event type",
			Doc:    "Replaces an event type, or creates it (201) with the name of the path.",
			Access: adminOnly, In: eventTypeUpdate{}, Out: eventTypeOut{}, Status: 200, Also: []int{201}, handle: s.updateEventType},
		{Method: "PATCH", Path: "/api/v1/event-type/{event_type_name}", ID: "v1.event-type.patch", Tag: "Event Type", Summary: "Patch an event type",
			Access: adminOnly, In: eventTypePatch{}, Out: eventTypeOut{}, Status: 200, handle: s.patchEventType},
		{Method: "DELETE", Path: "/api/v1/event-type/{event_type_name}", ID: "v1.event-type.delete", Tag: "Event Type", Summary: "Delete an event type",
			Doc:    "Archives an event type; with expunge=true removes it.",
			Access: adminOnly, Status: 204, Query: params(param{"expunge", "boolean", "Remove the event type instead of archiving it."}),
			handle: s.deleteEventType},

		{Method: "GET", Path: app + "/endpoint", ID: "v1.endpoint.list", Tag: "Endpoint", Summary: "List endpoints",
			Access: appRead, Out: listResponse[endpointOut]{}, Status: 200, Query: params(pLimit, pIterator, pOrderDesc), handle: apps.list},
		{Method: "POST", Path: app + "/endpoint", ID: "v1.endpoint.create", Tag: "Endpoint", Summary: "Create an endpoint",
			Access: appEndpoint, In: endpointIn{}, Out: endpointOut{}, Status: 201, handle: apps.create},
		{Method: "GET", Path: ep, ID: "v1.endpoint.get", Tag: "Endpoint", Summary: "Get an endpoint",
			Access: appRead, Out: endpointOut{}, Status: 200, handle: apps.get},
		{Method: "PUT", Path: ep, ID: "v1.endpoint.update", Tag: "Endpoint", Summary: "Update an endpoint",
			Doc:    "Replaces an endpoint's settings, keeping its secrets, headers, mTLS and OAuth settings, or, as svix-server, creates one (201) when the path names none: with a new id, and the path as its uid when that is a free uid and the body sets none.",
			Access: appEndpoint, In: endpointUpdate{}, Out: endpointOut{}, Status: 200, Also: []int{201}, handle: apps.replace},
		{Method: "PATCH", Path: ep, ID: "v1.endpoint.patch", Tag: "Endpoint", Summary: "Patch an endpoint",
			Access: appEndpoint, In: endpointPatch{}, Out: endpointOut{}, Status: 200, handle: apps.patch},
		{Method: "DELETE", Path: ep, ID: "v1.endpoint.delete", Tag: "Endpoint", Summary: "Delete an endpoint",
			Doc:    "Deletes an endpoint; its pending deliveries are dropped, its attempts stay listed.",
			Access: appEndpoint, Status: 204, handle: apps.delete},
		{Method: "GET", Path: ep + "/headers", ID: "v1.endpoint.get-headers", Tag: "Endpoint", Summary: "Get an endpoint's headers",
			Doc:    "Returns the custom headers. Those that look like credentials are named in sensitive, without their values.",
			Access: appRead, Out: endpointHeadersOut{}, Status: 200, handle: apps.getHeaders},
		{Method: "PUT", Path: ep + "/headers", ID: "v1.endpoint.update-headers", Tag: "Endpoint", Summary: "Replace an endpoint's headers",
			Access: appEndpoint, In: endpointHeadersIn{}, Status: 204, handle: apps.replaceHeaders},
		{Method: "PATCH", Path: ep + "/headers", ID: "v1.endpoint.patch-headers", Tag: "Endpoint", Summary: "Patch an endpoint's headers",
			Access: appEndpoint, In: endpointHeadersPatchIn{}, Status: 204, handle: apps.patchHeaders},
		{Method: "GET", Path: ep + "/secret", ID: "v1.endpoint.get-secret", Tag: "Endpoint", Summary: "Get an endpoint's signing secret",
			Doc:    "Returns what receivers verify signatures with: the HMAC secret (whsec_), or the public key (whpk_) of an ed25519 secret.",
			Access: appReadSecret, Out: endpointSecretOut{}, Status: 200, handle: apps.getSecret},
		{Method: "POST", Path: ep + "/secret/rotate", ID: "v1.endpoint.rotate-secret", Tag: "Endpoint", Summary: "Rotate an endpoint's signing secret",
			Doc: "Replaces the secret. The previous one keeps signing for the grace period (gracePeriodSeconds, 24 hours by default): " +
				"meanwhile every delivery carries one signature per secret in webhook-signature. At most 10 previous secrets sign at once: a rotation past them is refused (400 limit_reached) until the oldest expires.",
			Access: appRotateSecret, In: endpointSecretRotateIn{}, BodyOptional: true, Status: 204, handle: apps.rotateSecret},
		{Method: "GET", Path: ep + "/mtls", ID: "v1.endpoint.get-mtls", Tag: "Endpoint", Summary: "Get an endpoint's mTLS settings",
			Doc:    "Returns the client certificate deliveries present, with its fingerprint, subject and expiry, and the receiver's CA bundle; never the private key. 404 when the endpoint has no client certificate, as the hosted API (GET .../mtls-config answers {enabled: false}).",
			Access: appRead, Out: endpointMtlsConfigOut{}, Status: 200, handle: s.getEndpointMtls},
		{Method: "PUT", Path: ep + "/mtls", ID: "v1.endpoint.set-mtls-config", Tag: "Endpoint", Summary: "Set an endpoint's mTLS settings",
			Doc: "Sets the client certificate (an identity: private key and certificate chain in PEM) that deliveries present for mutual TLS, " +
				"and optionally the CAs the receiver's certificate must chain to. The key must belong to one of the certificates. " +
				"The private key is stored encrypted.",
			Access: appEndpoint, In: endpointMtlsConfigIn{}, Status: 204, handle: s.setEndpointMtls},
		{Method: "DELETE", Path: ep + "/mtls", ID: "v1.endpoint.delete-mtls-config", Tag: "Endpoint", Summary: "Remove an endpoint's mTLS settings",
			Access: appEndpoint, Status: 204, handle: s.deleteEndpointMtls},
		{Method: "GET", Path: ep + "/oauth", ID: "v1.endpoint.get-oauth", Tag: "Endpoint", Summary: "Get an endpoint's OAuth 2.0 settings",
			Doc:    "Returns the OAuth 2.0 client deliveries get their bearer token with; never the client secret. 404 when the endpoint has none, as the hosted API (GET .../oauth-config answers {enabled: false}).",
			Access: appRead, Out: endpointOauthConfigOut{}, Status: 200, handle: s.getEndpointOauth},
		{Method: "PUT", Path: ep + "/oauth", ID: "v1.endpoint.set-oauth-config", Tag: "Endpoint", Summary: "Set an endpoint's OAuth 2.0 settings",
			Doc: "Sets an OAuth 2.0 client: before delivering, Hookline gets an access token from tokenUrl with the client credentials grant " +
				"and sends it as Authorization: Bearer. The client secret is stored encrypted.",
			Access: appEndpoint, In: endpointOauthConfigIn{}, Status: 204, handle: s.setEndpointOauth},
		{Method: "DELETE", Path: ep + "/oauth", ID: "v1.endpoint.delete-oauth-config", Tag: "Endpoint", Summary: "Remove an endpoint's OAuth 2.0 settings",
			Access: appEndpoint, Status: 204, handle: s.deleteEndpointOauth},
		{Method: "POST", Path: ep + "/recover", ID: "v1.endpoint.recover", Tag: "Endpoint", Summary: "Recover failed messages",
			Doc:    "Sends again every message created in [since, until) whose delivery to the endpoint failed; since at most 14 days before until (422).",
			Access: appSend, In: recoverIn{}, Out: recoverOut{}, Status: 202, handle: s.recoverEndpoint},
		{Method: "POST", Path: ep + "/send-example", ID: "v1.endpoint.send-example", Tag: "Endpoint", Summary: "Send an example message",
			Doc:    "Sends an example message of an event type to this endpoint only.",
			Access: appSend, In: eventExampleIn{}, Out: messageOut{}, Status: 200, handle: s.sendExample},
		{Method: "GET", Path: ep + "/stats", ID: "v1.endpoint.get-stats", Tag: "Endpoint", Summary: "Get an endpoint's delivery statistics",
			Access: appRead, Out: endpointStats{}, Status: 200,
			Query: params(param{"since", "date-time", "Count messages created at or after this time: 28 days before until by default, and at most (400 invalid_range)."},
				param{"until", "date-time", "Count messages created before this time: now by default, and at most (400 invalid_range)."}), handle: s.getEndpointStats},
		{Method: "GET", Path: ep + "/msg", ID: "v1.message-attempt.list-attempted-messages", Tag: "Message Attempt",
			Summary: "List the messages sent to an endpoint", Doc: "Lists the messages sent to an endpoint with the state of each delivery, newest first.",
			Access: appRead, Out: listResponse[endpointMessageOut]{}, Status: 200,
			Query: params(pLimit, pIterator, pChannel, pTag, pStatus, pBefore, pAfter, pContent, pTypes, pExpanded), handle: s.listAttemptedMessages},

		{Method: "GET", Path: app + "/msg", ID: "v1.message.list", Tag: "Message", Summary: "List messages",
			Doc: "Lists the application's messages, newest first.", Access: appRead, Out: listResponse[messageOut]{}, Status: 200,
			Query: params(pLimit, pIterator, pChannel, pTag, pBefore, pAfter, pContent, pTypes), handle: s.listMessages},
		{Method: "POST", Path: app + "/msg", ID: "v1.message.create", Tag: "Message", Summary: "Send a message",
			Doc:    "Stores a message and a delivery to every enabled endpoint that subscribes to its event type and channels, in one transaction, before answering.",
			Access: appSend, In: messageIn{}, Out: messageOut{}, Status: 202,
			Query: params(param{"with_content", "boolean", "Include the payload in the response; true by default."}), handle: s.createMessage},
		{Method: "POST", Path: app + "/msg/precheck/active", ID: "v1.message.precheck", Tag: "Message", Summary: "Precheck a message",
			Doc:    "Tells whether a message of this event type and channels would go to any endpoint: an enabled one that subscribes to them. Nothing is stored.",
			Access: appSend, In: messagePrecheckIn{}, Out: messagePrecheckOut{}, Status: 200, handle: s.precheckMessage},
		{Method: "GET", Path: msg, ID: "v1.message.get", Tag: "Message", Summary: "Get a message",
			Doc: "Gets a message by id or eventId.", Access: appRead, Out: messageOut{}, Status: 200,
			Query: params(param{"with_content", "boolean", "Include the payload; true by default."}), handle: s.getMessage},
		{Method: "GET", Path: msg + "/raw", ID: "v1.message.get-raw-payload", Tag: "Message", Summary: "Get a message's raw payload",
			Doc:    "Gets the body a message is delivered with, byte for byte, in a string: a raw payload (transformationsParams.rawPayload) that is not JSON shows only here.",
			Access: appRead, Out: messageRawOut{}, Status: 200, handle: s.getRawMessage},
		{Method: "DELETE", Path: msg + "/content", ID: "v1.message.expunge-content", Tag: "Message", Summary: "Delete a message's payload",
			Access: appScoped, Status: 204, handle: s.expungeMessageContent},
		{Method: "GET", Path: msg + "/endpoint", ID: "v1.message-attempt.list-attempted-destinations", Tag: "Message Attempt",
			Summary: "List a message's destinations", Doc: "Lists the endpoints a message was sent to with the state of each delivery.",
			Access: appRead, Out: listResponse[messageEndpointOut]{}, Status: 200, Query: params(pLimit, pIterator), handle: s.listAttemptedDestinations},
		{Method: "POST", Path: msg + "/endpoint/{endpoint_id}/resend", ID: "v1.message-attempt.resend", Tag: "Message Attempt",
			Summary: "Resend a message to an endpoint", Access: appSend, Out: emptyResponse{}, Status: 202, handle: s.resend},
		{Method: "GET", Path: msg + "/attempt/{attempt_id}", ID: "v1.message-attempt.get", Tag: "Message Attempt", Summary: "Get an attempt",
			Access: appRead, Out: messageAttemptOut{}, Status: 200, handle: s.getAttempt},
		{Method: "DELETE", Path: msg + "/attempt/{attempt_id}/content", ID: "v1.message-attempt.expunge-content", Tag: "Message Attempt",
			Summary: "Delete an attempt's response body", Access: appScoped, Status: 204, handle: s.expungeAttemptContent},
		{Method: "GET", Path: app + "/attempt/endpoint/{endpoint_id}", ID: "v1.message-attempt.list-by-endpoint", Tag: "Message Attempt",
			Summary: "List an endpoint's attempts", Doc: "Lists the attempts made to an endpoint, newest first.",
			Access: appRead, Out: listResponse[messageAttemptOut]{}, Status: 200,
			Query: params(pLimit, pIterator, pStatus, pCodeClass, pChannel, pTag, pBefore, pAfter, pContent, pWithMsg, pTypes, pExpanded), handle: s.listAttemptsByEndpoint},
		{Method: "GET", Path: app + "/attempt/msg/{msg_id}", ID: "v1.message-attempt.list-by-msg", Tag: "Message Attempt",
			Summary: "List a message's attempts", Doc: "Lists the attempts made for a message, newest first.",
			Access: appRead, Out: listResponse[messageAttemptOut]{}, Status: 200,
			Query: params(pLimit, pIterator, pStatus, pCodeClass, pChannel, pTag,
				param{"endpoint_id", "string", "Only attempts to this endpoint (id or uid)."}, pBefore, pAfter, pContent, pWithMsg, pTypes, pExpanded),
			handle: s.listAttemptsByMessage},

		{Method: "GET", Path: "/api/v1/operational-webhook/endpoint", ID: "v1.operational-webhook.endpoint.list", Tag: "Webhook Endpoint",
			Summary: "List operational webhook endpoints",
			Doc:     "Lists the operator's operational webhook endpoints, which receive events about endpoints and deliveries (endpoint.created, message.attempt.exhausted...).",
			Access:  adminOnly, Out: listResponse[operationalWebhookEndpointOut]{}, Status: 200, Query: params(pLimit, pIterator, pOrderDesc),
			handle: ops.list},
		{Method: "POST", Path: "/api/v1/operational-webhook/endpoint", ID: "v1.operational-webhook.endpoint.create", Tag: "Webhook Endpoint",
			Summary: "Create an operational webhook endpoint",
			Doc: "Creates an endpoint that receives the operational events of filterTypes, each as a message {\"type\", \"data\"} in the shape the Svix API sends, " +
				"signed, retried and logged like any delivery.",
			Access: adminOnly, In: operationalWebhookEndpointIn{}, Out: operationalWebhookEndpointOut{}, Status: 201, handle: ops.create},
		{Method: "GET", Path: opEp, ID: "v1.operational-webhook.endpoint.get", Tag: "Webhook Endpoint", Summary: "Get an operational webhook endpoint",
			Access: adminOnly, Out: operationalWebhookEndpointOut{}, Status: 200, handle: ops.get},
		{Method: "PUT", Path: opEp, ID: "v1.operational-webhook.endpoint.upsert", Tag: "Webhook Endpoint", Summary: "Create or update an operational webhook endpoint",
			Doc:    "Replaces an operational webhook endpoint's settings, keeping its secret and headers, or, as svix-server, creates one (201) when the path names none: with a new id, and the path as its uid when that is a free uid and the body sets none.",
			Access: adminOnly, In: operationalWebhookEndpointUpdate{}, Out: operationalWebhookEndpointOut{}, Status: 200, Also: []int{201},
			handle: ops.replace},
		{Method: "DELETE", Path: opEp, ID: "v1.operational-webhook.endpoint.delete", Tag: "Webhook Endpoint", Summary: "Delete an operational webhook endpoint",
			Access: adminOnly, Status: 204, handle: ops.delete},
		{Method: "GET", Path: opEp + "/secret", ID: "v1.operational-webhook.endpoint.get-secret", Tag: "Webhook Endpoint",
			Summary: "Get an operational webhook endpoint's signing secret",
			Doc:     "Returns what receivers verify signatures with: the HMAC secret (whsec_), or the public key (whpk_) of an ed25519 secret.",
			Access:  adminOnly, Out: operationalWebhookEndpointSecretOut{}, Status: 200, handle: ops.getSecret},
		{Method: "POST", Path: opEp + "/secret/rotate", ID: "v1.operational-webhook.endpoint.rotate-secret", Tag: "Webhook Endpoint",
			Summary: "Rotate an operational webhook endpoint's signing secret",
			Doc:     "Replaces the secret; the previous one keeps signing for the grace period (gracePeriodSeconds, 24 hours by default).",
			Access:  adminOnly, In: operationalWebhookEndpointSecretIn{}, BodyOptional: true, Status: 204, handle: ops.rotateSecret},
		{Method: "GET", Path: opEp + "/headers", ID: "v1.operational-webhook.endpoint.get-headers", Tag: "Webhook Endpoint",
			Summary: "Get an operational webhook endpoint's headers",
			Doc:     "Returns the custom headers. Those that look like credentials are named in sensitive, without their values.",
			Access:  adminOnly, Out: operationalWebhookEndpointHeadersOut{}, Status: 200, handle: ops.getHeaders},
		{Method: "PUT", Path: opEp + "/headers", ID: "v1.operational-webhook.endpoint.set-headers", Tag: "Webhook Endpoint",
			Summary: "Replace an operational webhook endpoint's headers",
			Access:  adminOnly, In: operationalWebhookEndpointHeadersIn{}, Status: 204, handle: ops.replaceHeaders},

		// The operator's view across applications, which the dashboard
		// shows (overview.go).
		{Method: "GET", Path: "/api/v1/overview", ID: "v1.overview.get", Tag: "Overview", Summary: "Get the server's overview",
			Doc: "A Hookline extension: the attempts of the last hour, a minute a step; the deliveries that are not done, by state; " +
				"the endpoints failing now; the deliveries that failed for good. Operational webhook endpoints are left out (their own routes show them).",
			Access: adminOnly, Out: overviewOut{}, Status: 200, handle: s.getOverview},
		{Method: "GET", Path: "/api/v1/overview/app", ID: "v1.overview.find-applications", Tag: "Overview", Summary: "Find applications",
			Doc:    "A Hookline extension: the applications whose id is search, or whose uid or name holds it (in any case), by id.",
			Access: adminOnly, Out: overviewApplicationsOut{}, Status: 200,
			Query: params(param{"search", "string", "What to find: an id, or a part of a uid or a name; 1 to 256 characters."},
				param{"limit", "integer", "Items at most, 1 to 250; 50 by default."}), handle: s.findApplications},
		{Method: "GET", Path: "/api/v1/overview/failing-endpoint", ID: "v1.overview.list-failing-endpoints", Tag: "Overview",
			Summary: "List the endpoints failing now",
			Doc:     "A Hookline extension: the endpoints whose attempts have all failed since a time, longest failing first, with that time.",
			Access:  adminOnly, Out: failingEndpointsOut{}, Status: 200,
			Query: params(param{"app_id", "string", "Only this application's endpoints (its id or uid)."},
				param{"limit", "integer", "Items at most, 1 to 250; 50 by default."}), handle: s.listFailingEndpoints},

		{Method: "GET", Path: "/api/v1/egress-ips", ID: "v1.egress-ips.list", Tag: "Environment", Summary: "List the egress IP addresses",
			Doc: "Lists the addresses deliveries come from, for receivers to allow. A Hookline extension: the operator declares them " +
				"(--egress-ips) when deliveries go out through a proxy with fixed addresses.",
			Access: anyToken, Out: egressIPsOut{}, Status: 200, handle: s.listEgressIPs},

		{Method: "POST", Path: "/api/v1/auth/app-portal-access/{app_id}", ID: "v1.authentication.app-portal-access", Tag: "Authentication",
			Summary: "Get app-portal access", Doc: "Creates a token scoped to one application, valid for expiry seconds, with the app-portal URL. The response is not replayed for an idempotency-key: it holds a new secret.",
			Access: adminOnly, In: appPortalAccessIn{}, BodyOptional: true, Out: appPortalAccessOut{}, Status: 200, NoReplay: true, handle: s.appPortalAccess},
		{Method: "POST", Path: "/api/v1/auth/dashboard-access/{app_id}", ID: "v1.authentication.dashboard-access", Tag: "Authentication",
			Summary: "Get dashboard access (deprecated)", Doc: "Deprecated in the Svix API, which keeps it: app-portal-access without a body. Creates a token scoped to one application, valid for 7 days, with every capability, and the app-portal URL.",
			Access: adminOnly, Out: appPortalAccessOut{}, Status: 200, NoReplay: true, handle: s.dashboardAccess},
		{Method: "GET", Path: "/api/v1/auth/whoami", ID: "v1.authentication.whoami", Tag: "Authentication", Summary: "Who am I",
			Doc: "Says what the token of the request is: the application it is scoped to, and what it may do there (capabilities), " +
				"so that a page can hide what the token cannot do.",
			Access: anyToken, Out: whoamiOut{}, Status: 200, handle: s.whoami},
		{Method: "POST", Path: "/api/v1/auth/logout", ID: "v1.authentication.logout", Tag: "Authentication", Summary: "Log out",
			Doc: "Deletes the token this request is made with.", Access: anyToken, Status: 204, handle: s.logout},

		{Method: "GET", Path: "/api/v1/health", ID: "v1.health.get", Tag: "Health", Summary: "Check health",
			Doc:    "Answers 204 when the server and its store work, 503 when the store cannot be reached or cannot write (a full disk, a read-only file system or database). Needs no token.",
			Access: public, Status: 204, handle: s.health},
		{Method: "GET", Path: "/api/v1/health/ping", ID: "v1.health.ping", Tag: "Health", Summary: "Ping",
			Doc: "Answers 204 while the process runs. Needs no token.", Access: public, Status: 204, handle: s.ping},
	}, slices.Concat(s.ingestTable(), s.hostedTable(), s.statsTable(), s.attemptHeadersTable(), s.taskTable(), s.usageTable())...)
}

// ingestTable lists the operations of the inbound gateway: the sources and
// their ingest endpoints under /ingest/api/v1 (Svix's Ingest API), what
// each source received and the deliveries it led to, and the ingest URL.
func (s *Server) ingestTable() []*route {
	const src, ep = "/ingest/api/v1/source/{source_id}", "/ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}"
	in := s.inEndpoints
	return []*route{
		{Method: "GET", Path: "/ingest/api/v1/source", ID: "v1.ingest.source.list", Tag: "Ingest Source", Summary: "List sources",
			Doc: "Lists the sources of the inbound gateway, by creation.", Access: adminOnly, Out: listResponse[ingestSourceOut]{}, Status: 200,
			Query: params(pLimit, pIterator, pOrder), handle: s.listSources},
		{Method: "POST", Path: "/ingest/api/v1/source", ID: "v1.ingest.source.create", Tag: "Ingest Source", Summary: "Create a source",
			Doc: "Creates a source: its ingestUrl receives the provider's webhooks, verifies them per type and config, de-duplicates them and forwards them to the source's endpoints. " +
				"The response is not replayed for an idempotency-key: its ingestUrl holds the source's token, which is kept only sealed.",
			Access: adminOnly, In: ingestSourceIn{}, Out: ingestSourceOut{}, Status: 201, NoReplay: true, handle: s.createSource},
		{Method: "GET", Path: src, ID: "v1.ingest.source.get", Tag: "Ingest Source", Summary: "Get a source",
			Access: adminOnly, Out: ingestSourceOut{}, Status: 200, handle: s.getSource},
		{Method: "PUT", Path: src, ID: "v1.ingest.source.upsert", Tag: "Ingest Source", Summary: "Create or update a source",
			Doc:    "Replaces a source's settings, keeping its ingestUrl, or creates it (201) when the path names it by a uid that is free.",
			Access: adminOnly, In: ingestSourceIn{}, Out: ingestSourceOut{}, Status: 200, Also: []int{201}, handle: s.upsertSource},
		{Method: "PATCH", Path: src, ID: "v1.ingest.source.patch", Tag: "Ingest Source", Summary: "Patch a source",
			Access: adminOnly, In: ingestSourcePatch{}, Out: ingestSourceOut{}, Status: 200, handle: s.patchSource},
		{Method: "DELETE", Path: src, ID: "v1.ingest.source.delete", Tag: "Ingest Source", Summary: "Delete a source",
			Doc:    "Deletes a source with its endpoints, what it received and their deliveries.",
			Access: adminOnly, Status: 204, handle: s.deleteSource},
		{Method: "POST", Path: src + "/token/rotate", ID: "v1.ingest.source.rotate-token", Tag: "Ingest Source", Summary: "Rotate a source's URL token",
			Doc: "Gives the source a new ingestUrl. The previous one keeps working for 48 hours (only the latest previous one). " +
				"The response is not replayed for an idempotency-key: it holds the new token, which is kept only sealed.",
			Access: adminOnly, Out: rotateTokenOut{}, Status: 200, NoReplay: true, handle: s.rotateToken},
		{Method: "GET", Path: src + "/log", ID: "v1.ingest.log.list", Tag: "Ingest Source", Summary: "List what a source received",
			Doc:    "Lists the requests the source received, newest first: accepted, duplicate or refused (and why), from where, and the message each became.",
			Access: adminOnly, Out: listResponse[ingestLogOut]{}, Status: 200, Query: params(pLimit, pIterator, pOrderDesc), handle: s.listIngestLog},

		{Method: "GET", Path: src + "/endpoint", ID: "v1.ingest.endpoint.list", Tag: "Ingest Endpoint", Summary: "List ingest endpoints",
			Access: adminOnly, Out: listResponse[ingestEndpointOut]{}, Status: 200, Query: params(pLimit, pIterator, pOrderDesc), handle: in.list},
		{Method: "POST", Path: src + "/endpoint", ID: "v1.ingest.endpoint.create", Tag: "Ingest Endpoint", Summary: "Create an ingest endpoint",
			Doc:    "Creates an endpoint that every request the source accepts is delivered to, or an action:NAME endpoint that runs the operator's action.",
			Access: adminOnly, In: ingestEndpointIn{}, Out: ingestEndpointOut{}, Status: 201, handle: in.create},
		{Method: "GET", Path: ep, ID: "v1.ingest.endpoint.get", Tag: "Ingest Endpoint", Summary: "Get an ingest endpoint",
			Access: adminOnly, Out: ingestEndpointOut{}, Status: 200, handle: in.get},
		{Method: "PUT", Path: ep, ID: "v1.ingest.endpoint.upsert", Tag: "Ingest Endpoint", Summary: "Create or update an ingest endpoint",
			Doc:    "Replaces an ingest endpoint's settings, keeping its secret and headers, or, as svix-server, creates one (201) when the path names none: with a new id, and the path as its uid when that is a free uid and the body sets none.",
			Access: adminOnly, In: ingestEndpointUpdate{}, Out: ingestEndpointOut{}, Status: 200, Also: []int{201}, handle: in.replace},
		{Method: "DELETE", Path: ep, ID: "v1.ingest.endpoint.delete", Tag: "Ingest Endpoint", Summary: "Delete an ingest endpoint",
			Access: adminOnly, Status: 204, handle: in.delete},
		{Method: "GET", Path: ep + "/secret", ID: "v1.ingest.endpoint.get-secret", Tag: "Ingest Endpoint", Summary: "Get an ingest endpoint's signing secret",
			Doc:    "Returns what the endpoint verifies deliveries with: the HMAC secret (whsec_), or the public key (whpk_) of an ed25519 secret.",
			Access: adminOnly, Out: ingestEndpointSecretOut{}, Status: 200, handle: in.getSecret},
		{Method: "POST", Path: ep + "/secret/rotate", ID: "v1.ingest.endpoint.rotate-secret", Tag: "Ingest Endpoint", Summary: "Rotate an ingest endpoint's signing secret",
			Doc:    "Replaces the secret; the previous one keeps signing for the grace period (gracePeriodSeconds, 24 hours by default).",
			Access: adminOnly, In: ingestEndpointSecretIn{}, BodyOptional: true, Status: 204, handle: in.rotateSecret},
		{Method: "GET", Path: ep + "/headers", ID: "v1.ingest.endpoint.get-headers", Tag: "Ingest Endpoint", Summary: "Get an ingest endpoint's headers",
			Doc:    "Returns the custom headers. Those that look like credentials are named in sensitive, without their values.",
			Access: adminOnly, Out: ingestEndpointHeadersOut{}, Status: 200, handle: in.getHeaders},
		{Method: "PUT", Path: ep + "/headers", ID: "v1.ingest.endpoint.set-headers", Tag: "Ingest Endpoint", Summary: "Replace an ingest endpoint's headers",
			Access: adminOnly, In: ingestEndpointHeadersIn{}, Status: 204, handle: in.replaceHeaders},
		{Method: "POST", Path: ep + "/recover", ID: "v1.ingest.endpoint.recover", Tag: "Ingest Endpoint", Summary: "Recover failed deliveries",
			Doc:    "A Hookline extension: sends again every request received in [since, until) whose delivery to the endpoint failed.",
			Access: adminOnly, In: recoverIn{}, Out: recoverOut{}, Status: 202, handle: inSource(s.recoverEndpoint)},
		{Method: "GET", Path: src + "/attempt/endpoint/{endpoint_id}", ID: "v1.ingest.message-attempt.list-by-endpoint", Tag: "Ingest Endpoint",
			Summary: "List an ingest endpoint's attempts", Doc: "A Hookline extension: the attempts made to an ingest endpoint, newest first.",
			Access: adminOnly, Out: listResponse[messageAttemptOut]{}, Status: 200,
			Query: params(pLimit, pIterator, pStatus, pCodeClass, pBefore, pAfter, pContent, pWithMsg), handle: inSource(s.listAttemptsByEndpoint)},
		{Method: "GET", Path: src + "/attempt/msg/{msg_id}", ID: "v1.ingest.message-attempt.list-by-msg", Tag: "Ingest Endpoint",
			Summary: "List a received request's attempts", Doc: "A Hookline extension: the attempts made for a received request (its msg_id in the log), newest first.",
			Access: adminOnly, Out: listResponse[messageAttemptOut]{}, Status: 200,
			Query: params(pLimit, pIterator, pStatus, pCodeClass, param{"endpoint_id", "string", "Only attempts to this endpoint (id or uid)."},
				pBefore, pAfter, pContent, pWithMsg), handle: inSource(s.listAttemptsByMessage)},
		{Method: "GET", Path: src + "/msg/{msg_id}/endpoint", ID: "v1.ingest.message-attempt.list-attempted-destinations", Tag: "Ingest Endpoint",
			Summary: "List a received request's deliveries", Doc: "A Hookline extension: the endpoints a received request was delivered to, with the state of each delivery.",
			Access: adminOnly, Out: listResponse[messageEndpointOut]{}, Status: 200, Query: params(pLimit, pIterator), handle: inSource(s.listAttemptedDestinations)},
		{Method: "POST", Path: src + "/msg/{msg_id}/endpoint/{endpoint_id}/resend", ID: "v1.ingest.message-attempt.resend", Tag: "Ingest Endpoint",
			Summary: "Resend a received request to an ingest endpoint", Doc: "A Hookline extension.",
			Access: adminOnly, Out: emptyResponse{}, Status: 202, handle: inSource(s.resend)},

		{Method: "POST", Path: "/ingest/in/{token}", ID: "v1.ingest.receive", Tag: "Ingest Source", Summary: "Receive a webhook",
			Doc: "A source's ingestUrl, where its provider POSTs; no API token (the source's verification authenticates). The body is read " +
				"within the server's limit first (413); the request is verified per the source's type and config (401, whatever failed), " +
				"de-duplicated on the provider's delivery id, and stored with a delivery to each enabled endpoint of the source before the " +
				"answer (204, a duplicate too). A slack source answers Slack's url_verification, verified, with {\"challenge\": ...} (200), and forwards nothing.",
			Access: public, Status: 204, Also: []int{200}, handle: s.receive},
	}
}
