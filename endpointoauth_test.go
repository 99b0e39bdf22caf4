package hookline

import (
	"strings"
	"testing"
)

func TestOAuthValidate(t *testing.T) {
	good := func() *EndpointOAuth {
		return &EndpointOAuth{TokenURL: "https://auth.example.com/token", ClientID: "id", ClientSecret: "s3cret-value",
			AuthMethod: OAuthClientSecretBasic, GrantType: OAuthClientCredentials, Scopes: []string{"a", "b:c"},
			ExtraParams: map[string]string{"audience": "x"}, ExtraHeaders: map[string]string{"X-Tenant": "t"}}
	}
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		mod   func(*EndpointOAuth)
		field string
	}{
		"ftp token URL":         {func(o *EndpointOAuth) { o.TokenURL = "ftp://x/" }, "tokenUrl"},
		"relative token URL":    {func(o *EndpointOAuth) { o.TokenURL = "/token" }, "tokenUrl"},
		"credentials in URL":    {func(o *EndpointOAuth) { o.TokenURL = "https://a:b@x/" }, "tokenUrl"},
		"refresh token grant":   {func(o *EndpointOAuth) { o.GrantType = "refreshToken" }, "grantType"},
		"unknown grant":         {func(o *EndpointOAuth) { o.GrantType = "password" }, "grantType"},
		"jwt":                   {func(o *EndpointOAuth) { o.AuthMethod = "clientSecretJwt" }, "authMethod"},
		"unknown method":        {func(o *EndpointOAuth) { o.AuthMethod = "mtls" }, "authMethod"},
		"no client id":          {func(o *EndpointOAuth) { o.ClientID = "" }, "clientId"},
		"no secret":             {func(o *EndpointOAuth) { o.ClientSecret = "" }, "clientSecret"},
		"secret with a newline": {func(o *EndpointOAuth) { o.ClientSecret = "s3cret\n" }, "clientSecret"},
		"scope with a space":    {func(o *EndpointOAuth) { o.Scopes = []string{"a b"} }, "scopes"},
		"reserved param":        {func(o *EndpointOAuth) { o.ExtraParams = map[string]string{"client_secret": "x"} }, "extraParams"},
		"reserved header":       {func(o *EndpointOAuth) { o.ExtraHeaders = map[string]string{"authorization": "x"} }, "extraHeaders"},
		"bad header":            {func(o *EndpointOAuth) { o.ExtraHeaders = map[string]string{"X-A": "a\r\nb"} }, "extraHeaders"},
	} {
		o := good()
		tc.mod(o)
		err := o.Validate()
		var e *Error
		if ErrorCode(err) != EINVALID || !asError(err, &e) || strings.Join(e.Field, ".") != "body."+tc.field {
			t.Errorf("%s: %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: the error holds the secret: %v", name, err)
		}
	}
}

func asError(err error, e **Error) bool {
	v, ok := err.(*Error)
	*e = v
	return ok
}
