package api

import "net/http"

// egressIPsOut lists the addresses deliveries come from.
type egressIPsOut struct {
	Data []string `json:"data" doc:"The IPv4 and IPv6 addresses receivers see deliveries come from, as the operator declared them (--egress-ips); empty when none is declared."`
}

func (s *Server) listEgressIPs(*call) (int, any, error) {
	return http.StatusOK, egressIPsOut{Data: s.egressIPs}, nil
}
