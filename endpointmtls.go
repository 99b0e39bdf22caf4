package hookline

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"
)

// Bounds on the PEM settings of an endpoint, so that checking one costs
// little: its size (identity, CA bundle), the certificates of an identity's
// chain, and those of a CA bundle.
const (
	MaxPEMLen     = 64 << 10
	MaxChainCerts = 10
	MaxCACerts    = 100
)

// EndpointMTLS is the client certificate an endpoint's deliveries present
// for mutual TLS, and the CAs its server certificate must chain to. Its JSON
// form is the one stores seal (see SecretBox.SealAuth): add fields, never
// rename their keys.
type EndpointMTLS struct {
	// Certificate is the PEM client certificate chain, leaf first. With Key,
	// it may be empty when ServerCACerts is set (a CA bundle alone, as PUT
	// .../ca sets it; HasIdentity is false): then deliveries present the
	// server's default client certificate, if any.
	Certificate []byte `json:"certificate"`
	// Key is the PEM private key of the leaf certificate. Stores seal it.
	Key []byte `json:"key"`
	// ServerCACerts is a PEM bundle of CA certificates; when set, the
	// receiver's certificate must chain to one of them instead of the
	// system roots. Optional.
	ServerCACerts []byte `json:"serverCaCerts"`
}

// ParseIdentity reads a PEM "identity", a private key with its certificate
// and chain in any order (as Svix's mTLS setting takes it), into an
// EndpointMTLS: exactly one unencrypted private key and at least one
// certificate, one of which holds the key's public key; that one becomes the
// leaf, first in Certificate. Errors are EINVALID at field and never hold
// key material.
func ParseIdentity(field []string, identity []byte) (*EndpointMTLS, error) {
	if len(identity) > MaxPEMLen {
		return nil, Invalid(field, "must be at most %d bytes", MaxPEMLen)
	}
	var keys, certs []*pem.Block
	rest := identity
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE":
			if len(certs) == MaxChainCerts {
				return nil, Invalid(field, "holds more than %d certificates", MaxChainCerts)
			}
			certs = append(certs, b)
		case b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] != "":
			return nil, Invalid(field, "holds an encrypted private key: give it unencrypted")
		case b.Type == "PRIVATE KEY" || strings.HasSuffix(b.Type, " PRIVATE KEY"):
			keys = append(keys, b)
		default:
			return nil, Invalid(field, "holds a PEM block of type %q: only CERTIFICATE and one PRIVATE KEY are accepted", pemType(b.Type))
		}
	}
	switch {
	case len(keys) == 0 && len(certs) == 0:
		return nil, Invalid(field, "must be PEM: a private key and its certificate")
	case len(keys) == 0:
		return nil, Invalid(field, "holds no private key")
	case len(keys) > 1:
		return nil, Invalid(field, "holds %d private keys; exactly one is needed", len(keys))
	case len(certs) == 0:
		return nil, Invalid(field, "holds no certificate")
	}
	// The leaf is the certificate of the key's public key, found in one pass
	// (not by trying each certificate as the leaf). Each certificate is
	// parsed a bounded number of times: here, again by keyPair, and the
	// leaf and the key once more by tls.X509KeyPair; the 10-certificate and
	// 64 KiB bounds bound the work.
	pub, ok := publicKey(keys[0].Bytes)
	if !ok {
		return nil, Invalid(field, "holds a private key that does not parse (PKCS #1, PKCS #8 or SEC 1 PEM is needed)")
	}
	leaf := -1
	for i, b := range certs {
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, Invalid(field, "holds a certificate that does not parse")
		}
		if leaf < 0 && pub.Equal(c.PublicKey) {
			leaf = i
		}
	}
	if leaf < 0 {
		return nil, Invalid(field, "holds no certificate for its private key")
	}
	var cert []byte
	for _, c := range append([]*pem.Block{certs[leaf]}, slices.Delete(slices.Clone(certs), leaf, leaf+1)...) {
		cert = append(cert, pem.EncodeToMemory(c)...)
	}
	m := &EndpointMTLS{Certificate: cert, Key: pem.EncodeToMemory(keys[0])}
	if _, err, _ := m.keyPair(field); err != nil {
		return nil, err
	}
	return m, nil
}

// publicKey returns the public key of a DER private key in PKCS #1, PKCS #8
// or SEC 1, the forms crypto/tls reads.
func publicKey(der []byte) (interface{ Equal(crypto.PublicKey) bool }, bool) {
	var key any
	var err error
	if key, err = x509.ParsePKCS1PrivateKey(der); err != nil {
		if key, err = x509.ParsePKCS8PrivateKey(der); err != nil {
			if key, err = x509.ParseECPrivateKey(der); err != nil {
				return nil, false
			}
		}
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, false
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	return pub, ok
}

// pemType returns a PEM block type fit for an error message.
func pemType(t string) string {
	if len(t) > 40 || strings.ContainsFunc(t, func(r rune) bool { return r < ' ' || r > '~' }) {
		return "unknown"
	}
	return t
}

// keyPair returns Certificate and Key as a crypto/tls client certificate,
// or an EINVALID error at field without key material; mismatch is true when
// both parse but do not belong together.
func (m *EndpointMTLS) keyPair(field []string) (pair tls.Certificate, err *Error, mismatch bool) {
	switch {
	case len(m.Certificate) == 0:
		return pair, Invalid(field, "holds no certificate"), false
	case len(m.Key) == 0:
		return pair, Invalid(field, "holds no private key"), false
	}
	for rest := m.Certificate; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return pair, Invalid(field, "holds a certificate that does not parse"), false
		}
	}
	pair, kerr := tls.X509KeyPair(m.Certificate, m.Key)
	switch {
	case kerr == nil:
		return pair, nil, false
	case strings.Contains(kerr.Error(), "does not match"):
		return pair, Invalid(field, "holds no certificate for its private key"), true
	case strings.Contains(kerr.Error(), "certificate"):
		return pair, Invalid(field, "holds a certificate that does not parse"), false
	}
	return pair, Invalid(field, "holds a private key that does not parse (PKCS #1, PKCS #8 or SEC 1 PEM is needed)"), false
}

// KeyPair returns Certificate and Key as a crypto/tls client certificate.
// Its errors are those of Validate at body.identity: EINVALID, without key
// material.
func (m *EndpointMTLS) KeyPair() (tls.Certificate, error) {
	pair, err, _ := m.keyPair([]string{"body", "identity"})
	if err != nil {
		return tls.Certificate{}, err
	}
	return pair, nil
}

// ParseCACerts checks a PEM bundle of CA certificates: at least one, each a
// CERTIFICATE block that parses. Errors are EINVALID at field.
func ParseCACerts(field []string, bundle []byte) error {
	_, err := parseCACerts(field, bundle)
	return err
}

// ServerCAs returns ServerCACerts as a pool for tls.Config.RootCAs, nil
// when ServerCACerts is empty. Its errors are those of ParseCACerts at
// body.serverCaCert.
func (m *EndpointMTLS) ServerCAs() (*x509.CertPool, error) {
	if len(m.ServerCACerts) == 0 {
		return nil, nil
	}
	return parseCACerts([]string{"body", "serverCaCert"}, m.ServerCACerts)
}

// parseCACerts is ParseCACerts, which returns the certificates as a pool.
func parseCACerts(field []string, bundle []byte) (*x509.CertPool, error) {
	if len(bundle) > MaxPEMLen {
		return nil, Invalid(field, "must be at most %d bytes", MaxPEMLen)
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := bundle; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, Invalid(field, "holds a PEM block of type %q: only CERTIFICATE is accepted", pemType(b.Type))
		}
		if n == MaxCACerts {
			return nil, Invalid(field, "holds more than %d certificates", MaxCACerts)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, Invalid(field, "holds a certificate that does not parse")
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, Invalid(field, "must be one or more PEM certificates")
	}
	return pool, nil
}

// Leaf returns the parsed leaf certificate of m.
func (m *EndpointMTLS) Leaf() (*x509.Certificate, error) {
	b, _ := pem.Decode(m.Certificate)
	if b == nil {
		return nil, Errorf(EINVALID, "the client certificate is not PEM")
	}
	return x509.ParseCertificate(b.Bytes)
}

// HasIdentity reports whether m holds a client certificate (and its key),
// not only a CA bundle.
func (m *EndpointMTLS) HasIdentity() bool { return len(m.Certificate)+len(m.Key) > 0 }

// Validate checks that Key belongs to the leaf of Certificate and that
// ServerCACerts, when set, parses; without a client certificate (neither
// Certificate nor Key), ServerCACerts must be set. Errors are EINVALID and
// hold no key material.
func (m *EndpointMTLS) Validate() error {
	field := []string{"body", "identity"}
	if len(m.Certificate)+len(m.Key) > MaxPEMLen {
		return Invalid(field, "must be at most %d bytes", MaxPEMLen)
	}
	if m.HasIdentity() || len(m.ServerCACerts) == 0 {
		if _, err, _ := m.keyPair(field); err != nil {
			return err
		}
	}
	_, err := m.ServerCAs()
	return err
}
