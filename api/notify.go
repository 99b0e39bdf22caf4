package api

import "github.com/hookline/hookline"

// notifyEndpoint tells the Notifier, when there is one, that typ happened
// to ep of app. Call it after the store write succeeded.
func (s *Server) notifyEndpoint(c *call, typ string, app *hookline.Application, ep *hookline.Endpoint) {
	if s.notifier == nil {
		return
	}
	e := hookline.EndpointEvent(typ, ep, hookline.DisabledManual.Trigger(), nil)
	if d, ok := e.Data.(hookline.EndpointEventData); ok && app != nil {
		d.AppUID = app.UID
		e.Data = d
	}
	s.notifier.Notify(c.ctx(), e)
}

// notifyChanged tells the Notifier that ep of app was created, updated or
// deleted (typ), and after an update that disabled prev, an enabled
// endpoint, that it was disabled.
func (s *Server) notifyChanged(c *call, typ string, app *hookline.Application, prev, ep *hookline.Endpoint) {
	s.notifyEndpoint(c, typ, app, ep)
	if typ == hookline.EventEndpointUpdated && !prev.Disabled && ep.Disabled {
		s.notifyEndpoint(c, hookline.EventEndpointDisabled, app, ep)
	}
}
