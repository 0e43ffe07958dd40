// go-verifier checks an id_token the way kube-apiserver's OIDC authenticator does: it fetches
// the issuer's discovery document and JWKS over https (trusting only the given CA file), then
// verifies the signature, issuer, audience (client id) and expiry with github.com/coreos/go-oidc.
//
// Usage: go-verifier -issuer URL -ca FILE -client-id ID [-algs RS256] < token
//
// On success it prints the token's claims as one JSON object and exits 0; on failure it prints
// "error: ..." to stderr and exits 1.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"net/http"
	"os"
	"strings"
	"time"

	oidc "github.com/coreos/go-oidc"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "error: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	issuer := flag.String("issuer", "", "issuer URL, exactly as --oidc-issuer-url")
	caFile := flag.String("ca", "", "PEM file of the CA that signed the issuer's certificate (--oidc-ca-file)")
	clientID := flag.String("client-id", "", "expected audience (--oidc-client-id)")
	algs := flag.String("algs", "RS256", "comma-separated accepted signing algorithms (--oidc-signing-algs)")
	flag.Parse()
	if *issuer == "" || *clientID == "" {
		fail("-issuer and -client-id are required")
	}

	raw, err := ioutil.ReadAll(os.Stdin)
	if err != nil {
		fail("reading the token from stdin: %v", err)
	}
	token := strings.TrimSpace(string(raw))

	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if *caFile != "" {
		pem, err := ioutil.ReadFile(*caFile)
		if err != nil {
			fail("reading the CA file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			fail("no certificate in %s", *caFile)
		}
		tlsConfig.RootCAs = pool
	}
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: tlsConfig, Proxy: nil},
	}
	ctx := oidc.ClientContext(context.Background(), client)

	provider, err := oidc.NewProvider(ctx, *issuer)
	if err != nil {
		fail("discovery: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{
		ClientID:             *clientID,
		SupportedSigningAlgs: strings.Split(*algs, ","),
	})
	idToken, err := verifier.Verify(ctx, token)
	if err != nil {
		fail("%v", err)
	}
	var claims map[string]interface{}
	if err := idToken.Claims(&claims); err != nil {
		fail("claims: %v", err)
	}
	out, err := json.Marshal(claims)
	if err != nil {
		fail("encoding claims: %v", err)
	}
	fmt.Println(string(out))
}
