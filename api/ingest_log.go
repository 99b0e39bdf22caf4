package api

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/hookline/hookline"
)

// ingestLogOut is an entry of a source's log: a request it received. The
// fields of Svix's IngestLogOut, and Hookline's: what became of it
// (outcome), from where, the provider's delivery id, and the message it
// became, whose deliveries and attempts the source's msg and attempt
// routes list.
type ingestLogOut struct {
	ID         string            `json:"id"`
	SourceID   string            `json:"source_id"`
	StatusCode int               `json:"status_code" doc:"What the sender was answered."`
	ErrorText  string            `json:"error_text" doc:"Why the request was refused; empty otherwise."`
	Headers    map[string]string `json:"headers" doc:"The request's headers, without credentials or signatures."`
	Payload    string            `json:"payload" doc:"The body, as text; empty for a refused request, or once expunged."`
	Outcome    string            `json:"outcome" enum:"accepted,duplicate,refused,challenge" doc:"accepted: stored and forwarded; duplicate: a delivery id seen within the window, answered and not forwarded again; refused: verification failed; challenge: a verified URL check of the provider (Slack's url_verification), answered with its challenge and not forwarded."`
	RemoteAddr string            `json:"remote_addr" doc:"The sender's address."`
	DeliveryID *string           `json:"delivery_id,omitempty" doc:"The provider's id of the delivery, which duplicates are recognised by."`
	MsgID      *string           `json:"msg_id,omitempty" doc:"The message the request became (for a duplicate, the first one): its deliveries are listed by .../msg/{msg_id}/endpoint."`
	CreatedAt  jsonTime          `json:"created_at"`
	UpdatedAt  jsonTime          `json:"updated_at"`
}

func ingestLogOutOf(r *hookline.Received) ingestLogOut {
	out := ingestLogOut{
		ID: r.ID, SourceID: r.SourceID, StatusCode: r.StatusCode, ErrorText: r.Reason, Headers: map[string]string{},
		Outcome: r.Outcome, RemoteAddr: r.RemoteAddr, CreatedAt: jsonTime(r.CreatedAt), UpdatedAt: jsonTime(r.CreatedAt),
	}
	for k, v := range r.Headers {
		out.Headers[k] = strings.Join(v, ", ")
	}
	if r.Payload != nil {
		out.Payload = strings.ToValidUTF8(string(r.Payload), string(utf8.RuneError))
	}
	if r.DeliveryID != "" {
		out.DeliveryID = &r.DeliveryID
	}
	if r.MessageID != "" {
		out.MsgID = &r.MessageID
	}
	return out
}

// listIngestLog lists what a source received, newest first.
func (s *Server) listIngestLog(c *call) (int, any, error) {
	p, err := c.query().page(true, true, hookline.PrefixReceived)
	if err != nil {
		return 0, nil, err
	}
	src, err := c.loadSource()
	if err != nil {
		return 0, nil, err
	}
	got, err := s.store.ListReceived(c.ctx(), src, p.opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, makeList(p, got, func(r *hookline.Received) string { return r.ID }, ingestLogOutOf), nil
}
