package main

import (
	"crypto/tls"
	"fmt"
)

// tlsConfig is the TLS of serve with --tls-cert and --tls-key (nil
// without). It asks
// clients for a certificate without requiring one: the sources that
// require one (config.clientCa) verify it against their own CAs.
func tlsConfig(cfg *serveConfig) (*tls.Config, error) {
	if cfg.TLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert, --tls-key: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		ClientAuth:   tls.RequestClientCert,
	}, nil
}
