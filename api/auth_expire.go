package api

import (
	"time"

	"github.com/hookline/hookline"
)

// applicationTokenExpireIn expires an application's tokens, in the shape of
// the hosted Svix API's ApplicationTokenExpireIn.
type applicationTokenExpireIn struct {
	Expiry     *int64   `json:"expiry,omitempty" doc:"Seconds until the tokens expire, 0 to 259200 (72 hours); 0 (now) by default."`
	SessionIDs []string `json:"sessionIds,omitempty" doc:"When given, only the tokens created with one of these sessionIds (app-portal-access) expire; at most 1000."`
}

// expireAllTokens makes the tokens of the application (app-portal and
// dashboard access) expire now, or after expiry seconds: all of them, or
// those of the sessions named. Admin tokens are never touched.
func (s *Server) expireAllTokens(c *call) (int, any, error) {
	var in applicationTokenExpireIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	var after time.Duration
	if in.Expiry != nil {
		if *in.Expiry < 0 || *in.Expiry > int64(hookline.MaxTokenExpiryDelay/time.Second) {
			return 0, nil, hookline.Invalid([]string{"body", "expiry"}, "must be between 0 and %d seconds", int64(hookline.MaxTokenExpiryDelay/time.Second))
		}
		after = time.Duration(*in.Expiry) * time.Second
	}
	if len(in.SessionIDs) > hookline.MaxExpireSessions {
		return 0, nil, hookline.Invalid([]string{"body", "sessionIds"}, "must hold at most %d items", hookline.MaxExpireSessions)
	}
	for _, id := range in.SessionIDs {
		if err := hookline.CheckSessionID([]string{"body", "sessionIds"}, id); err != nil {
			return 0, nil, err
		}
	}
	app, err := c.loadApp()
	if err != nil {
		return 0, nil, err
	}
	_, err = s.store.ExpireAppTokens(c.ctx(), app.ID, time.Now().Add(after), in.SessionIDs)
	return noContent(err)
}
