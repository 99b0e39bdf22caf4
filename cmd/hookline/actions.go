package main

import (
	"fmt"
	"time"

	"github.com/hookline/hookline/action"
)

// loadActions reads --actions, or returns nil when it is not set.
func loadActions(cfg *serveConfig) (*action.Set, error) {
	if cfg.ActionsFile == "" {
		return nil, nil
	}
	set, err := action.Load(cfg.ActionsFile)
	if err != nil {
		return nil, fmt.Errorf("--actions: %w", err)
	}
	return set, nil
}

// lease is the dispatcher's lease: --lease, or its default, made longer
// than the longest action's timeout, so that no other claim takes a
// delivery whose action still runs.
func lease(cfg *serveConfig, actions *action.Set) time.Duration {
	l := cfg.Lease
	if l == 0 {
		l = 2*cfg.Timeout + 30*time.Second
	}
	if actions != nil {
		l = max(l, actions.MaxTimeout()+cfg.Timeout+30*time.Second)
	}
	return l
}
