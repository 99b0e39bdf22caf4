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
	Response           string      `json:"response" doc:"The response body (capped), or why no response came; empty when not asked for (with_content=false) or expunged."`
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

// attemptFilter reads the filters the attempt lists share.
func attemptFilter(q query, p page) (f hookline.AttemptFilter, withContent, withMsg bool, err error) {
	f.ListOptions = p.opts
	if err = q.unsupported("tag"); err != nil {
		return
	}
	if f.Status, err = q.status(); err != nil {
		return
	}
	if f.StatusCodeClass, err = q.statusCodeClass(); err != nil {
		return
	}
	if f.Channel, err = q.name("channel", hookline.MaxChannelLen); err != nil {
		return
	}
	if f.EventTypes, err = q.eventTypes(); err != nil {
		return
	}
	if f.Before, err = q.time("before"); err != nil {
		return
	}
	if f.After, err = q.time("after"); err != nil {
		return
	}
	if withContent, err = q.boolean("with_content", true); err != nil {
		return
	}
	if withMsg, err = q.boolean("with_msg", false); err != nil {
		return
	}
	// Hookline has no canceled status: expanded_statuses changes nothing.
	_, err = q.boolean("expanded_statuses", false)
	return
}

// attemptList converts a page of attempts, adding their messages when asked.
func (s *Server) attemptList(c *call, app *hookline.Application, p page, got hookline.Page[*hookline.Attempt], withContent, withMsg bool) (int, any, error) {
	msgs := map[string]*messageOut{}
	if withMsg {
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
	return http.StatusOK, makeList(p, got, func(a *hookline.Attempt) string { return a.ID }, func(a *hookline.Attempt) messageAttemptOut {
		out := messageAttemptOutOf(a, withContent)
		out.Msg = msgs[a.MessageID]
		return out
	}), nil
}

func (s *Server) listAttemptsByEndpoint(c *call) (int, any, error) {
	q := c.query()
	p, err := q.page(true, false)
	if err != nil {
		return 0, nil, err
	}
	f, withContent, withMsg, err := attemptFilter(q, p)
	if err != nil {
		return 0, nil, err
	}
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	got, err := s.store.ListAttemptsByEndpoint(c.ctx(), app.ID, ep.ID, f)
	if err != nil {
		return 0, nil, err
	}
	return s.attemptList(c, app, p, got, withContent, withMsg)
}

func (s *Server) listAttemptsByMessage(c *call) (int, any, error) {
	q := c.query()
	p, err := q.page(true, false)
	if err != nil {
		return 0, nil, err
	}
	f, withContent, withMsg, err := attemptFilter(q, p)
	if err != nil {
		return 0, nil, err
	}
	app, msg, err := c.loadMessage()
	if err != nil {
		return 0, nil, err
	}
	if id := q.str("endpoint_id"); id != "" {
		ep, err := s.store.Endpoint(c.ctx(), app.ID, id)
		if hookline.ErrorCode(err) == hookline.ENOTFOUND {
			return 0, nil, notFound("Endpoint")
		}
		if err != nil {
			return 0, nil, err
		}
		f.EndpointID = ep.ID
	}
	got, err := s.store.ListAttemptsByMessage(c.ctx(), app.ID, msg.ID, f)
	if err != nil {
		return 0, nil, err
	}
	return s.attemptList(c, app, p, got, withContent, withMsg)
}

func (s *Server) getAttempt(c *call) (int, any, error) {
	app, msg, err := c.loadMessage()
	if err != nil {
		return 0, nil, err
	}
	a, err := s.store.Attempt(c.ctx(), app.ID, msg.ID, c.r.PathValue("attempt_id"))
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		return 0, nil, notFound("Message attempt")
	}
	if err != nil {
		return 0, nil, err
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
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		return 0, nil, notFound("Message attempt")
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
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
	p, err := q.page(true, false)
	if err != nil {
		return 0, nil, err
	}
	f := hookline.EndpointMessageFilter{ListOptions: p.opts}
	if err := q.unsupported("tag"); err != nil {
		return 0, nil, err
	}
	if f.Channel, err = q.name("channel", hookline.MaxChannelLen); err != nil {
		return 0, nil, err
	}
	if f.Status, err = q.status(); err != nil {
		return 0, nil, err
	}
	if f.EventTypes, err = q.eventTypes(); err != nil {
		return 0, nil, err
	}
	if f.Before, err = q.time("before"); err != nil {
		return 0, nil, err
	}
	if f.After, err = q.time("after"); err != nil {
		return 0, nil, err
	}
	withContent, err := q.boolean("with_content", true)
	if err != nil {
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
				Status:     int(m.Delivery.Status), StatusText: m.Delivery.Status.String(),
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
	p, err := c.query().page(false, false)
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
				Status:      int(d.Delivery.Status), StatusText: d.Delivery.Status.String(),
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
	ep, err := s.store.Endpoint(c.ctx(), app.ID, c.r.PathValue("endpoint_id"))
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		return 0, nil, notFound("Endpoint")
	}
	if err != nil {
		return 0, nil, err
	}
	if err := s.store.Resend(c.ctx(), app.ID, msg.ID, ep.ID); err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, emptyResponse{}, nil
}
