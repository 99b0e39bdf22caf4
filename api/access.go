package api

import (
	"github.com/hookline/hookline"
)

// access says which tokens may call a route. An admin token may call every
// route. A token scoped to an application may call the routes of anyToken,
// and those of its own application (loadApp finds no other) that its
// capabilities allow: each app level names the capability it needs.
type access int

const (
	public    access = iota // no token needed
	anyToken                // any valid token
	adminOnly               // tokens that are not scoped to an application

	appRead         // hookline.CapViewBase: read the application, never a signing secret
	appReadSecret   // hookline.CapViewEndpointSecret: read an endpoint's signing secret
	appRotateSecret // hookline.CapManageEndpointSecret: rotate an endpoint's signing secret
	appEndpoint     // hookline.CapManageEndpoint: create, change or delete an endpoint or its settings
	appSend         // hookline.CapCreateAttempts: send a message, resend, recover, send an example
	appScoped       // tokens of the whole application (no list of capabilities): what no capability grants alone
)

// capability returns the capability an application's token needs to call a
// route of level a, or "" when a names none.
func (a access) capability() hookline.Capability {
	switch a {
	case appRead:
		return hookline.CapViewBase
	case appReadSecret:
		return hookline.CapViewEndpointSecret
	case appRotateSecret:
		return hookline.CapManageEndpointSecret
	case appEndpoint:
		return hookline.CapManageEndpoint
	case appSend:
		return hookline.CapCreateAttempts
	}
	return ""
}

// permit returns nil when tok may call a route of level a, and otherwise
// the 403 that refuses it. It does not look at the path: loadApp keeps a
// token to its own application.
func (a access) permit(tok *hookline.Token) error {
	switch {
	case tok.AppID == "" || a == public || a == anyToken:
		return nil
	case a == adminOnly:
		return errAdminOnly
	case a == appScoped:
		if tok.WholeApp() {
			return nil
		}
		return hookline.Errorf(hookline.EFORBIDDEN, "This token's capabilities do not allow this: it needs the whole application (a token made without capabilities, or with every one).")
	}
	c := a.capability()
	if tok.Can(c) {
		return nil
	}
	return hookline.Errorf(hookline.EFORBIDDEN, "This token's capabilities do not allow this: it needs the %s capability.", c)
}

// errAdminOnly refuses a token scoped to an application what only admin
// tokens may do.
var errAdminOnly = hookline.Errorf(hookline.EFORBIDDEN, "This token is scoped to one application and cannot do this.")
