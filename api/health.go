package api

import (
	"context"
	"net/http"
	"time"

	"github.com/hookline/hookline"
)

// health answers 204 when the store answers a query in time.
func (s *Server) health(c *call) (int, any, error) {
	ctx, cancel := context.WithTimeout(c.ctx(), 5*time.Second)
	defer cancel()
	if _, err := s.store.CountAdminTokens(ctx); err != nil {
		s.log.Error("api: health check: the store does not answer", "error", err.Error())
		return 0, nil, hookline.Errorf(hookline.EUNAVAILABLE, "The store does not answer.")
	}
	return http.StatusNoContent, nil, nil
}

func (s *Server) ping(*call) (int, any, error) { return http.StatusNoContent, nil, nil }
