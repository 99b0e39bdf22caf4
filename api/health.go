package api

import (
	"context"
	"net/http"
	"time"

	"github.com/hookline/hookline"
)

// health answers 204 when the store answers a query and can write, in
// time; 503 otherwise (the store says whether it can write: CheckWrite).
func (s *Server) health(c *call) (int, any, error) {
	ctx, cancel := context.WithTimeout(c.ctx(), 5*time.Second)
	defer cancel()
	if _, err := s.store.CountAdminTokens(ctx); err != nil {
		s.log.Error("api: health check: the store does not answer", "error", err.Error())
		return 0, nil, hookline.Errorf(hookline.EUNAVAILABLE, "The store does not answer.")
	}
	if err := s.store.CheckWrite(ctx); err != nil {
		s.log.Error("api: health check: the store cannot write", "error", err.Error())
		return 0, nil, hookline.Errorf(hookline.EUNAVAILABLE, "The store cannot write.")
	}
	return http.StatusNoContent, nil, nil
}

func (s *Server) ping(*call) (int, any, error) { return http.StatusNoContent, nil, nil }
