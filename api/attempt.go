package api

import (
	"net/http"

	"github.com/hookline/hookline"
)

// messageAttemptOut is one HTTP request to an endpoint and what came of it.
type messageAttemptOut struct {
	ID                 string      `json:"id"`
	MsgID              string      `json:"msgId"`
	EndpointID         string      `json:"endpointId"`
	URL                string      `json:"url"`
	Response           string      `json:"response" doc:"The response body (capped), or why no response came; empty when not asked for (with_content=false), EXPUNGED once expunged."`
	ResponseStatusCode int         `json:"responseStatusCode" doc:"0 when no response came."`
	ResponseDurationMs int64       `json:"responseDurationMs"`
	Status             int         `json:"status" enum:"0,1,2,3" doc:"0 success, 1 pending, 2 fail, 3 sending."`
	StatusText         string      `json:"statusText" enum:"success,pending,fail,sending"`
	TriggerType        int         `json:"triggerType" enum:"0,1" doc:"0 scheduled, 1 manual (resend, recover)."`
	Timestamp          jsonTime    `json:"timestamp"`
	Msg                *messageOut `json:"msg,omitempty" doc:"The message, without its payload, when with_msg=true."`
}

func messageAttemptOutOf(a *hookline.Attempt, withContent bool) messageAttemptOut {
	out := messageAttemptOut{
		ID: a.ID, MsgID: a.MessageID, EndpointID: a.EndpointID, URL: a.URL,
		ResponseStatusCode: a.StatusCode, ResponseDurationMs: a.DurationMS,
		Status: int(a.Status), StatusText: a.Status.String(), TriggerType: int(a.Trigger),
		Timestamp: jsonTime(a.CreatedAt),
	}
	if withContent {
		out.Response = a.Response
	}
	return out
}

// attemptQuery is the query of a list of attempts.
type attemptQuery struct {
	page                 page
	filter               hookline.AttemptFilter
	withContent, withMsg bool
}

// attempts reads the query of a list of attempts: the page, newest first,
// and the filters.
func (q query) attempts() (aq attemptQuery, err error) {
	if aq.page, err = q.page(true, false, hookline.PrefixAttempt); err != nil {
		return aq, err
	}
	f := &aq.filter
	f.ListOptions = aq.page.opts
	if f.Tag, err = q.name("tag", hookline.MaxChannelLen); err != nil {
		return aq, err
	}
	if f.Status, err = q.status(); err != nil {
		return aq, err
	}
	if f.StatusCodeClass, err = q.statusCodeClass(); err != nil {
		return aq, err
	}
	if f.Channel, err = q.name("channel", hookline.MaxChannelLen); err != nil {
		return aq, err
	}
	if f.EventTypes, f.Before, f.After, aq.withContent, err = q.messageFilters(); err != nil {
		return aq, err
	}
	if aq.withMsg, err = q.boolean("with_msg", false); err != nil {
		return aq, err
	}
	// Hookline has no canceled status: expanded_statuses changes nothing.
	_, err = q.boolean("expanded_statuses", false)
	return aq, err
}

// attemptList converts got, a page of attempts of app, adding their
// messages when asked.
func (s *Server) attemptList(c *call, app *hookline.Application, aq attemptQuery, got hookline.Page[*hookline.Attempt]) (int, any, error) {
	msgs := map[string]*messageOut{}
	if aq.withMsg {
		for _, a := range got.Items {
			if _, ok := msgs[a.MessageID]; ok {
				continue
			}
			m, err := s.store.Message(c.ctx(), app.ID, a.MessageID)
			if err != nil {
				if hookline.ErrorCode(err) == hookline.ENOTFOUND {
					msgs[a.MessageID] = nil
					continue
				}
				return 0, nil, err
			}
			out := messageOutOf(m, false)
			msgs[a.MessageID] = &out
		}
	}
	return http.StatusOK, makeList(aq.page, got, func(a *hookline.Attempt) string { return a.ID }, func(a *hookline.Attempt) messageAttemptOut {
		out := messageAttemptOutOf(a, aq.withContent)
		out.Msg = msgs[a.MessageID]
		return out
	}), nil
}

// endpointAttempts reads the attempt filters of the query and loads the
// endpoint of the path.
func (c *call) endpointAttempts() (attemptQuery, *hookline.Application, *hookline.Endpoint, error) {
	aq, err := c.query().attempts()
	if err != nil {
		return aq, nil, nil, err
	}
	app, ep, err := c.loadEndpoint()
	return aq, app, ep, err
}

func (s *Server) listAttemptsByEndpoint(c *call) (int, any, error) {
	aq, app, ep, err := c.endpointAttempts()
	if err != nil {
		return 0, nil, err
	}
	got, err := s.store.ListAttemptsByEndpoint(c.ctx(), app.ID, ep.ID, aq.filter)
	if err != nil {
		return 0, nil, err
	}
	return s.attemptList(c, app, aq, got)
}

// listAttemptsByMessage lists a message's attempts, to one endpoint when
// the query names it (endpoint_id, an id or uid).
func (s *Server) listAttemptsByMessage(c *call) (int, any, error) {
	aq, err := c.query().attempts()
	if err != nil {
		return 0, nil, err
	}
	app, msg, err := c.loadMessage()
	if err != nil {
		return 0, nil, err
	}
	if id := c.query().str("endpoint_id"); id != "" {
		ep, err := s.store.Endpoint(c.ctx(), app.ID, id)
		if err != nil {
			return 0, nil, orNotFound(err, "Endpoint")
		}
		aq.filter.EndpointID = ep.ID
	}
	got, err := s.store.ListAttemptsByMessage(c.ctx(), app.ID, msg.ID, aq.filter)
	if err != nil {
		return 0, nil, err
	}
	return s.attemptList(c, app, aq, got)
}

func (s *Server) getAttempt(c *call) (int, any, error) {
	app, msg, err := c.loadMessage()
	if err != nil {
		return 0, nil, err
	}
	a, err := s.store.Attempt(c.ctx(), app.ID, msg.ID, c.r.PathValue("attempt_id"))
	if err != nil {
		return 0, nil, orNotFound(err, "Message attempt")
	}
	return http.StatusOK, messageAttemptOutOf(a, true), nil
}

// expungeAttemptContent deletes the response body of an attempt for good.
func (s *Server) expungeAttemptContent(c *call) (int, any, error) {
	app, msg, err := c.loadMessage()
	if err != nil {
		return 0, nil, err
	}
	err = s.store.ExpungeAttemptContent(c.ctx(), app.ID, msg.ID, c.r.PathValue("attempt_id"))
	return noContent(orNotFound(err, "Message attempt"))
}

// endpointMessageOut is a message with the state of its delivery to one
// endpoint.
type endpointMessageOut struct {
	messageOut
	Status      int       `json:"status" enum:"0,1,2,3" doc:"0 success, 1 pending, 2 fail, 3 sending."`
	StatusText  string    `json:"statusText" enum:"success,pending,fail,sending"`
	NextAttempt *jsonTime `json:"nextAttempt,omitempty"`
}

func (s *Server) listAttemptedMessages(c *call) (int, any, error) {
	q := c.query()
	p, err := q.page(true, false, hookline.PrefixMessage)
	if err != nil {
		return 0, nil, err
	}
	f := hookline.EndpointMessageFilter{ListOptions: p.opts}
	var withContent bool
	if f.Tag, err = q.name("tag", hookline.MaxChannelLen); err != nil {
		return 0, nil, err
	}
	if f.Channel, err = q.name("channel", hookline.MaxChannelLen); err != nil {
		return 0, nil, err
	}
	if f.Status, err = q.status(); err != nil {
		return 0, nil, err
	}
	if f.EventTypes, f.Before, f.After, withContent, err = q.messageFilters(); err != nil {
		return 0, nil, err
	}
	if _, err := q.boolean("expanded_statuses", false); err != nil {
		return 0, nil, err
	}
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	got, err := s.store.ListMessagesByEndpoint(c.ctx(), app.ID, ep.ID, f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, makeList(p, got, func(m *hookline.EndpointMessage) string { return m.Message.ID },
		func(m *hookline.EndpointMessage) endpointMessageOut {
			return endpointMessageOut{
				messageOut: messageOutOf(&m.Message, withContent),
				Status:     int(m.Delivery.ShownStatus()), StatusText: m.Delivery.ShownStatus().String(),
				NextAttempt: optTime(m.Delivery.NextAttemptAt),
			}
		}), nil
}

// messageEndpointOut is an endpoint with the state of one message's
// delivery to it.
type messageEndpointOut struct {
	endpointOut
	Status      int       `json:"status" enum:"0,1,2,3" doc:"0 success, 1 pending, 2 fail, 3 sending."`
	StatusText  string    `json:"statusText" enum:"success,pending,fail,sending"`
	NextAttempt *jsonTime `json:"nextAttempt,omitempty"`
}

func (s *Server) listAttemptedDestinations(c *call) (int, any, error) {
	p, err := c.query().page(false, false, hookline.PrefixEndpoint)
	if err != nil {
		return 0, nil, err
	}
	app, msg, err := c.loadMessage()
	if err != nil {
		return 0, nil, err
	}
	got, err := s.store.ListDeliveriesByMessage(c.ctx(), app.ID, msg.ID, p.opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, makeList(p, got, func(d *hookline.DeliveryView) string { return d.Endpoint.ID },
		func(d *hookline.DeliveryView) messageEndpointOut {
			return messageEndpointOut{
				endpointOut: endpointOutOf(&d.Endpoint),
				Status:      int(d.Delivery.ShownStatus()), StatusText: d.Delivery.ShownStatus().String(),
				NextAttempt: optTime(d.Delivery.NextAttemptAt),
			}
		}), nil
}

// emptyResponse is the body {} of a 202 without content.
type emptyResponse struct{}

// resend sends a message to an endpoint again, at once, as a manual attempt.
func (s *Server) resend(c *call) (int, any, error) {
	app, msg, err := c.loadMessage()
	if err != nil {
		return 0, nil, err
	}
	_, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	if err := s.store.Resend(c.ctx(), app.ID, msg.ID, ep.ID); err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, emptyResponse{}, nil
}
