package api

// hostedTable lists operations of the hosted Svix API that the open-source
// server lacks: the endpoint-auth config shapes beside .../mtls and
// .../oauth, event types from and to an OpenAPI document, and the expiry
// of an application's tokens.
func (s *Server) hostedTable() []*route {
	const ep = "/api/v1/app/{app_id}/endpoint/{endpoint_id}"
	return []*route{
		{Method: "GET", Path: ep + "/mtls-config", ID: "v1.endpoint.get-mtls-2", Tag: "Endpoint", Summary: "Get an endpoint's mTLS status and settings",
			Doc:    "Whether deliveries present a client certificate, and its settings as GET .../mtls answers them: {enabled: false, config: null} when the endpoint has none; never the private key.",
			Access: appRead, Out: endpointMtlsOut{}, Status: 200, handle: s.getEndpointMtlsStatus},
		{Method: "GET", Path: ep + "/oauth-config", ID: "v1.endpoint.get-oauth-2", Tag: "Endpoint", Summary: "Get an endpoint's OAuth 2.0 status and settings",
			Doc:    "Whether deliveries get an OAuth 2.0 token, and the settings as GET .../oauth answers them: {enabled: false, config: null} when the endpoint has no OAuth 2.0 client; never the client secret.",
			Access: appRead, Out: endpointOauthOut{}, Status: 200, handle: s.getEndpointOauthStatus},
		{Method: "GET", Path: ep + "/ca", ID: "v1.endpoint.get-server-ca", Tag: "Endpoint", Summary: "Get an endpoint's CA certificates",
			Doc:    "Returns the CA bundle the receiver's certificate must chain to (set here or as the serverCaCert of .../mtls); null when the system roots are in use.",
			Access: appRead, Out: endpointServerCaOut{}, Status: 200, handle: s.getEndpointServerCa},
		{Method: "PUT", Path: ep + "/ca", ID: "v1.endpoint.set-server-ca", Tag: "Endpoint", Summary: "Set an endpoint's CA certificates",
			Doc: "Sets the CA bundle (PEM certificates) the receiver's certificate must chain to instead of the system roots, " +
				"for receivers with a private CA; null removes it. The client certificate of .../mtls, if any, stays.",
			Access: appEndpoint, In: endpointServerCaIn{}, BodyOptional: true, Status: 204, handle: s.setEndpointServerCa},
		{Method: "POST", Path: "/api/v1/event-type/import/openapi", ID: "v1.event-type.import-openapi", Tag: "Event Type",
			Summary: "Import event types from an OpenAPI document",
			Doc: "Creates an event type per webhook of an OpenAPI 3.1 document (webhooks, or x-webhooks): named by the webhook's key, " +
				"described by its operation's description (or summary), deprecated when it is, with its request body's JSON schema " +
				"(references to the document's components copied in) as version 1 of its schemas. An existing event type that differs " +
				"is updated, and unarchived; with replaceAll the others are archived; with dryRun nothing changes. The whole document " +
				"is checked before anything is written: a bad one is a 422 that changes nothing.",
			Access: adminOnly, In: eventTypeImportOpenApiIn{}, Out: eventTypeImportOpenApiOut{}, Status: 200, handle: s.importEventTypes},
		{Method: "POST", Path: "/api/v1/event-type/export/openapi", ID: "v1.event-type.export-openapi", Tag: "Event Type",
			Summary: "Export event types as an OpenAPI document",
			Doc: "Answers an OpenAPI 3.1 document with a webhook per event type that is not archived, at once; the hosted Svix API " +
				"answers a background task (202) whose result links a file instead.",
			Access: adminOnly, Out: eventTypeExportOpenApiOut{}, BodyOptional: true, Status: 200, handle: s.exportEventTypes},
		{Method: "POST", Path: "/api/v1/auth/app/{app_id}/expire-all", ID: "v1.authentication.expire-all", Tag: "Authentication",
			Summary: "Expire an application's tokens",
			Doc: "Makes the application's tokens (app-portal and dashboard access) expire now, or after expiry seconds; " +
				"with sessionIds, only those created with one of them. Admin tokens are not touched.",
			Access: adminOnly, In: applicationTokenExpireIn{}, BodyOptional: true, Status: 204, handle: s.expireAllTokens},
	}
}
