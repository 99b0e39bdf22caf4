package api

import "net/http"

// attemptHeadersTable lists the operation that reads what an attempt sent.
func (s *Server) attemptHeadersTable() []*route {
	const msg = "/api/v1/app/{app_id}/msg/{msg_id}"
	return []*route{
		{Method: "GET", Path: msg + "/attempt/{attempt_id}/headers", ID: "v1.message-attempt.get-headers", Tag: "Message Attempt",
			Summary: "Get an attempt's headers",
			Doc: "Returns the headers the attempt's request carried. The values of those whose names suggest a credential " +
				"(Authorization, a token, a key, a secret...) are not kept: they are named in sensitive. " +
				"An attempt that made no request, or was logged before Hookline kept headers, has none.",
			Access: appRead, Out: messageAttemptHeadersOut{}, Status: 200, handle: s.getAttemptHeaders},
	}
}

// messageAttemptHeadersOut is what an attempt sent: Svix's hosted
// MessageAttemptHeadersOut, without responseHeaders (Hookline does not keep
// a response's headers).
type messageAttemptHeadersOut struct {
	SentHeaders map[string]string `json:"sentHeaders" doc:"The headers of the request, by name as sent, but those in sensitive."`
	Sensitive   []string          `json:"sensitive" doc:"The headers sent whose values are not kept (credentials), sorted."`
}

func (s *Server) getAttemptHeaders(c *call) (int, any, error) {
	app, msg, err := c.loadMessage()
	if err != nil {
		return 0, nil, err
	}
	h, err := s.store.AttemptHeaders(c.ctx(), app.ID, msg.ID, c.r.PathValue("attempt_id"))
	if err != nil {
		return 0, nil, orNotFound(err, "Message attempt")
	}
	var out messageAttemptHeadersOut
	if out.SentHeaders, out.Sensitive, err = h.Decode(); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}
