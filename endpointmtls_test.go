package hookline

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

// testIdentity returns a self-signed certificate and its PEM private key.
func testIdentity(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

func TestParseIdentity(t *testing.T) {
	cert, key := testIdentity(t, "client")
	ca, caKey := testIdentity(t, "ca")
	field := []string{"body", "identity"}
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, []byte("\n")) }

	// Key and certificates in any order; the matching certificate leads.
	m, err := ParseIdentity(field, join(ca, key, cert))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(m.Certificate, cert) || !bytes.Contains(m.Certificate, ca) || !bytes.Equal(m.Key, key) {
		t.Fatal("identity not split into chain (leaf first) and key")
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	leaf, err := m.Leaf()
	if err != nil || leaf.Subject.CommonName != "client" {
		t.Fatalf("Leaf = %v, %v", leaf, err)
	}

	rsaLike := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("not a key")})
	for name, id := range map[string][]byte{
		"empty":            nil,
		"not PEM":          []byte("hello"),
		"key only":         key,
		"certificate only": cert,
		"two keys":         join(key, caKey, cert),
		"mismatch":         join(caKey, cert),
		"bad key":          join(rsaLike, cert),
		"bad certificate":  join(key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")})),
		"encrypted":        join(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), cert),
		"other block":      join(key, cert, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}})),
		"too large":        join(key, cert, bytes.Repeat([]byte{' '}, MaxPEMLen)),
	} {
		_, err := ParseIdentity(field, id)
		if ErrorCode(err) != EINVALID {
			t.Errorf("%s: %v", name, err)
			continue
		}
		// No key material in the message.
		for _, secret := range [][]byte{key, caKey} {
			b, _ := pem.Decode(secret)
			if msg := err.Error(); strings.Contains(msg, "PRIVATE KEY-----") || strings.Contains(msg, string(secret[30:60])) || bytes.Contains([]byte(msg), b.Bytes[10:20]) {
				t.Errorf("%s: the error holds key material: %s", name, msg)
			}
		}
	}
	if (&EndpointMTLS{Certificate: cert, Key: caKey}).Validate() == nil {
		t.Error("Validate accepted a key of another certificate")
	}
	if (&EndpointMTLS{Certificate: cert, Key: key, ServerCACerts: []byte("x")}).Validate() == nil {
		t.Error("Validate accepted a bad CA bundle")
	}

	if err := ParseCACerts(field, join(ca, cert)); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"empty": nil, "key": join(ca, key), "junk": []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")} {
		if ErrorCode(ParseCACerts(field, b)) != EINVALID {
			t.Errorf("ParseCACerts(%s) accepted it", name)
		}
	}
}

// TestPEMWorkIsBounded: an identity or a CA bundle of many certificates is
// refused by count, before each is parsed, and an identity's certificates
// are parsed a bounded number of times each whatever their order (the leaf
// was once found by trying every certificate in turn, each try parsing the
// whole chain).
func TestPEMWorkIsBounded(t *testing.T) {
	cert, key := testIdentity(t, "client")
	ca, _ := testIdentity(t, "ca")
	field := []string{"body", "identity"}

	chain := bytes.Repeat(ca, MaxChainCerts-1)
	m, err := ParseIdentity(field, append(append(bytes.Clone(chain), key...), cert...))
	if err != nil || !bytes.HasPrefix(m.Certificate, cert) {
		t.Fatalf("an identity of %d certificates, the leaf last: %v", MaxChainCerts, err)
	}
	_, err = ParseIdentity(field, append(append(bytes.Clone(chain), ca...), append(key, cert...)...))
	if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "more than 10 certificates") {
		t.Errorf("an identity of %d certificates: %v, want EINVALID", MaxChainCerts+1, err)
	}

	if err := ParseCACerts(field, bytes.Repeat(ca, MaxCACerts)); err != nil {
		t.Errorf("a bundle of %d certificates: %v", MaxCACerts, err)
	}
	err = ParseCACerts(field, bytes.Repeat(ca, MaxCACerts+1))
	if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "more than 100 certificates") {
		t.Errorf("a bundle of %d certificates: %v, want EINVALID", MaxCACerts+1, err)
	}
}
