// go-verifier checks id_tokens the way kube-apiserver's OIDC authenticator does: it fetches
// the issuer's discovery document and JWKS over https (trusting only the given CA file), then
// verifies the signature, issuer, audience (client id) and expiry with github.com/coreos/go-oidc.
//
// Usage: go-verifier -issuer URL -ca FILE -client-id ID [-algs RS256] [-now UNIX] [-stream]
//
// One token on stdin: on success it prints the token's claims as one JSON object and exits 0;
// on failure it prints "error: ..." to stderr and exits 1.
//
// -stream: one long-lived verifier, as the API server keeps (discovery once, the JWKS cached by
// go-oidc's RemoteKeySet and refetched only for a kid it does not know). It prints "ready",
// then reads one token per line and answers one line per token: "ok <kid>" or "error <message>".
//
// -now: checks expiry as of this time (Unix seconds) instead of the clock, so a test of an
// expired token need not wait for it to expire.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
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

func kidOf(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "?"
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return "?"
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return "?"
	}
	return h.Kid
}

func httpClient(caFile string) *http.Client {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := ioutil.ReadFile(caFile)
		if err != nil {
			fail("reading the CA file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			fail("no certificate in %s", caFile)
		}
		tlsConfig.RootCAs = pool
	}
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: tlsConfig, Proxy: nil},
	}
}

// verifyOne reads one token from stdin and prints its claims.
func verifyOne(ctx context.Context, verifier *oidc.IDTokenVerifier) {
	raw, err := ioutil.ReadAll(os.Stdin)
	if err != nil {
		fail("reading the token from stdin: %v", err)
	}
	idToken, err := verifier.Verify(ctx, strings.TrimSpace(string(raw)))
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

// verifyStream answers one line per token line on stdin.
func verifyStream(ctx context.Context, verifier *oidc.IDTokenVerifier) {
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64*1024), 1024*1024)
	for in.Scan() {
		token := strings.TrimSpace(in.Text())
		if token == "" {
			continue
		}
		if _, err := verifier.Verify(ctx, token); err != nil {
			fmt.Printf("error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		} else {
			fmt.Printf("ok %s\n", kidOf(token))
		}
	}
}

func main() {
	issuer := flag.String("issuer", "", "issuer URL, exactly as --oidc-issuer-url")
	caFile := flag.String("ca", "", "PEM file of the CA that signed the issuer's certificate (--oidc-ca-file)")
	clientID := flag.String("client-id", "", "expected audience (--oidc-client-id)")
	algs := flag.String("algs", "RS256", "comma-separated accepted signing algorithms (--oidc-signing-algs)")
	now := flag.Int64("now", 0, "check expiry as of this Unix time instead of the clock")
	stream := flag.Bool("stream", false, "verify one token per line of stdin with one long-lived verifier")
	flag.Parse()
	if *issuer == "" || *clientID == "" {
		fail("-issuer and -client-id are required")
	}

	ctx := oidc.ClientContext(context.Background(), httpClient(*caFile))
	provider, err := oidc.NewProvider(ctx, *issuer)
	if err != nil {
		fail("discovery: %v", err)
	}
	config := &oidc.Config{ClientID: *clientID, SupportedSigningAlgs: strings.Split(*algs, ",")}
	if *now != 0 {
		at := time.Unix(*now, 0)
		config.Now = func() time.Time { return at }
	}
	verifier := provider.Verifier(config)
	if *stream {
		verifyStream(ctx, verifier)
	} else {
		verifyOne(ctx, verifier)
	}
}
